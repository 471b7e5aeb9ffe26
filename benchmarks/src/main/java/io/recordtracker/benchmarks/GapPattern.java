package io.recordtracker.benchmarks;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Which records of a fully sent batch are never processed: the holes a reconciliation must find.
 * Every pattern is deterministic (a fixed seed), so a JMH fork, the size table and the comparison
 * program all see the same holes for the same batch size.
 */
public enum GapPattern {
  /** Every record processed: nothing missing. */
  NONE,
  /** One contiguous gap of 486,000 records starting at 30% of the batch (the incident). */
  ONE_GAP,
  /** Five gaps of 1% of the batch each, evenly spread. */
  FEW_GAPS,
  /** 1% of the records, chosen at random, each missing alone or in short runs. */
  RANDOM_1PCT,
  /** {@link #RANDOM_1PCT} plus the {@link #ONE_GAP} gap: the reconcile target. */
  RANDOM_1PCT_PLUS_GAP,
  /** Every odd record missing: the worst case, one range per two records. */
  EVERY_OTHER;

  /** The incident's gap: 486,000 records. */
  public static final int INCIDENT_GAP = 486_000;

  private static final long SEED = 0x5EED_0486_000L;

  /**
   * The records of a batch of {@code batchSize} that this pattern leaves unprocessed. The one gap
   * is 486,000 records, or a fifth of the batch when the batch is smaller than 2,430,000.
   */
  public BitSet holes(int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize must not be negative: " + batchSize);
    }
    BitSet holes = new BitSet(batchSize);
    switch (this) {
      case NONE:
        break;
      case ONE_GAP:
        addIncidentGap(holes, batchSize);
        break;
      case FEW_GAPS:
        for (int i = 0; i < 5; i++) {
          int start = (int) ((2L * i + 1) * batchSize / 10);
          holes.set(start, start + batchSize / 100);
        }
        break;
      case RANDOM_1PCT:
        addRandom(holes, batchSize);
        break;
      case RANDOM_1PCT_PLUS_GAP:
        addRandom(holes, batchSize);
        addIncidentGap(holes, batchSize);
        break;
      case EVERY_OTHER:
        for (int r = 1; r < batchSize; r += 2) {
          holes.set(r);
        }
        break;
      default:
        throw new AssertionError(this);
    }
    return holes;
  }

  /** The records processed: every record of the batch but the holes. */
  public BitSet processed(int batchSize) {
    BitSet processed = holes(batchSize);
    processed.flip(0, batchSize);
    return processed;
  }

  private static void addIncidentGap(BitSet holes, int batchSize) {
    int length = Math.min(INCIDENT_GAP, batchSize / 5);
    int start = (int) (3L * batchSize / 10);
    holes.set(start, start + length);
  }

  /** Exactly 1% of the records (rounded down), distinct, uniformly at random. */
  private static void addRandom(BitSet holes, int batchSize) {
    SplittableRandom random = new SplittableRandom(SEED ^ batchSize);
    int wanted = batchSize / 100;
    BitSet chosen = new BitSet(batchSize);
    int n = 0;
    while (n < wanted) {
      int r = random.nextInt(batchSize);
      if (!chosen.get(r)) {
        chosen.set(r);
        n++;
      }
    }
    holes.or(chosen);
  }
}
