package io.recordtracker.benchmarks;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The obvious, uncompressed computation of a reconciliation: the baseline the tracker is measured
 * against. Given the upstream and downstream marks as {@link BitSet}s, it computes the same three
 * range lists as {@code io.recordtracker.Reconciliation} (missing, absent upstream, unexpected), as
 * ascending {@code (first, last)} pairs, with word-parallel {@code andNot} and {@code
 * nextSetBit}/{@code nextClearBit} scans. For dense data this is near the physical limit: it reads
 * each 64-bit word of the batch a few times and does nothing else.
 */
public final class BitSetReconciliation {

  private final int[] missing;
  private final int[] absentUpstream;
  private final int[] unexpected;

  private BitSetReconciliation(int[] missing, int[] absentUpstream, int[] unexpected) {
    this.missing = missing;
    this.absentUpstream = absentUpstream;
    this.unexpected = unexpected;
  }

  /** Reconciles {@code upstream} against {@code downstream} for a batch of {@code expected}. */
  public static BitSetReconciliation compute(BitSet upstream, BitSet downstream, int expected) {
    return compute(upstream, downstream, expected, new BitSet(expected));
  }

  /**
   * As {@link #compute(BitSet, BitSet, int)}, computing each difference in {@code scratch} (whose
   * content is overwritten) instead of a new set: at 10M records each set is 1.25 MB, which the JVM
   * allocates as a humongous object at an erratic cost that is not the computation's. Neither input
   * is modified.
   */
  public static BitSetReconciliation compute(
      BitSet upstream, BitSet downstream, int expected, BitSet scratch) {
    scratch.clear();
    scratch.or(upstream);
    scratch.andNot(downstream);
    int[] missing = ranges(scratch);

    scratch.clear();
    scratch.or(upstream);
    scratch.flip(0, expected);
    scratch.clear(expected, Math.max(expected, scratch.length()));
    int[] absent = ranges(scratch);

    scratch.clear();
    scratch.or(downstream);
    scratch.andNot(upstream);
    int[] unexpected = ranges(scratch);
    return new BitSetReconciliation(missing, absent, unexpected);
  }

  /** The maximal runs of set bits of {@code bits}, as ascending (first, last) pairs. */
  public static int[] ranges(BitSet bits) {
    int[] pairs = new int[16];
    int n = 0;
    for (int first = bits.nextSetBit(0); first >= 0; ) {
      int end = bits.nextClearBit(first);
      if (n == pairs.length) {
        pairs = Arrays.copyOf(pairs, n * 2);
      }
      pairs[n++] = first;
      pairs[n++] = end - 1;
      first = end == Integer.MAX_VALUE ? -1 : bits.nextSetBit(end);
    }
    return Arrays.copyOf(pairs, n);
  }

  /** Missing ranges (upstream, not downstream) as (first, last) pairs. */
  public int[] missing() {
    return missing.clone();
  }

  /** Records never marked upstream, as (first, last) pairs. */
  public int[] absentUpstream() {
    return absentUpstream.clone();
  }

  /** Records marked downstream but never upstream, as (first, last) pairs. */
  public int[] unexpected() {
    return unexpected.clone();
  }

  /** The number of missing ranges. */
  public int missingRanges() {
    return missing.length / 2;
  }
}
