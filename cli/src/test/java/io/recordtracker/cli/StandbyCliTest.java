package io.recordtracker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.jdbc.PostgresStandby;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI pointed at a PostgreSQL streaming standby (a private primary and standby started by the
 * test): the commands that only read answer as on the primary, say on stderr how far the standby is
 * behind, and record no completion. Skipped without PostgreSQL's server binaries.
 */
class StandbyCliTest {

  private static final String PREFIX = "rtclisby_";
  private static PostgresStandby pg;
  private static Seed seed;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresStandby.start();
    seed = new Seed(pg.primaryUrl(), "postgres", null, PREFIX);
    // Opened and marked 2 hours ago, 1 record never processed: what a purge of old batches finds.
    seed.at(Duration.ofHours(2));
    seed.sentBatch("OLD-1", Map.of("file", "old.edi"), RecordRange.of(0, 998));
    seed.at(Duration.ZERO);
    // 1,000 records sent; 100-199 and 500 never processed.
    seed.sentBatch(
        "EDI-1",
        Map.of("file", "customers.edi"),
        RecordRange.of(0, 99),
        RecordRange.of(200, 499),
        RecordRange.of(501, 999));
    seed.sentBatch("EDI-2", Map.of("file", "orders.edi"), RecordRange.of(0, 999));
    awaitOnStandby(BatchId.of("EDI-2"));
    awaitOnStandby(BatchId.of("OLD-1"));
  }

  @AfterAll
  static void stop() {
    if (seed != null) {
      seed.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private static Cli.Result cli(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(
        new String[] {"--jdbc-url", pg.standbyUrl(), "--table-prefix", PREFIX},
        0,
        all,
        args.length,
        4);
    return Cli.run(Map.of(), all);
  }

  @Test
  void reconcile_on_the_standby_reports_the_exact_gap_and_the_lag() {
    Cli.Result r = cli("reconcile", "--batch", "EDI-1");
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.out())
        .contains("  INCOMPLETE: 101 missing, 0 never sent, 0 unexpected, 0 repeated\n")
        .contains("  missing (resend):  100-199, 500\n");
    assertThat(r.err())
        .as(r.toString())
        .matches(
            "Reading a read-only standby, [0-9a-z]+ behind its primary: marks newer than that may"
                + " not show yet, and completions are not recorded here\\.\\R");
  }

  @Test
  void a_complete_batch_reconciles_on_the_standby_without_recording_its_completion() {
    Cli.Result r = cli("reconcile", "--batch", "EDI-2");
    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    try (JdbcTrackerStore primary =
        JdbcTrackerStore.builder(new DriverManagerDataSource(pg.primaryUrl(), null, null))
            .tablePrefix(PREFIX)
            .build()) {
      assertThat(primary.findBatch(BatchId.of("EDI-2")).orElseThrow().completedAt()).isEmpty();
    }
  }

  @Test
  void in_flight_on_the_standby_names_the_incomplete_batch() {
    Cli.Result r = cli("in-flight", "--window", "1h", "--json");
    assertThat(r.code()).as(r.toString()).isEqualTo(3);
    assertThat(r.out())
        .contains("\"EDI-1\"")
        .doesNotContain("\"EDI-2\"")
        .doesNotContain("\"OLD-1\"");
  }

  @Test
  void purge_on_the_standby_fails_as_read_only() {
    Cli.Result r = cli("purge", "--older-than", "1h", "--include-incomplete");
    assertThat(r.code()).as(r.toString()).isEqualTo(74);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .as(r.toString())
        .endsWith(
            "\nrecord-tracker: the database refused to write because it or the connection is"
                + " read-only (ERROR: cannot execute DELETE in a read-only transaction); point"
                + " --jdbc-url at a read-write database, not a replica\n");
  }

  @Test
  void abandon_on_the_standby_fails_as_read_only_and_changes_nothing() {
    Cli.Result r = cli("abandon", "--batch", "OLD-1", "--reason", "cancelled send");
    assertThat(r.code()).as(r.toString()).isEqualTo(74);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .as(r.toString())
        .endsWith(
            "\nrecord-tracker: the database refused to write because it or the connection is"
                + " read-only (ERROR: cannot execute UPDATE in a read-only transaction); point"
                + " --jdbc-url at a read-write database, not a replica\n");
    assertThat(seed.tracker.batch(BatchId.of("OLD-1")).orElseThrow().isAbandoned()).isFalse();
  }

  @Test
  void monitor_once_on_the_standby_reports_the_incomplete_batch() {
    Cli.Result r = cli("monitor", "--once", "--grace", "1ms", "--json");
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    // EDI-2 is complete, but its completion is recorded only by a reconcile on the primary, so
    // the standby's monitor still looks at it each round: 3 batches looked at, 2 findings.
    assertThat(r.out())
        .contains("\"incompleteBatches\":3,\"findings\":[{\"kind\":\"overdue\"")
        .contains("\"missingRanges\":[[100,199],[500,500]]")
        .contains("\"missingRanges\":[[999,999]]")
        .contains("\"id\":\"EDI-1\"")
        .contains("\"id\":\"OLD-1\"")
        .doesNotContain("EDI-2");
  }

  private static void awaitOnStandby(BatchId batch) throws Exception {
    try (JdbcTrackerStore standby =
        JdbcTrackerStore.builder(new DriverManagerDataSource(pg.standbyUrl(), null, null))
            .tablePrefix(PREFIX)
            .build()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (standby.findBatch(batch).isEmpty()
          || standby.load(batch, io.recordtracker.Stage.PROCESSED).isEmpty()) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("the standby did not replay " + batch + " in time");
        }
        Thread.sleep(20);
      }
    }
  }
}
