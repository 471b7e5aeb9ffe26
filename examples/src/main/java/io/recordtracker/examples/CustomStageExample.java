package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;

/**
 * A custom stage between sent and processed tells at which hop records disappeared: here CIS marks
 * records {@code received} as it reads the file, so a gap between received and processed means "the
 * file arrived, the records were not processed", not "the file never came". Run: {@code java -cp
 * examples/target/incident-replay.jar io.recordtracker.examples.CustomStageExample}
 */
public final class CustomStageExample {
  /** Any name of 1-32 characters of [a-z0-9_-]; created by use, nothing to declare. */
  static final Stage RECEIVED = Stage.of("received");

  private CustomStageExample() {}

  /**
   * Sends 10,000 records, receives them all, processes all but 4,000-4,999 and record 7,777.
   *
   * @param args none
   */
  public static void main(String[] args) {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      BatchId batch = BatchId.generate();
      tracker.openBatch(batch, 10_000);
      tracker.markSent(batch, RecordRange.of(0, 9_999));
      tracker.mark(batch, RECEIVED, RecordRange.of(0, 9_999));
      tracker.markProcessed(batch, RecordRange.of(0, 3_999));
      tracker.markProcessed(batch, RecordRange.of(5_000, 7_776));
      tracker.markProcessed(batch, RecordRange.of(7_778, 9_999));

      Stage[] chain = {Stage.SENT, RECEIVED, Stage.PROCESSED};
      for (int i = 0; i + 1 < chain.length; i++) {
        Reconciliation hop = tracker.reconcile(batch, chain[i], chain[i + 1]);
        System.out.printf(
            "%-20s missing %,6d %s%n",
            chain[i] + "->" + chain[i + 1], hop.missingCount(), hop.missing());
      }
      // sent->received       missing      0 []
      // received->processed  missing  1,001 [4000-4999, 7777]
    }
  }
}
