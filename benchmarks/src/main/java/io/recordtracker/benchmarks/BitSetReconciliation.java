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
    BitSet missing = (BitSet) upstream.clone();
    missing.andNot(downstream);
    BitSet absent = (BitSet) upstream.clone();
    absent.flip(0, expected);
    absent.clear(expected, Math.max(expected, absent.length()));
    BitSet unexpected = (BitSet) downstream.clone();
    unexpected.andNot(upstream);
    return new BitSetReconciliation(ranges(missing), ranges(absent), ranges(unexpected));
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
