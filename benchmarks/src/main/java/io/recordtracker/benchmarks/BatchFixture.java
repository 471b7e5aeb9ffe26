package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import java.util.BitSet;
import java.util.SplittableRandom;

/** Prepares batches in a tracker for the benchmarks: every record sent, a pattern processed. */
final class BatchFixture {

  private BatchFixture() {}

  /**
   * Opens batch {@code id} of {@code batchSize} records, marks all of them sent and every record
   * {@code pattern} does not leave out processed (one range mark per run), and flushes.
   */
  static void sentAndProcessed(
      RecordTracker tracker, BatchId id, int batchSize, GapPattern pattern) {
    tracker.openBatch(id, batchSize);
    if (batchSize > 0) {
      tracker.markSent(id, RecordRange.of(0, batchSize - 1));
    }
    markRuns(tracker, id, pattern.processed(batchSize));
    tracker.flush();
  }

  /** Marks every run of set bits of {@code records} processed, one range mark per run. */
  static void markRuns(RecordTracker tracker, BatchId id, BitSet records) {
    for (int first = records.nextSetBit(0); first >= 0; ) {
      int end = records.nextClearBit(first);
      tracker.markProcessed(id, RecordRange.of(first, end - 1));
      first = records.nextSetBit(end);
    }
  }

  /**
   * The set records of {@code records}, cut in chunks of {@code chunk} consecutive record numbers
   * (the last chunk may be shorter): chunk {@code i} holds the set records of {@code i*chunk ..
   * (i+1)*chunk-1}, ascending; a chunk with none is empty.
   */
  static int[][] chunks(BitSet records, int batchSize, int chunk) {
    int n = (batchSize + chunk - 1) / chunk;
    int[][] out = new int[n][];
    for (int i = 0; i < n; i++) {
      int from = i * chunk;
      out[i] =
          records.get(from, Math.min(batchSize, from + chunk)).stream()
              .map(r -> r + from)
              .toArray();
    }
    return out;
  }

  /** A random permutation of 0 .. n-1 (Fisher-Yates, fixed seed). */
  static int[] shuffled(int n, long seed) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A batch id unique within this run, readable in logs. */
  static BatchId newBatchId(String what) {
    return BatchId.of("bench-" + what + "-" + BatchId.generate().value());
  }
}
