package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/**
 * Eight threads marking one (batch, stage), each on its own stripe of its buffer, with flushes and
 * a close racing them: the guarantees of a single buffer must hold for the striped one.
 */
class StripedMarkingTest {

  private static final int THREADS = 8;
  private static final int BATCH = 1_000_000;

  /**
   * What each thread marks, in order: its own residue class shuffled, and every fifth mark a record
   * of the next thread's class too, so that records land on several stripes.
   */
  private static int[][] sequences(long seed) {
    int[][] out = new int[THREADS][];
    SplittableRandom random = new SplittableRandom(seed);
    for (int t = 0; t < THREADS; t++) {
      int own = BATCH / THREADS;
      int[] seq = new int[own + own / 5];
      int k = 0;
      for (int i = 0; i < own; i++) {
        seq[k++] = i * THREADS + t;
        if (i % 5 == 4) {
          seq[k++] = random.nextInt(own) * THREADS + (t + 1) % THREADS;
        }
      }
      for (int i = seq.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int x = seq[i];
        seq[i] = seq[j];
        seq[j] = x;
      }
      out[t] = seq;
    }
    return out;
  }

  /** The records of every thread's first {@code done[t]} marks. */
  private static RoaringBitmap returned(int[][] seqs, int[] done) {
    RoaringBitmap out = new RoaringBitmap();
    for (int t = 0; t < THREADS; t++) {
      for (int i = 0; i < done[t]; i++) {
        out.add(seqs[t][i]);
      }
    }
    return out;
  }

  private static int[] snapshot(AtomicIntegerArray progress) {
    int[] out = new int[THREADS];
    for (int t = 0; t < THREADS; t++) {
      out[t] = progress.get(t);
    }
    return out;
  }

  @Test
  void eight_markers_a_flush_caller_and_a_close_lose_nothing_that_returned() throws Exception {
    for (int round = 0; round < 5; round++) {
      int[][] seqs = sequences(round);
      FlakyStore store = new FlakyStore();
      RecordTracker tracker =
          RecordTracker.builder()
              .store(store)
              .flushInterval(Duration.ofMillis(2))
              .flushThreshold(50_000)
              .build();
      BatchId id = BatchId.of("striped-" + round);
      tracker.openBatch(id, BATCH);
      AtomicIntegerArray progress = new AtomicIntegerArray(THREADS);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
      CountDownLatch started = new CountDownLatch(THREADS);
      List<Future<?>> markers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        markers.add(
            pool.submit(
                () -> {
                  started.countDown();
                  for (int record : seqs[thread]) {
                    try {
                      tracker.markProcessed(id, record);
                    } catch (IllegalStateException closed) {
                      return null;
                    }
                    progress.incrementAndGet(thread);
                  }
                  return null;
                }));
      }
      started.await();
      // A flush caller: every mark that returned before flush() was called is durable after.
      Future<Integer> flushes =
          pool.submit(
              () -> {
                int checked = 0;
                while (checked < 3) {
                  int[] before = snapshot(progress);
                  try {
                    tracker.flush();
                  } catch (IllegalStateException closed) {
                    break;
                  }
                  RoaringBitmap missing =
                      RoaringBitmap.andNot(
                          returned(seqs, before), store.delegate.load(id, Stage.PROCESSED));
                  assertThat(missing.getLongCardinality())
                      .as("marks returned before flush() but not durable after it")
                      .isZero();
                  checked++;
                }
                return checked;
              });
      assertThat(flushes.get(2, TimeUnit.MINUTES)).isEqualTo(3);
      tracker.close();
      int[] done = snapshot(progress);
      for (Future<?> marker : markers) {
        marker.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();

      RoaringBitmap stored = store.delegate.load(id, Stage.PROCESSED);
      assertThat(RoaringBitmap.andNot(returned(seqs, done), stored).getLongCardinality())
          .as("round %d: marks that returned before close but are not stored", round)
          .isZero();
      // Nothing is stored that was not marked: stored is within what the threads were asked to.
      assertThat(RoaringBitmap.andNot(stored, returned(seqs, snapshot(progress))).isEmpty())
          .as("round %d: stored records no thread marked", round)
          .isTrue();
    }
  }

  @Test
  void reconcile_sees_every_mark_of_every_stripe_while_flushes_run() throws Exception {
    int[][] seqs = sequences(7);
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(new FlakyStore())
            .flushInterval(Duration.ofMillis(1))
            .flushThreshold(10_000)
            .build()) {
      BatchId id = BatchId.of("striped-reconcile");
      tracker.openBatch(id, BATCH);
      AtomicIntegerArray progress = new AtomicIntegerArray(THREADS);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> markers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        markers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 50_000; i++) {
                    tracker.markProcessed(id, seqs[thread][i]);
                    progress.incrementAndGet(thread);
                  }
                }));
      }
      for (int check = 0; check < 20; check++) {
        RoaringBitmap before = returned(seqs, snapshot(progress));
        Reconciliation r = tracker.reconcile(id, Stage.SENT, Stage.PROCESSED);
        RoaringBitmap seen = new RoaringBitmap();
        for (RecordRange range : r.unexpected()) {
          seen.add((long) range.first(), (long) range.last() + 1);
        }
        assertThat(RoaringBitmap.andNot(before, seen).getLongCardinality())
            .as("check %d: marks that returned before reconcile() but it did not see", check)
            .isZero();
      }
      for (Future<?> marker : markers) {
        marker.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
      tracker.flush();
      assertThat(tracker.stats().bufferedRecords()).isZero();
      assertThat(tracker.reconcile(id, Stage.SENT, Stage.PROCESSED).unexpectedCount())
          .isEqualTo(returned(seqs, snapshot(progress)).getLongCardinality());
    }
  }

  @Test
  void markers_block_at_the_bound_within_a_chunk_per_stripe_and_lose_nothing() throws Exception {
    int bound = 20_000;
    FlakyStore store = new FlakyStore();
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(5))
            .flushThreshold(bound / 2)
            .maxBufferedRecords(bound)
            .build()) {
      BatchId id = BatchId.of("striped-bound");
      tracker.openBatch(id, BATCH);
      store.down = true;
      AtomicLong returned = new AtomicLong();
      List<CompletableFuture<Void>> markers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        markers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < 10_000; i++) {
                    tracker.markProcessed(id, i * THREADS + thread);
                    returned.incrementAndGet();
                  }
                }));
      }
      // Each marking thread gets past the bound by one call at most, and each stripe holds back
      // less than one chunk of its count from the shared total.
      long publishEvery = Math.max(1, Math.min(1024, (bound / 2) / (64L * StageBuffer.STRIPES)));
      long slack = (long) StageBuffer.STRIPES * publishEvery + THREADS;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (returned.get() < bound && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(returned.get())
          .as("marks returned while the store was down")
          .isBetween((long) bound - slack, (long) bound + slack);
      // Still blocked after the flusher has retried several times.
      int failed = store.failedMerges.get();
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (store.failedMerges.get() < failed + 3 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(store.failedMerges.get())
          .as("flushes retried meanwhile")
          .isGreaterThan(failed + 2);
      assertThat(returned.get()).isLessThanOrEqualTo(bound + slack);

      store.down = false;
      CompletableFuture.allOf(markers.toArray(new CompletableFuture<?>[0]))
          .get(2, TimeUnit.MINUTES);
      tracker.flush();
      RoaringBitmap expected = new RoaringBitmap();
      expected.add(0L, (long) THREADS * 10_000);
      assertThat(store.delegate.load(id, Stage.PROCESSED)).isEqualTo(expected);
      assertThat(tracker.stats().bufferedRecords()).isZero();
    }
  }
}
