package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reconciliation inside a job that already runs on a schedule: each run judges the batches that
 * settled, alerts once per discrepancy and prints the report as JSON (what a Slack webhook or a
 * ticket would get). Run: {@code java -cp examples/target/incident-replay.jar
 * io.recordtracker.examples.ReconciliationJobExample}
 */
public final class ReconciliationJobExample {
  private ReconciliationJobExample() {}

  /**
   * Two batches, one complete and one with gaps; a job every 500 ms, for 3 seconds.
   *
   * @param args none
   * @throws InterruptedException if interrupted while the job runs
   */
  public static void main(String[] args) throws InterruptedException {
    try (RecordTracker tracker =
        RecordTracker.builder().flushInterval(Duration.ofMillis(100)).build()) {
      BatchId complete = BatchId.generate();
      tracker.openBatch(complete, 5_000, Map.of("file", "complete.edi"));
      tracker.markSent(complete, RecordRange.of(0, 4_999));
      tracker.markProcessed(complete, RecordRange.of(0, 4_999));

      BatchId gaps = BatchId.generate();
      tracker.openBatch(gaps, 5_000, Map.of("file", "gaps.edi"));
      tracker.markSent(gaps, RecordRange.of(0, 4_999));
      tracker.markProcessed(gaps, RecordRange.of(0, 1_999));
      tracker.markProcessed(gaps, RecordRange.of(3_000, 4_998));

      ReconciliationJob job =
          new ReconciliationJob(
              tracker,
              List.of(Stage.SENT, Stage.PROCESSED),
              Duration.ofMillis(500), // settled: no mark for 500 ms (minutes in production)
              Duration.ofHours(24), // look at batches marked in the last day
              Map.of(),
              finding -> System.out.println(finding.sentToProcessed().toJson()));
      ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
      scheduler.scheduleWithFixedDelay(job, 0, 500, TimeUnit.MILLISECONDS);
      Thread.sleep(3_000); // the job alerts once for gaps.edi, not at every run
      scheduler.shutdown();
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
