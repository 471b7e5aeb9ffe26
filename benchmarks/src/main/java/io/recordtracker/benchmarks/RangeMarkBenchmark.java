package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
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
 * The cost of one {@code markProcessed(batch, range)} as the range grows from one record to a
 * million: the target is that it does not grow. Consecutive calls mark consecutive ranges, cycling
 * through a batch of {@code batchSize} records, through the in-memory store with default flushing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class RangeMarkBenchmark {

  /** One tracker with one open batch, and the next range to mark. */
  @State(Scope.Thread)
  public static class Ranges {
    @Param({"10000000"})
    public int batchSize;

    @Param({"1", "1000", "65536", "1000000"})
    public int rangeSize;

    RecordTracker tracker;
    BatchId id;
    int next;

    @Setup(Level.Trial)
    public void open() {
      if (rangeSize > batchSize) {
        throw new IllegalArgumentException(
            "rangeSize " + rangeSize + " exceeds batchSize " + batchSize);
      }
      tracker = RecordTracker.inMemory();
      id = BatchFixture.newBatchId("range");
      tracker.openBatch(id, batchSize);
    }

    RecordRange advance() {
      if (next > batchSize - rangeSize) {
        next = 0;
      }
      RecordRange range = RecordRange.of(next, next + rangeSize - 1);
      next += rangeSize;
      return range;
    }

    @TearDown(Level.Trial)
    public void close() {
      tracker.close();
    }
  }

  /** One range per call. */
  @Benchmark
  public void range(Ranges s) {
    s.tracker.markProcessed(s.id, s.advance());
  }
}
