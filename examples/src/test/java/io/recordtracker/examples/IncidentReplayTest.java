package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/** The replay end to end, in the build, at 40,000 records on an H2 file. */
class IncidentReplayTest {

  @TempDir Path dir;

  @Test
  void reconciliation_finds_exactly_the_records_the_patch_dropped_at_the_received_to_processed_hop()
      throws Exception {
    ReplayOptions options =
        ReplayOptions.parse("--records", "40000", "--dir", dir.toString(), "--defer-every", "500");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    IncidentReplay replay =
        new IncidentReplay(options, new PrintStream(printed, true, StandardCharsets.UTF_8));

    IncidentReplay.Outcome o = replay.replay(ReplayDatabase.open(options));

    // What the patch really dropped, recorded by the workers it stopped: contiguous chunks they
    // held and scattered records waiting in their retry lists.
    List<RecordRange> dropped = IncidentReplay.ranges(o.dropped());
    assertThat(dropped).isNotEmpty();
    assertThat(dropped).anyMatch(r -> r.size() > 1);
    assertThat(dropped).anyMatch(r -> r.size() == 1);

    // Found by the scheduled job: exactly those ranges, nothing more, nothing less.
    assertThat(o.found()).isEqualTo(dropped);
    assertThat(o.before().missingCount()).isEqualTo(o.dropped().getLongCardinality());
    assertThat(o.before().absentUpstream()).isEmpty();
    assertThat(o.before().unexpected()).isEmpty();

    // The hop: the file arrived (sent->received complete), the records were not processed.
    assertThat(o.sentToReceived().missing()).isEmpty();
    assertThat(o.sentToReceived().absentUpstream()).isEmpty();
    assertThat(o.hop()).isEqualTo("received->processed");
    assertThat(o.hopReconciliation().upstream()).isEqualTo(CisProcessor.RECEIVED);
    assertThat(o.hopReconciliation().downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(o.hopReconciliation().missing()).isEqualTo(dropped);

    // Only the missing records were resent, and the batch is complete.
    assertThat(o.resent()).isEqualTo(o.dropped().getLongCardinality());
    assertThat(o.after().isComplete()).isTrue();
    assertThat(o.after().repeatedCount()).isZero(); // the evidence: nobody processed twice
    assertThat(o.matches()).isTrue();

    // The database agrees, read by a tracker of its own; every customer is saved exactly once
    // (a resent record saved twice would break the primary key).
    ReplayDatabase db = ReplayDatabase.open(options);
    JdbcTrackerStore store = db.newStore();
    try (RecordTracker fresh = db.newTracker(store)) {
      Reconciliation now = fresh.reconcile(o.batch());
      assertThat(now.isComplete()).isTrue();
      assertThat(now.expectedRecords()).isEqualTo(40_000);
      assertThat(fresh.batch(o.batch()).orElseThrow().completedAt()).isPresent();
      RoaringBitmap saved = db.cis(store).savedRecords(o.batch());
      assertThat(saved.getLongCardinality()).isEqualTo(40_000);
      assertThat(saved.last()).isEqualTo(39_999);
    }

    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains(
            "Missing records of batch "
                + o.batch()
                + " ("
                + IncidentReplay.count(o.dropped().getLongCardinality())
                + "):")
        .contains("Lost at hop received->processed")
        .contains("exactly the records the patch dropped")
        .contains("Batch complete        yes")
        .contains(
            "Processed twice                  0   (no record was processed twice: the resend was"
                + " exactly the missing records)")
        .contains("Patch applied during processing")
        .contains("Reconciliation job detected the discrepancy");
    assertThat(firstJsonReport(text)).contains("\"missing\":" + o.dropped().getLongCardinality());
    // A long report goes to a file: no line a terminal wraps into a wall of numbers.
    assertThat(text.lines().mapToInt(String::length).max().orElse(0)).isLessThanOrEqualTo(2_100);
  }

  /** The first JSON report: printed when short, else in the file its line names. */
  private static String firstJsonReport(String text) throws IOException {
    for (String line : text.lines().toList()) {
      if (line.startsWith("{\"schemaVersion\"")) {
        return line;
      }
      if (line.startsWith("JSON report: ")) {
        String file = line.substring(line.indexOf(" written to ") + " written to ".length());
        return Files.readString(Path.of(file), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no JSON report in:\n" + text);
  }

  @Test
  void a_second_replay_in_the_same_directory_uses_a_new_batch_and_purges_the_first()
      throws Exception {
    ReplayOptions options =
        ReplayOptions.parse("--records", "20000", "--dir", dir.toString(), "--defer-every", "400");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    IncidentReplay.Outcome first =
        new IncidentReplay(options, quiet).replay(ReplayDatabase.open(options));
    IncidentReplay.Outcome second =
        new IncidentReplay(options, quiet).replay(ReplayDatabase.open(options));

    assertThat(second.batch()).isNotEqualTo(first.batch());
    assertThat(second.matches()).isTrue();
    try (RecordTracker fresh = ReplayDatabase.open(options).newTracker()) {
      assertThat(fresh.batch(first.batch())).isEmpty(); // completed, purged by the second run
      assertThat(fresh.batch(second.batch())).isPresent();
    }
  }

  @Test
  void resending_the_whole_file_as_the_postmortem_did_processes_every_other_record_twice()
      throws Exception {
    ReplayOptions options =
        ReplayOptions.parse(
            "--records",
            "20000",
            "--dir",
            dir.toString(),
            "--defer-every",
            "400",
            "--resend-whole-file");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    IncidentReplay.Outcome o =
        new IncidentReplay(options, new PrintStream(printed, true, StandardCharsets.UTF_8))
            .replay(ReplayDatabase.open(options));

    assertThat(o.resent()).isEqualTo(20_000);
    assertThat(o.after().isComplete()).isTrue();
    // Exactly the records processed before the resend: all but those the patch dropped.
    RoaringBitmap twice = RoaringBitmap.bitmapOfRange(0, 20_000);
    twice.andNot(o.dropped());
    assertThat(o.after().repeated()).isEqualTo(IncidentReplay.ranges(twice));
    assertThat(o.after().repeatedCount()).isEqualTo(20_000 - o.dropped().getLongCardinality());
    assertThat(o.matches()).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("EDI resent the whole file, as the postmortem's team did: 20,000 records")
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "Processed twice       %,12d   (records CIS processed again when the whole file"
                    + " was resent: ",
                o.after().repeatedCount()));
  }

  @Test
  void without_the_patch_nothing_is_lost_found_or_resent() throws Exception {
    ReplayOptions options =
        ReplayOptions.parse(
            "--records", "15000", "--dir", dir.toString(), "--no-patch", "--no-customer-rows");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    IncidentReplay.Outcome o =
        new IncidentReplay(options, new PrintStream(printed, true, StandardCharsets.UTF_8))
            .replay(ReplayDatabase.open(options));

    assertThat(o.dropped().isEmpty()).isTrue();
    assertThat(o.found()).isEmpty();
    assertThat(o.resent()).isZero();
    assertThat(o.after().isComplete()).isTrue();
    assertThat(o.matches()).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .doesNotContain("Patch applied")
        .contains("Batch complete        yes");
  }
}
