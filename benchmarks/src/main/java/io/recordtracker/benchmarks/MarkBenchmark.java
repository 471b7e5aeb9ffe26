package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The cost of one {@code markProcessed(batch, record)} on the caller's thread, through a {@link
 * RecordTracker} on the in-memory store with its default flush settings (the background flusher
 * drains the buffer every second or every million records, as in production).
 *
 * <p>Records are marked in order (sequential), in a fixed random permutation of the batch (random),
 * and from two threads that each mark their own half of the batch in order. Each benchmark cycles
 * through the batch, so after a flush the same records are marked again into a fresh buffer.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class MarkBenchmark {

  /** One tracker and one open batch, shared by the benchmark's threads. */
  @State(Scope.Benchmark)
  public static class Batch {
    @Param({"100000", "1000000", "10000000"})
    public int batchSize;

    RecordTracker tracker;
    BatchId id;
    int[] randomOrder;

    @Setup(Level.Trial)
    public void open() {
      tracker = RecordTracker.inMemory();
      id = BatchFixture.newBatchId("mark");
      tracker.openBatch(id, batchSize);
      randomOrder = BatchFixture.shuffled(batchSize, 42);
    }

    @TearDown(Level.Trial)
    public void close() {
      tracker.close();
    }
  }

  /** Where one thread is in its slice of the batch. */
  @State(Scope.Thread)
  public static class Cursor {
    int from;
    int to;
    int next;

    @Setup(Level.Trial)
    public void slice(Batch batch, ThreadParams threads) {
      long size = batch.batchSize;
      from = (int) (size * threads.getThreadIndex() / threads.getThreadCount());
      to = (int) (size * (threads.getThreadIndex() + 1) / threads.getThreadCount());
      next = from;
    }

    int advance() {
      int r = next;
      next = r + 1 == to ? from : r + 1;
      return r;
    }
  }

  /** One record per call, in record order. */
  @Benchmark
  public void sequential(Batch batch, Cursor cursor) {
    batch.tracker.markProcessed(batch.id, cursor.advance());
  }

  /** One record per call, in a random order of the whole batch. */
  @Benchmark
  public void randomOrder(Batch batch, Cursor cursor) {
    batch.tracker.markProcessed(batch.id, batch.randomOrder[cursor.advance()]);
  }

  /** One record per call from each of two threads, each in order through its half of the batch. */
  @Benchmark
  @Threads(2)
  public void sequentialTwoThreads(Batch batch, Cursor cursor) {
    batch.tracker.markProcessed(batch.id, cursor.advance());
  }
}
