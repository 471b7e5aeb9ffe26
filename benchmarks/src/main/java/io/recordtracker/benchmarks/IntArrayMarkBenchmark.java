package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordTracker;
import java.util.Arrays;
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
 * The cost of one {@code markProcessed(batch, int[])} of {@code arraySize} distinct records in
 * random order, from a batch of {@code batchSize}. Calls rotate through four disjoint arrays (a
 * random permutation of the batch cut in slices), so each call marks records the buffer does not
 * hold yet, and the background flusher runs as in production (the default threshold is a million
 * records).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class IntArrayMarkBenchmark {

  private static final int ARRAYS = 4;

  /** One tracker with one open batch and the arrays to mark. */
  @State(Scope.Thread)
  public static class Arrays4 {
    @Param({"10000000"})
    public int batchSize;

    @Param({"1000000"})
    public int arraySize;

    RecordTracker tracker;
    BatchId id;
    int[][] arrays;
    int next;

    @Setup(Level.Trial)
    public void open() {
      if ((long) arraySize * ARRAYS > batchSize) {
        throw new IllegalArgumentException(
            "4 x arraySize " + arraySize + " exceeds batchSize " + batchSize);
      }
      tracker = RecordTracker.inMemory();
      id = BatchFixture.newBatchId("array");
      tracker.openBatch(id, batchSize);
      int[] permutation = BatchFixture.shuffled(batchSize, 7);
      arrays = new int[ARRAYS][];
      for (int i = 0; i < ARRAYS; i++) {
        arrays[i] = Arrays.copyOfRange(permutation, i * arraySize, (i + 1) * arraySize);
      }
    }

    @TearDown(Level.Trial)
    public void close() {
      tracker.close();
    }
  }

  /** One array of records per call. */
  @Benchmark
  public void randomRecords(Arrays4 s) {
    s.tracker.markProcessed(s.id, s.arrays[s.next++ & (ARRAYS - 1)]);
  }
}
