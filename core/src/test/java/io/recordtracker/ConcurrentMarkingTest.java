package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

class ConcurrentMarkingTest {

  @Test
  void eight_threads_marking_one_batch_lose_nothing_while_flushes_and_reconciles_run()
      throws Exception {
    FlakyStore store = new FlakyStore();
    BatchId id = BatchId.of("concurrent");
    int n = 2_000_000;
    int threads = 8;
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(5))
            .flushThreshold(10_000)
            .maxBufferedRecords(200_000)
            .build()) {
      tracker.openBatch(id, n);
      ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
      CountDownLatch start = new CountDownLatch(1);
      RoaringBitmap[] expected = new RoaringBitmap[threads];
      List<Future<?>> futures = new ArrayList<>();
      AtomicBoolean marking = new AtomicBoolean(true);
      for (int t = 0; t < threads; t++) {
        int thread = t;
        expected[t] = new RoaringBitmap();
        futures.add(
            pool.submit(
                () -> {
                  Random random = new Random(thread);
                  start.await();
                  for (int i = 0; i < 20_000; i++) {
                    switch (i % 3) {
                      case 0:
                        {
                          // Disjoint per thread: stripes of the batch.
                          int r = (i * threads + thread) % n;
                          tracker.markProcessed(id, r);
                          expected[thread].add(r);
                          break;
                        }
                      case 1:
                        {
                          // Overlapping across threads.
                          int first = random.nextInt(n - 100);
                          tracker.markProcessed(id, RecordRange.of(first, first + 99));
                          expected[thread].add((long) first, first + 100L);
                          break;
                        }
                      default:
                        {
                          int[] some = random.ints(20, 0, n).toArray();
                          tracker.markProcessed(id, some);
                          expected[thread].add(some);
                          break;
                        }
                    }
                  }
                  return null;
                }));
      }
      Future<?> flaky =
          pool.submit(
              () -> {
                // The store fails now and then, and reconciles run alongside the marking.
                Random random = new Random(99);
                while (marking.get()) {
                  store.down = random.nextInt(4) == 0;
                  tracker.reconcile(id);
                  Thread.sleep(2);
                }
                store.down = false;
                return null;
              });
      start.countDown();
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
      marking.set(false);
      flaky.get(1, TimeUnit.MINUTES);
      pool.shutdown();

      tracker.flush();

      RoaringBitmap union = RoaringBitmap.or(expected);
      assertThat(store.delegate.load(id, Stage.PROCESSED)).isEqualTo(union);
      assertThat(tracker.stats().bufferedRecords()).isZero();
      assertThat(tracker.reconcile(id).unexpectedCount()).isEqualTo(union.getLongCardinality());
    }
  }
}
