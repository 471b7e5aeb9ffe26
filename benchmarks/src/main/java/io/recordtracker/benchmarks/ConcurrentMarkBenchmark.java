package io.recordtracker.benchmarks;

import io.recordtracker.RecordTracker;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A worker pool marking one batch: 1, 2, 4 and 8 threads each call {@code markProcessed(batch,
 * record)} in order through their own slice of one batch, through one {@link RecordTracker} on the
 * in-memory store with its default flush settings (the batch and the slices are {@link
 * MarkBenchmark}'s states). Reports records per second summed over the threads (JMH's throughput
 * mode sums them), which is what a CIS's pool achieves together.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class ConcurrentMarkBenchmark {

  /** One marking thread. */
  @Benchmark
  @Threads(1)
  public void threads1(MarkBenchmark.Batch batch, MarkBenchmark.Cursor slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Two marking threads on one batch. */
  @Benchmark
  @Threads(2)
  public void threads2(MarkBenchmark.Batch batch, MarkBenchmark.Cursor slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Four marking threads on one batch. */
  @Benchmark
  @Threads(4)
  public void threads4(MarkBenchmark.Batch batch, MarkBenchmark.Cursor slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }

  /** Eight marking threads on one batch. */
  @Benchmark
  @Threads(8)
  public void threads8(MarkBenchmark.Batch batch, MarkBenchmark.Cursor slice) {
    batch.tracker.markProcessed(batch.id, slice.advance());
  }
}
