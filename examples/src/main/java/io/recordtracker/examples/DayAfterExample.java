package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import java.util.Map;
import java.util.PrimitiveIterator;
import java.util.stream.IntStream;

/**
 * The day after an incident: a sender that streams from a database cursor declares its batch before
 * it knows the count and seals it at the end, and after a resend that overlapped records already
 * processed the reconciliation says which were processed twice. The README shows the part between
 * the markers. Run: {@code java -cp examples/target/incident-replay.jar
 * io.recordtracker.examples.DayAfterExample}
 */
public final class DayAfterExample {

  private DayAfterExample() {}

  /**
   * Streams 1,000 records, processes 0-599, resends 500-999: prints {@code complete: true,
   * processed twice: [500-599]}.
   *
   * @param args none
   */
  public static void main(String[] args) {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      PrimitiveIterator.OfInt cursor = IntStream.range(0, 1_000).iterator();
      // begin README
      // EDI streams from a cursor: declare the batch now, seal it when the cursor is done.
      BatchId batch = BatchId.generate();
      tracker.openBatch(batch, Map.of("file", "customers-2019-06-08.edi"));
      int count = 0;
      while (cursor.hasNext()) {
        tracker.markSent(batch, cursor.nextInt()); // record numbers 0, 1, 2, ...
        count++;
      }
      tracker.seal(batch, count); // from now on, a file cut short shows as never sent

      // CIS processed 0-599 before a patch stopped it; the team resent 500-999 anyway.
      tracker.markProcessed(batch, RecordRange.of(0, 599));
      tracker.markProcessed(batch, RecordRange.of(500, 999));

      Reconciliation r = tracker.reconcile(batch); // repeated(): the records processed twice
      System.out.println("complete: " + r.isComplete() + ", processed twice: " + r.repeated());
      // end README
    }
  }
}
