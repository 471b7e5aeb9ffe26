package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/** Closing and cache eviction racing with marks and reconciles. */
class LifecycleRaceTest {

  @Test
  void every_mark_that_returned_before_close_is_in_the_store_and_later_ones_throw()
      throws Exception {
    for (int round = 0; round < 20; round++) {
      FlakyStore store = new FlakyStore();
      RecordTracker tracker =
          RecordTracker.builder().store(store).flushInterval(Duration.ofMillis(1)).build();
      BatchId id = BatchId.of("closing-" + round);
      tracker.openBatch(id, 1_000_000);
      int threads = 4;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch started = new CountDownLatch(threads);
      List<Future<RoaringBitmap>> marked = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        marked.add(
            pool.submit(
                () -> {
                  RoaringBitmap returned = new RoaringBitmap();
                  started.countDown();
                  for (int r = thread; r < 1_000_000; r += threads) {
                    try {
                      tracker.markProcessed(id, r);
                    } catch (IllegalStateException closed) {
                      return returned;
                    }
                    returned.add(r);
                  }
                  return returned;
                }));
      }
      started.await();
      Thread.sleep(new Random(round).nextInt(5));
      tracker.close();
      RoaringBitmap returned = new RoaringBitmap();
      for (Future<RoaringBitmap> f : marked) {
        returned.or(f.get(1, TimeUnit.MINUTES));
      }
      pool.shutdown();
      RoaringBitmap stored = store.delegate.load(id, Stage.PROCESSED);
      assertThat(RoaringBitmap.andNot(returned, stored).isEmpty())
          .as("round %d: marks that returned but are not stored", round)
          .isTrue();
    }
  }

  @Test
  void evicting_idle_batches_never_hides_a_mark_from_reconcile() throws Exception {
    FlakyStore store = new FlakyStore();
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(1))
            .maxCachedBatches(4)
            .build()) {
      int batches = 40;
      for (int b = 0; b < batches; b++) {
        tracker.openBatch(BatchId.of("evict-" + b), 10_000);
      }
      Stage received = Stage.of("received");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  Random random = new Random(thread);
                  for (int i = 0; i < 3_000; i++) {
                    BatchId id = BatchId.of("evict-" + random.nextInt(batches));
                    Stage stage = random.nextBoolean() ? received : Stage.SENT;
                    int record = thread * 2_500 + random.nextInt(2_500);
                    tracker.mark(id, stage, record);
                    Reconciliation r = tracker.reconcile(id, stage, Stage.PROCESSED);
                    boolean seen = false;
                    for (RecordRange range : r.missing()) {
                      seen |= range.contains(record);
                    }
                    assertThat(seen)
                        .as("mark %s/%d at %s seen by the next reconcile", id, record, stage)
                        .isTrue();
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
    }
  }

  @Test
  void in_flight_counts_batches_opened_in_the_window_and_unflushed_local_marks() {
    SettableClock clock = new SettableClock(Instant.parse("2026-11-25T09:00:00Z"));
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(new FlakyStore())
            .clock(clock)
            .flushInterval(Duration.ofHours(1))
            .build()) {
      BatchId justOpened = BatchId.of("just-opened");
      BatchId oldButBusy = BatchId.of("old-but-busy");
      BatchId oldAndIdle = BatchId.of("old-and-idle");
      tracker.openBatch(oldButBusy, 10);
      tracker.openBatch(oldAndIdle, 10);
      clock.advance(Duration.ofHours(2));
      tracker.openBatch(justOpened, 10);
      tracker.markSent(oldButBusy, 3); // buffered here, not flushed: the store knows nothing

      assertThat(tracker.inFlight(Duration.ofMinutes(10)))
          .extracting(BatchInfo::id)
          .containsExactlyInAnyOrder(justOpened, oldButBusy);
    }
  }
}
