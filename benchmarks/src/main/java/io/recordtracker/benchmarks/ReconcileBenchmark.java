package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code tracker.reconcile(id)} in memory against the uncompressed {@link BitSetReconciliation} of
 * the same marks, in the same run. The batch is fully sent; {@code pattern} decides which records
 * are never processed. Marks are flushed to the in-memory store in setup, so reconcile loads them
 * from the store (a copy per stage), computes missing, absent-upstream and unexpected, and extracts
 * their ranges; the baseline does the same three computations on {@link BitSet}s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class ReconcileBenchmark {

  /** A tracker holding one prepared batch, and the same marks as bit sets. */
  @State(Scope.Benchmark)
  public static class Prepared {
    @Param({"100000", "1000000", "10000000"})
    public int batchSize;

    @Param({"NONE", "ONE_GAP", "FEW_GAPS", "RANDOM_1PCT", "RANDOM_1PCT_PLUS_GAP", "EVERY_OTHER"})
    public GapPattern pattern;

    RecordTracker tracker;
    BatchId id;
    BitSet sent;
    BitSet processed;
    BitSet scratch;

    @Setup(Level.Trial)
    public void prepare() {
      tracker = RecordTracker.inMemory();
      id = BatchFixture.newBatchId("reconcile");
      BatchFixture.sentAndProcessed(tracker, id, batchSize, pattern);
      sent = new BitSet(batchSize);
      sent.set(0, batchSize);
      processed = pattern.processed(batchSize);
      scratch = new BitSet(batchSize);
      long expectedMissing = pattern.holes(batchSize).cardinality();
      long found = tracker.reconcile(id).missingCount();
      if (found != expectedMissing) {
        throw new IllegalStateException(
            "prepared batch is wrong: " + found + " missing, expected " + expectedMissing);
      }
    }

    @TearDown(Level.Trial)
    public void close() {
      tracker.close();
    }
  }

  /** The library: load both stages from the store, reconcile, extract ranges. */
  @Benchmark
  public Reconciliation tracker(Prepared s) {
    return s.tracker.reconcile(s.id);
  }

  /**
   * The baseline: the same three range lists from uncompressed bit sets already in memory, each
   * difference computed in a reused scratch set.
   */
  @Benchmark
  public BitSetReconciliation bitSet(Prepared s) {
    return BitSetReconciliation.compute(s.sent, s.processed, s.batchSize, s.scratch);
  }
}
