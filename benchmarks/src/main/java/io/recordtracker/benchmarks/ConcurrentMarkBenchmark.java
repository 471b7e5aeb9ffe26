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
 * A worker pool marking one batch: 1, 2, 4 and 8 threads each call {@code markProcessed(batch,
 * record)} in order through their own slice of one batch, through one {@link RecordTracker} on the
 * in-memory store with its default flush settings. Reports records per second summed over the
 * threads (JMH's throughput mode sums them), which is what a CIS's pool achieves together.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class ConcurrentMarkBenchmark {

  /** One tracker and one open batch, shared by the benchmark's threads. */
  @State(Scope.Benchmark)
  public static class Batch {
    @Param({"10000000"})
    public int batchSize;

    RecordTracker tracker;
    BatchId id;

    @Setup(Level.Trial)
    public void open() {
      tracker = RecordTracker.inMemory();
      id = BatchFixture.newBatchId("pool");
      tracker.openBatch(id, batchSize);
    }

    @TearDown(Level.Trial)
    public void close() {
      tracker.close();
    }
  }

  /** Where one thread is in its slice of the batch. */
  @State(Scope.Thread)
  public static class Slice {
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

  /** One marking thread. */
  @Benchmark
  @Threads(1)
  public void threads1(Batch batch, Slice slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Two marking threads on one batch. */
  @Benchmark
  @Threads(2)
  public void threads2(Batch batch, Slice slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Four marking threads on one batch. */
  @Benchmark
  @Threads(4)
  public void threads4(Batch batch, Slice slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Eight marking threads on one batch. */
  @Benchmark
  @Threads(8)
  public void threads8(Batch batch, Slice slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }
}
