package io.recordtracker.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every JMH benchmark once, in this JVM, at the smallest sizes, so that the benchmarks keep
 * compiling, set up and run in every build. Measures nothing: a 50 ms iteration on a shared CI
 * machine says nothing about speed.
 */
class BenchmarkSmokeTest {

  /** Every benchmark method of the module; a new one must be added here to be smoke-tested. */
  private static final List<String> BENCHMARKS =
      List.of(
          "ConcurrentMarkBenchmark.threads1",
          "ConcurrentMarkBenchmark.threads2",
          "ConcurrentMarkBenchmark.threads4",
          "ConcurrentMarkBenchmark.threads8",
          "IntArrayMarkBenchmark.randomRecords",
          "JdbcBenchmark.flushChunk",
          "JdbcBenchmark.reconcile",
          "MarkBenchmark.randomOrder",
          "MarkBenchmark.sequential",
          "MarkBenchmark.sequentialTwoThreads",
          "RangeMarkBenchmark.range",
          "ReconcileBenchmark.bitSet",
          "ReconcileBenchmark.tracker");

  @Test
  void every_benchmark_runs_at_the_smallest_size() throws Exception {
    Options options = smallest().include("io\\.recordtracker\\.benchmarks\\.").build();

    Collection<RunResult> results = new Runner(options).run();

    TreeSet<String> ran = new TreeSet<>();
    for (RunResult result : results) {
      String name = result.getParams().getBenchmark();
      ran.add(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1));
      assertThat(result.getPrimaryResult().getScore()).as(name).isPositive().isFinite();
    }
    assertThat(ran).containsExactlyInAnyOrderElementsOf(BENCHMARKS);
    // Reconcile: 6 patterns x 2 methods; marking: 3 + 2 ranges + 1 array + 4 thread counts; JDBC:
    // 2 databases x (reconcile of 1 and of 10 delta rows + flush).
    assertThat(results).hasSize(12 + 3 + 2 + 1 + 4 + 2 * 3);
  }

  static OptionsBuilder smallest() {
    OptionsBuilder b = new OptionsBuilder();
    b.forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(50))
        .timeUnit(TimeUnit.MICROSECONDS)
        .shouldFailOnError(true)
        // In this JVM on purpose (forks(0)): JMH then prints two "non-forked runs" warnings per
        // run, 48 lines of noise on every build for a test that measures nothing. A failing
        // benchmark still fails the test through shouldFailOnError, with its exception.
        .verbosity(VerboseMode.SILENT)
        .param("batchSize", "100000")
        .param("rangeSize", "1", "1000")
        .param("arraySize", "10000")
        .param("chunk", "10000");
    return b;
  }
}
