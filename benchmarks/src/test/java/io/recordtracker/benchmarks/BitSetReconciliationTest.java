package io.recordtracker.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The baseline must compute what the tracker computes, or comparing their speed means nothing: for
 * each pattern, with records never sent and records processed but never sent mixed in, both give
 * the same three range lists.
 */
class BitSetReconciliationTest {

  @ParameterizedTest
  @EnumSource(GapPattern.class)
  void baseline_finds_the_same_ranges_as_the_tracker(GapPattern pattern) {
    int size = 200_003;
    SplittableRandom random = new SplittableRandom(pattern.ordinal());
    BitSet sent = new BitSet();
    sent.set(0, size);
    for (int i = 0; i < 500; i++) {
      int first = random.nextInt(size);
      sent.clear(first, Math.min(size, first + random.nextInt(300)));
    }
    BitSet processed = pattern.processed(size);

    try (RecordTracker tracker = RecordTracker.inMemory()) {
      BatchId id = BatchId.of("baseline-" + pattern.name().toLowerCase(java.util.Locale.ROOT));
      tracker.openBatch(id, size);
      for (int first = sent.nextSetBit(0); first >= 0; ) {
        int end = sent.nextClearBit(first);
        tracker.markSent(id, RecordRange.of(first, end - 1));
        first = sent.nextSetBit(end);
      }
      BatchFixture.markRuns(tracker, id, processed);
      Reconciliation r = tracker.reconcile(id);

      BitSetReconciliation b = BitSetReconciliation.compute(sent, processed, size);

      assertThat(b.missing()).containsExactly(pairs(r.missing()));
      assertThat(b.absentUpstream()).containsExactly(pairs(r.absentUpstream()));
      assertThat(b.unexpected()).containsExactly(pairs(r.unexpected()));
      assertThat(b.missingRanges()).isEqualTo(r.missing().size());
    }
  }

  private static int[] pairs(List<RecordRange> ranges) {
    int[] pairs = new int[ranges.size() * 2];
    for (int i = 0; i < ranges.size(); i++) {
      pairs[2 * i] = ranges.get(i).first();
      pairs[2 * i + 1] = ranges.get(i).last();
    }
    return pairs;
  }
}
