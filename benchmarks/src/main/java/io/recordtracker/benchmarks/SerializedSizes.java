package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.roaringbitmap.RoaringBitmap;

/**
 * Prints, for each batch size and {@link GapPattern}, how many bytes a fully sent batch's marks
 * take in Roaring's portable serialization after {@code runOptimize()} (the form the JDBC store
 * writes), and how many ranges its reconciliation reports. The marks go through a {@link
 * RecordTracker} into an in-memory store and are read back from the store.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.recordtracker.benchmarks.SerializedSizes \
 *     [comma-separated batch sizes, default 100000,1000000,10000000]
 * </pre>
 */
public final class SerializedSizes {

  private SerializedSizes() {}

  /** One row of the table. */
  record Row(
      int batchSize,
      GapPattern pattern,
      long missingRecords,
      int missingRanges,
      int sentBytes,
      int processedBytes) {

    int totalBytes() {
      return sentBytes + processedBytes;
    }
  }

  /** Prints the table for the batch sizes given (or the defaults). */
  public static void main(String[] args) {
    List<Integer> sizes = new ArrayList<>();
    String spec = args.length > 0 ? args[0] : "100000,1000000,10000000";
    for (String s : spec.split(",")) {
      sizes.add(Integer.parseInt(s.trim().replace("_", "")));
    }
    print(measure(sizes), System.out);
  }

  static List<Row> measure(List<Integer> sizes) {
    List<Row> rows = new ArrayList<>();
    for (int size : sizes) {
      for (GapPattern pattern : GapPattern.values()) {
        rows.add(measure(size, pattern));
      }
    }
    return rows;
  }

  static Row measure(int batchSize, GapPattern pattern) {
    TrackerStore store = TrackerStore.inMemory();
    try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
      BatchId id = BatchFixture.newBatchId("size");
      BatchFixture.sentAndProcessed(tracker, id, batchSize, pattern);
      Reconciliation r = tracker.reconcile(id);
      return new Row(
          batchSize,
          pattern,
          r.missingCount(),
          r.missing().size(),
          serializedBytes(store.load(id, Stage.SENT)),
          serializedBytes(store.load(id, Stage.PROCESSED)));
    }
  }

  static int serializedBytes(RoaringBitmap marks) {
    marks.runOptimize();
    return marks.serializedSizeInBytes();
  }

  static void print(List<Row> rows, PrintStream out) {
    out.println(
        "| batch size | pattern | missing records | missing ranges | sent bytes | processed bytes"
            + " | total bytes |");
    out.println("|---:|---|---:|---:|---:|---:|---:|");
    for (Row row : rows) {
      out.println(
          String.format(
              Locale.ROOT,
              "| %,d | %s | %,d | %,d | %,d | %,d | %,d |",
              row.batchSize(),
              row.pattern(),
              row.missingRecords(),
              row.missingRanges(),
              row.sentBytes(),
              row.processedBytes(),
              row.totalBytes()));
    }
  }
}
