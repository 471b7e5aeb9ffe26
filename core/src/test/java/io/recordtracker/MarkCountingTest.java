package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The buffered-record count (which bounds memory and triggers flushes) counts each newly marked
 * record exactly once, whatever the shape of the mark call and the containers it lands in.
 */
class MarkCountingTest {

  private static RecordTracker trackerThatNeverFlushesOnItsOwn() {
    return RecordTracker.builder()
        .flushInterval(Duration.ofHours(1))
        .flushThreshold(Integer.MAX_VALUE)
        .maxBufferedRecords(Long.MAX_VALUE)
        .build();
  }

  @Test
  void range_marks_over_dense_and_sparse_containers_count_only_new_records() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    int size = 1_000_000;
    BitSet expected = new BitSet(size);
    try (RecordTracker tracker = trackerThatNeverFlushesOnItsOwn()) {
      BatchId id = BatchId.of("counting");
      tracker.openBatch(id, size);
      // Dense single marks turn the first containers into bitmap containers.
      for (int i = 0; i < 200_000; i++) {
        int r = random.nextInt(300_000);
        tracker.markProcessed(id, r);
        expected.set(r);
      }
      for (int i = 0; i < 2_000; i++) {
        int first = random.nextInt(size);
        int length = 1 + random.nextInt(i % 3 == 0 ? 200_000 : 5_000);
        int last = Math.min(size - 1, first + length - 1);
        tracker.markProcessed(id, RecordRange.of(first, last));
        expected.set(first, last + 1);
        assertThat(tracker.stats().bufferedRecords())
            .as("seed %d, after range %d-%d", seed, first, last)
            .isEqualTo(expected.cardinality());
      }
      assertThat(tracker.reconcile(id, Stage.PROCESSED, Stage.SENT).missingCount())
          .isEqualTo(expected.cardinality());
    }
  }

  @Test
  void int_array_mark_counts_new_records_and_leaves_the_callers_array_as_it_was() {
    try (RecordTracker tracker = trackerThatNeverFlushesOnItsOwn()) {
      BatchId id = BatchId.of("array-counting");
      tracker.openBatch(id, 200_000);
      tracker.markProcessed(id, RecordRange.of(70_000, 70_009));
      int[] records = {199_999, 5, 70_005, 65_536, 5, 131_072, 70_010, 0};
      int[] copy = records.clone();

      tracker.markProcessed(id, records);

      assertThat(records).containsExactly(copy);
      // 10 from the range, then 0, 5, 65536, 70010, 131072, 199999 are new.
      assertThat(tracker.stats().bufferedRecords()).isEqualTo(16);
    }
  }
}
