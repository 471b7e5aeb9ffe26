package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.ResendPlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EDI side: declares a batch before sending it, writes the file with a {@link
 * io.recordtracker.RecordStamp} on every record, and marks records sent as the transport confirms
 * each chunk. Resends exactly the records of a reconciliation's {@link ResendPlan}, filtering the
 * original file.
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
   * Writes a resend file holding only the records of {@code plan}, copied from the original file
   * (named by the batch's {@code file} attribute, in {@code dir}) with their original stamps, and
   * marks them sent again (marking twice is harmless). Returns once the marks are durable.
   *
   * @throws IllegalStateException if the original does not hold every record of the plan
   */
  /**
   * Resends the whole of {@code sent}'s file, as the postmortem's team did for want of knowing what
   * was missing: every record again, marked sent again (a resend, never a repeat at sent).
   */
  Sent resendWholeFile(Sent sent, Path dir) throws IOException {
    Path file =
        dir.resolve(
            "customers-" + sent.batch().value() + "-whole-" + System.currentTimeMillis() + ".edi");
    long copied = 0;
    try (EdiFile.Reader in = new EdiFile.Reader(sent.file());
        EdiFile.Writer out =
            new EdiFile.Writer(
                file,
                sent.batch(),
                in.header().expectedRecords(),
                in.header().expectedRecords(),
                EdiFile.RESEND)) {
      while (in.next()) {
        out.copy(in.line());
        copied++;
      }
      out.confirm();
    }
    tracker.markSent(sent.batch(), RecordRange.of(0, sent.records() - 1));
    tracker.flush();
    log.info(
        "Resent the whole file of batch {}: {} records, file {}",
        sent.batch(),
        IncidentReplay.count(copied),
        file);
    return new Sent(sent.batch(), file, (int) copied);
  }

  Sent resend(ResendPlan plan, Path dir) throws IOException {
    String name = plan.attributes().get("file");
    if (name == null) {
      throw new IllegalArgumentException("batch " + plan.batch() + " has no file attribute");
    }
    Path original = dir.resolve(name);
    Path file =
        dir.resolve(
            "customers-" + plan.batch().value() + "-resend-" + System.currentTimeMillis() + ".edi");
    long copied = 0;
    try (EdiFile.Reader in = new EdiFile.Reader(original);
        EdiFile.Writer out =
            new EdiFile.Writer(
                file,
                plan.batch(),
                in.header().expectedRecords(),
                plan.recordCount(),
                EdiFile.RESEND)) {
      while (in.next()) {
        if (plan.includes(in.record())) {
          out.copy(in.line());
          copied++;
        }
      }
      out.confirm();
    }
    if (copied != plan.recordCount()) {
      throw new IllegalStateException(
          original + " holds " + copied + " of the " + plan.recordCount() + " records to resend");
    }
    plan.ranges().forEach(range -> tracker.markSent(plan.batch(), range));
    tracker.flush();
    log.info(
        "Resent {} records of batch {} in {} ranges, file {}",
        IncidentReplay.count(copied),
        plan.batch(),
        plan.rangeCount(),
        file);
    return new Sent(plan.batch(), file, (int) copied);
  }
}
