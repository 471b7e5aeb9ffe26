package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordStamp;
import io.recordtracker.RecordTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The send path (EDI): declare the batch before sending, stamp every outgoing record, mark records
 * sent when the transport confirms them. Run: {@code java -cp examples/target/incident-replay.jar
 * io.recordtracker.examples.SendPathExample}
 */
public final class SendPathExample {
  private SendPathExample() {}

  /**
   * Sends a batch of 2,500 records in chunks of 1,000 and shows what the tracker knows.
   *
   * @param args none
   */
  public static void main(String[] args) {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      BatchId batch = BatchId.generate();
      int records = 2_500;
      // 1. Declare the batch, with its size, before anything leaves: a batch that is never sent
      //    shows up as absent, not as nothing.
      tracker.openBatch(batch, records, Map.of("file", "customers-2026-11-25.edi"));

      for (int first = 0; first < records; first += 1_000) {
        int last = Math.min(records, first + 1_000) - 1;
        // 2. Stamp each record with "<batch>/<record>": the receiver marks it without a lookup.
        List<String> chunk = new ArrayList<>();
        for (int r = first; r <= last; r++) {
          chunk.add("REC|" + RecordStamp.of(batch, r) + "|customer " + r);
        }
        transport(chunk);
        // 3. The transport confirmed the chunk: mark its range sent (one call, any size).
        tracker.markSent(batch, RecordRange.of(first, last));
      }
      tracker.flush(); // durable before we report success

      System.out.println("Batch " + batch + ": " + tracker.reconcile(batch));
      System.out.println("Nothing processed yet, so every sent record is 'missing' for now:");
      System.out.println(tracker.reconcile(batch).toJson());
    }
  }

  private static void transport(List<String> chunk) {
    System.out.println(
        "sent " + chunk.size() + " records, first: " + chunk.get(0).substring(0, 40) + "...");
  }
}
