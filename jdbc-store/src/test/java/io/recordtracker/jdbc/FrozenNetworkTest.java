package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.recordtracker.BatchId;
import io.recordtracker.CapturedStderr;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.TrackerStoreException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A network that freezes under pooled connections (the peer stops answering, nothing resets the
 * connection): the store's calls must fail within its query timeout plus a margin, not block for as
 * long as the freeze lasts, although the driver's cancel cannot reach the frozen connection.
 */
class FrozenNetworkTest {

  /** Far above the bound (about 2 x (1 s + 5 s) plus connection waits), far below "forever". */
  private static final long DEADLINE_SECONDS = 60;

  @Test
  void a_frozen_network_fails_flush_in_bounded_time_warns_once_and_loses_no_mark()
      throws Exception {
    BatchId id = BatchId.generate();
    ExecutorService caller =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "frozen-network-test-caller");
              t.setDaemon(true); // before the fix, a flush stays blocked until the thaw
              return t;
            });
    CapturedStderr captured = null;
    try (FreezingProxy proxy = new FreezingProxy(Databases.embeddedPostgresPort());
        SimplePool pool = new SimplePool(Databases.embeddedPostgresAt(proxy.port(), 2))) {
      RecordTracker tracker =
          RecordTracker.builder()
              .store(
                  JdbcTrackerStore.builder(pool)
                      .tablePrefix(Databases.PREFIX)
                      .queryTimeout(Duration.ofSeconds(1))
                      .build())
              .flushInterval(Duration.ofMillis(100))
              .build();
      Throwable frozenFlush;
      boolean healthyWhileFrozen;
      try {
        tracker.openBatch(id, 300);
        tracker.markSent(id, RecordRange.of(0, 299));
        tracker.markProcessed(id, RecordRange.of(0, 99));
        tracker.flush();
        captured = CapturedStderr.start();

        proxy.freeze();
        tracker.markProcessed(id, RecordRange.of(100, 199));
        // The background flusher alone must find out: its store call fails instead of blocking.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
        while (tracker.stats().storeHealthy() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(tracker.stats().storeHealthy())
            .as("storeHealthy() after the flusher's store call on a frozen network")
            .isFalse();
        // flush() waits for the flusher's store call in progress, if any, then fails its own.
        Future<?> flush = caller.submit(tracker::flush);
        frozenFlush = catchThrowable(() -> flush.get(DEADLINE_SECONDS, TimeUnit.SECONDS));
        healthyWhileFrozen = tracker.stats().storeHealthy();

        proxy.thaw();
        caller.submit(tracker::flush).get(DEADLINE_SECONDS, TimeUnit.SECONDS);
        assertThat(tracker.stats().storeHealthy()).isTrue();
      } finally {
        proxy.thaw();
        if (captured != null) {
          captured.close();
        }
        tracker.close();
      }

      assertThat(frozenFlush)
          .as("flush() on a frozen network must fail, not block")
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("merge of 1 deltas failed")
          .hasMessageContaining("the database is unreachable");
      assertThat(healthyWhileFrozen).isFalse();
      String log = captured.text();
      assertThat(captured.count("is failing;")).as(log).isEqualTo(1);
      assertThat(captured.count("is back after")).as(log).isEqualTo(1);
      assertThat(pool.changedTimeouts()).isEmpty();
    } finally {
      caller.shutdownNow();
    }

    try (RecordTracker reader =
        RecordTracker.builder()
            .store(
                JdbcTrackerStore.builder(Databases.embeddedPostgres())
                    .tablePrefix(Databases.PREFIX)
                    .build())
            .build()) {
      Reconciliation r = reader.reconcile(id);
      assertThat(r.missing()).containsExactly(RecordRange.of(200, 299));
      assertThat(r.absentUpstream()).isEmpty();
      assertThat(r.unexpected()).isEmpty();
    }
  }
}
