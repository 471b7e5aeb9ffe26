package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Drives random marks through the public API and compares every range list and count with the
 * obvious computation on {@link BitSet}s. Prints its seed; rerun a failure with {@code
 * -Drecordtracker.seed=<seed>}.
 *
 * <p>High record numbers (up to {@code Integer.MAX_VALUE - 1}) are covered by marking only within a
 * window at the top of the batch: the model's bit {@code i} stands for record {@code base + i}.
 */
class ReconcileDifferentialTest {

  private static final int CASES = 3_000;
  private static final int CONTAINER = 1 << 16;

  private final RecordTracker tracker =
      RecordTracker.builder().flushInterval(Duration.ofHours(1)).build();

  @AfterEach
  void close() {
    tracker.close();
  }

  @Test
  void reconcile_matches_bitset_model_on_random_cases() {
    long seed = Long.getLong("recordtracker.seed", System.nanoTime());
    System.out.println("ReconcileDifferentialTest seed: " + seed);
    Random random = new Random(seed);
    // A custom stage is declared before it is reconciled (else a batch not marked there is a typo).
    tracker.declareStages(Stage.of("received"));
    for (int c = 0; c < CASES; c++) {
      try {
        runCase(random, c);
      } catch (AssertionError e) {
        throw new AssertionError(
            "case " + c + " failed with seed " + seed + ": " + e.getMessage(), e);
      }
    }
  }

  private void runCase(Random random, int caseNo) {
    int expected;
    int base;
    switch (random.nextInt(6)) {
      case 0:
        expected = random.nextInt(2); // empty and one-record batches
        base = 0;
        break;
      case 1:
        expected = 1 + random.nextInt(200);
        base = 0;
        break;
      case 2:
      case 3:
        // Around container boundaries: 1-5 containers, often ending just off a boundary.
        expected =
            CONTAINER * (1 + random.nextInt(4))
                + random.nextInt(3)
                - 1
                + random.nextInt(2) * random.nextInt(CONTAINER);
        base = 0;
        break;
      case 4:
        expected = Integer.MAX_VALUE; // the highest record number is MAX_VALUE - 1
        base = Integer.MAX_VALUE - (1 + random.nextInt(3 * CONTAINER));
        break;
      default:
        expected = 100_000 + random.nextInt(900_000);
        base = 0;
        break;
    }
    int window = expected - base;
    BatchId id = BatchId.of("diff-" + caseNo);
    tracker.openBatch(id, expected);
    Stage[] stages = {Stage.SENT, Stage.PROCESSED, Stage.of("received")};
    BitSet[] model = {new BitSet(), new BitSet(), new BitSet()};
    if (window > 0) {
      int operations = random.nextInt(40);
      for (int op = 0; op < operations; op++) {
        int s = random.nextInt(3);
        markRandom(random, id, stages[s], model[s], base, window);
        if (random.nextInt(10) == 0) {
          tracker.flush(); // marks then come partly from the store, partly from buffers
        }
      }
    }
    int up = random.nextInt(3);
    int down = (up + 1 + random.nextInt(2)) % 3;
    Reconciliation r = tracker.reconcile(id, stages[up], stages[down]);

    BitSet missing = (BitSet) model[up].clone();
    missing.andNot(model[down]);
    BitSet unexpected = (BitSet) model[down].clone();
    unexpected.andNot(model[up]);
    BitSet absent = new BitSet();
    absent.set(0, window);
    absent.andNot(model[up]);

    assertThat(r.missing()).as("missing").isEqualTo(ranges(missing, base, false));
    assertThat(r.unexpected()).as("unexpected").isEqualTo(ranges(unexpected, base, false));
    assertThat(r.absentUpstream()).as("absentUpstream").isEqualTo(ranges(absent, base, base > 0));
    assertThat(r.missingCount()).isEqualTo(missing.cardinality());
    assertThat(r.unexpectedCount()).isEqualTo(unexpected.cardinality());
    assertThat(r.absentUpstreamCount()).isEqualTo((long) base + absent.cardinality());
    assertThat(r.isComplete())
        .isEqualTo(missing.isEmpty() && unexpected.isEmpty() && absent.isEmpty() && base == 0);

    // The resend API answers record by record what the ranges say.
    assertThat(r.missingRecords().toArray())
        .as("missingRecords")
        .isEqualTo(missing.stream().map(i -> base + i).toArray());
    for (int probe = 0; probe < 20 && window > 0; probe++) {
      int i = random.nextInt(window);
      assertThat(r.isMissing(base + i)).as("isMissing(%d)", base + i).isEqualTo(missing.get(i));
      assertThat(r.resendPlan().includes(base + i)).isEqualTo(missing.get(i));
    }
    assertThat(r.resendPlan().ranges()).isEqualTo(r.missing());
    assertThat(r.resendPlan().recordCount()).isEqualTo(r.missingCount());
  }

  private void markRandom(
      Random random, BatchId id, Stage stage, BitSet model, int base, int window) {
    switch (random.nextInt(4)) {
      case 0:
        {
          int r = random.nextInt(window);
          tracker.mark(id, stage, base + r);
          model.set(r);
          break;
        }
      case 1:
        {
          // A range, often crossing a container boundary.
          int first = random.nextInt(window);
          int maxLength = window - first;
          int length =
              1 + random.nextInt(Math.min(maxLength, random.nextBoolean() ? 100 : 3 * CONTAINER));
          tracker.mark(id, stage, RecordRange.of(base + first, base + first + length - 1));
          model.set(first, first + length);
          break;
        }
      case 2:
        {
          // An array in any order with duplicates; dense enough sometimes to make bitmap
          // containers.
          int n = 1 + random.nextInt(random.nextBoolean() ? 50 : 6_000);
          int span = 1 + random.nextInt(window);
          int start = random.nextInt(window - span + 1);
          int[] records = new int[n];
          for (int i = 0; i < n; i++) {
            int r = start + random.nextInt(span);
            records[i] = base + r;
            model.set(r);
          }
          tracker.mark(id, stage, records);
          break;
        }
      default:
        {
          // Every other record over a stretch: many small ranges inside bitmap containers.
          int first = random.nextInt(window);
          int last = Math.min(window - 1, first + random.nextInt(2 * CONTAINER));
          List<Integer> odd = new ArrayList<>();
          for (int r = first; r <= last; r += 2) {
            odd.add(base + r);
            model.set(r);
          }
          tracker.mark(id, stage, odd.stream().mapToInt(Integer::intValue).toArray());
          break;
        }
    }
  }

  /** The maximal ranges of {@code bits}, offset by {@code base}; optionally led by 0..base-1. */
  private static List<RecordRange> ranges(BitSet bits, int base, boolean withPrefix) {
    List<RecordRange> out = new ArrayList<>();
    int from = bits.nextSetBit(0);
    if (withPrefix) {
      if (from == 0) {
        int end = bits.nextClearBit(0);
        out.add(RecordRange.of(0, base + end - 1));
        from = bits.nextSetBit(end);
      } else {
        out.add(RecordRange.of(0, base - 1));
      }
    }
    while (from >= 0) {
      int end = bits.nextClearBit(from);
      out.add(RecordRange.of(base + from, base + end - 1));
      from = bits.nextSetBit(end);
    }
    return out;
  }
}
