package io.recordtracker.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.RecordRange;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The comparison at a tiny size on embedded PostgreSQL (or $RECORDTRACKER_PG_URL): it runs end to
 * end, both designs find the pattern's exact holes, and a wrong answer on either side stops it
 * before any ratio is printed.
 */
class RowPerRecordComparisonTest {

  private static BenchDatabase db;

  @BeforeAll
  static void startDatabase() {
    db = BenchDatabase.postgres();
  }

  @AfterAll
  static void stopDatabase() {
    try {
      db.dropTablesStartingWith("rtcmp_"); // leave nothing behind on a shared server
    } finally {
      db.close();
    }
  }

  private static RowPerRecordComparison.Config tiny() {
    RowPerRecordComparison.Config c = new RowPerRecordComparison.Config();
    c.records = 20_000;
    c.chunk = 1_000;
    c.runs = 1;
    c.warmUp = false;
    return c;
  }

  private static final class Output {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
    final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

    String out() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
      return err.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void both_designs_find_exactly_the_holes_of_the_pattern() {
    RowPerRecordComparison.Config config = tiny();

    RowPerRecordComparison.Result result =
        RowPerRecordComparison.compare(config, db, new PrintStream(new ByteArrayOutputStream()));

    List<RecordRange> expected =
        RowPerRecordComparison.toRanges(GapPattern.RANDOM_1PCT_PLUS_GAP.holes(20_000));
    // 20,000 records: the gap is a fifth of the batch, 6000-9999, plus 200 random holes.
    assertThat(expected).contains(RecordRange.of(6_000, 9_999));
    assertThat(result.rows().missing()).containsExactlyElementsOf(expected);
    assertThat(result.tracker().missing()).containsExactlyElementsOf(expected);
    assertThat(result.trackerChunkFlush().missing()).containsExactlyElementsOf(expected);
    assertThat(result.rows().storageBytes()).isPositive();
    assertThat(result.tracker().storageBytes()).isPositive();
  }

  @Test
  void a_run_prints_the_table_with_ratios_and_exits_zero() {
    Output o = new Output();

    int status = RowPerRecordComparison.run(tiny(), db, o.outStream, o.errStream);

    assertThat(status).as(o.err()).isZero();
    assertThat(o.out())
        .contains("Answers checked: both designs found the same")
        .contains("| record sent + processed (s) |")
        .contains("| reconcile, median of 1 after 3 unmeasured (ms) |")
        .contains("| storage, pg_total_relation_size (KB) |")
        .containsPattern("\\| >= 500x \\|");
    assertThat(o.err()).isEmpty();
  }

  @Test
  void cold_mode_runs_writers_and_readers_in_child_jvms_and_they_find_exactly_the_holes() {
    RowPerRecordComparison.Config config = tiny();
    config.cold = true;
    config.coldReaders = 2;
    Output o = new Output();

    int status = RowPerRecordComparison.run(config, db, o.outStream, o.errStream);

    assertThat(status).as(o.err()).isZero();
    List<RecordRange> expected =
        RowPerRecordComparison.toRanges(GapPattern.RANDOM_1PCT_PLUS_GAP.holes(20_000));
    assertThat(o.out())
        .contains(
            "Answers checked: both designs found the same " + expected.size() + " missing ranges")
        .contains("| reconcile, the first in a fresh reader JVM, median of 2 JVMs (ms) |")
        .contains("Later reconciles in the same reader JVMs, median (ms): row per record ");
  }

  @Test
  void a_tracker_answer_missing_a_range_fails_loudly_before_any_ratio() {
    RowPerRecordComparison.Config config = tiny();
    config.trackerAnswer =
        ranges -> new ArrayList<>(ranges.subList(0, ranges.size() - 1)); // drop the last range
    Output o = new Output();

    int status = RowPerRecordComparison.run(config, db, o.outStream, o.errStream);

    assertThat(status).isEqualTo(1);
    assertThat(o.err())
        .startsWith("FAILED: the designs' answers differ, no ratio printed.")
        .contains("row per record found")
        .contains("the first extra one is");
    assertThat(o.out()).doesNotContain("| record sent + processed").doesNotContain("x |");
  }

  @Test
  void a_tracker_answer_with_a_shifted_range_names_the_first_difference() {
    RowPerRecordComparison.Config config = tiny();
    config.trackerAnswer =
        ranges -> {
          List<RecordRange> wrong = new ArrayList<>(ranges);
          RecordRange r = wrong.get(3);
          wrong.set(3, RecordRange.of(r.first(), r.last() + 1));
          return wrong;
        };

    assertThatThrownBy(
            () ->
                RowPerRecordComparison.compare(
                    config, db, new PrintStream(new ByteArrayOutputStream())))
        .isInstanceOf(RowPerRecordComparison.AnswersDifferException.class)
        .hasMessageStartingWith("missing range #3: row per record says ");
  }

  @Test
  void bad_arguments_exit_with_usage() {
    Output o = new Output();

    int status =
        RowPerRecordComparison.run(new String[] {"--records", "-5"}, o.outStream, o.errStream);

    assertThat(status).isEqualTo(2);
    assertThat(o.err()).contains("--records must be positive: -5").contains("usage:");
  }
}
