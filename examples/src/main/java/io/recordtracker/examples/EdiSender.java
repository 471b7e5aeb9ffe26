package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EDI side: declares a batch before sending it, writes the file with a {@link
 * io.recordtracker.RecordStamp} on every record, and marks records sent as the transport confirms
 * each chunk. Resends exactly the ranges a reconciliation names.
 */
final class EdiSender {
  /** Records the transport confirms at a time. */
  static final int TRANSPORT_CHUNK = 10_000;

  private static final Logger log = LoggerFactory.getLogger("EDI");

  private final RecordTracker tracker;

  EdiSender(RecordTracker tracker) {
    this.tracker = tracker;
  }

  /** A batch as sent: its id and the file that carries it. */
  record Sent(BatchId batch, Path file, int records) {}

  /**
   * Opens a new batch of {@code records} records, writes it to a file in {@code dir} and marks
   * every record sent, chunk by chunk as the transport confirms. Returns once the sent marks are
   * durable.
   */
  Sent send(Path dir, int records, Map<String, String> attributes) throws IOException {
    BatchId batch = BatchId.generate();
    Path file = dir.resolve("customers-" + batch.value() + ".edi");
    Map<String, String> all = new LinkedHashMap<>(attributes);
    all.put("file", file.getFileName().toString());
    tracker.openBatch(batch, records, all); // declare before you send
    log.info("Opened batch {} of {} records, file {}", batch, IncidentReplay.count(records), file);

    Progress progress = new Progress(log, "sending", records);
    try (EdiFile.Writer out = new EdiFile.Writer(file, batch, records, records, EdiFile.FULL)) {
      for (int first = 0; first < records; first += TRANSPORT_CHUNK) {
        int last = Math.min(records, first + TRANSPORT_CHUNK) - 1;
        for (int r = first; r <= last; r++) {
          out.write(r);
        }
        out.confirm();
        tracker.markSent(batch, RecordRange.of(first, last));
        progress.add(last - first + 1L);
      }
    }
    tracker.flush();
    log.info("Sent batch {}: {} records marked sent", batch, IncidentReplay.count(records));
    return new Sent(batch, file, records);
  }

  /**
   * Writes a resend file holding only the records of {@code ranges}, each with its original stamp,
   * and marks them sent again (marking twice is harmless). Returns once the marks are durable.
   */
  Sent resend(BatchId batch, int expectedRecords, List<RecordRange> ranges, Path dir)
      throws IOException {
    Path file =
        dir.resolve(
            "customers-" + batch.value() + "-resend-" + System.currentTimeMillis() + ".edi");
    long count = ranges.stream().mapToLong(RecordRange::size).sum();
    long total = 0;
    try (EdiFile.Writer out =
        new EdiFile.Writer(file, batch, expectedRecords, count, EdiFile.RESEND)) {
      for (RecordRange range : ranges) {
        for (int r = range.first(); r <= range.last(); r++) {
          out.write(r);
        }
        out.confirm();
        tracker.markSent(batch, range);
        total += range.size();
      }
    }
    tracker.flush();
    log.info(
        "Resent {} records of batch {} in {} ranges, file {}",
        IncidentReplay.count(total),
        batch,
        ranges.size(),
        file);
    return new Sent(batch, file, (int) total);
  }
}
