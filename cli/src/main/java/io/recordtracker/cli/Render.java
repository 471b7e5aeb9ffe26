package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.InFlightReport;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How the commands print: aligned tables for people, JSON for jobs. */
final class Render {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON = new JsonFactory();

  /** The attribute names senders use for the file name, as the webhook message looks them up. */
  private static final List<String> FILE_KEYS =
      List.of("file", "fileName", "file_name", "filename");

  private Render() {}

  /** An instant as "2020-08-23 11:00:00" (UTC), or "-". */
  static String time(Instant instant) {
    return instant == null ? "-" : TIME.format(instant);
  }

  /** A duration as people write it: 2d, 3h, 10m, 1h30m, 45s. */
  static String duration(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return d.toMillis() + "ms";
    }
    StringBuilder out = new StringBuilder();
    long[] units = {86_400, 3_600, 60, 1};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (s >= units[i]) {
        out.append(s / units[i]).append(names[i]);
        s %= units[i];
      }
    }
    return out.toString();
  }

  /** The first {@code max} ranges ("100-199, 500"), with "(+N more)". */
  static String ranges(List<RecordRange> ranges, int max) {
    if (ranges.isEmpty()) {
      return "-";
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(max, ranges.size()); i++) {
      s.append(i == 0 ? "" : ", ").append(ranges.get(i));
    }
    if (ranges.size() > max) {
      s.append(" (+").append(ranges.size() - max).append(" more)");
    }
    return s.toString();
  }

  /** "1 batch", "2 batches": a count with its noun in the right number. */
  static String count(long n, String singular, String plural) {
    return n + " " + (n == 1 ? singular : plural);
  }

  /**
   * Attributes as "file=a.edi customer=ACME": the file name first, as the Slack message shows it,
   * then the others in the order the store keeps them (the order they were given in).
   */
  static String attributes(Map<String, String> attributes) {
    if (attributes.isEmpty()) {
      return "-";
    }
    List<String> parts = new ArrayList<>();
    String fileKey = null;
    for (String key : FILE_KEYS) {
      if (attributes.containsKey(key)) {
        fileKey = key;
        parts.add(key + "=" + attributes.get(key));
        break;
      }
    }
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      if (!a.getKey().equals(fileKey)) {
        parts.add(a.getKey() + "=" + a.getValue());
      }
    }
    return String.join(" ", parts);
  }

  /** Prints rows under headers, columns padded to their widest cell; numbers right-aligned. */
  static void table(PrintWriter out, List<String> headers, List<List<String>> rows, int... right) {
    int[] width = new int[headers.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = headers.get(c).length();
      for (List<String> row : rows) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    printRow(out, headers, width, right);
    for (List<String> row : rows) {
      printRow(out, row, width, right);
    }
  }

  private static void printRow(PrintWriter out, List<String> cells, int[] width, int[] right) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      String cell = cells.get(c);
      boolean last = c == cells.size() - 1;
      boolean alignRight = false;
      for (int r : right) {
        alignRight |= r == c;
      }
      String pad = " ".repeat(width[c] - cell.length());
      line.append(alignRight ? pad + cell : last ? cell : cell + pad);
      if (!last) {
        line.append("  ");
      }
    }
    out.println(line.toString().stripTrailing());
  }

  /** A batch's STATUS cell: complete, abandoned or incomplete (a complete batch is complete). */
  static String status(BatchInfo b) {
    return b.isComplete() ? "complete" : b.isAbandoned() ? "abandoned" : "incomplete";
  }

  /** The batch table of the batches and in-flight commands. */
  static void batchTable(PrintWriter out, List<BatchInfo> batches) {
    List<List<String>> rows = new ArrayList<>();
    for (BatchInfo b : batches) {
      rows.add(
          List.of(
              b.id().value(),
              time(b.openedAt()),
              b.isSealed() ? Integer.toString(b.expectedRecords()) : "unsealed",
              status(b),
              time(b.lastMarkedAt(Stage.SENT).orElse(null)),
              time(b.lastMarkedAt(Stage.PROCESSED).orElse(null)),
              attributes(b.attributes())));
    }
    table(
        out,
        List.of(
            "BATCH",
            "OPENED (UTC)",
            "EXPECTED",
            "STATUS",
            "LAST SENT",
            "LAST PROCESSED",
            "ATTRIBUTES"),
        rows,
        2);
  }

  /**
   * A JSON generator on {@code out}, which it flushes but never closes. Compact, as {@code
   * reconcile --json} (the library's reconciliation schema) is: every command prints one document
   * on one line, which a job parses or appends to a log line by line, and {@code jq .} indents.
   */
  static JsonGenerator json(PrintWriter out) {
    try {
      JsonGenerator g = JSON.createGenerator(out);
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      return g;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void writeBatch(JsonGenerator g, BatchInfo b) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", b.id().value());
    g.writeNumberField("expectedRecords", b.expectedRecords());
    g.writeBooleanField("sealed", b.isSealed());
    g.writeStringField("openedAt", b.openedAt().toString());
    g.writeBooleanField("complete", b.isComplete());
    g.writeStringField("completedAt", b.completedAt().map(Instant::toString).orElse(null));
    g.writeBooleanField("abandoned", b.isAbandoned());
    g.writeStringField("abandonedAt", b.abandonedAt().map(Instant::toString).orElse(null));
    g.writeStringField("abandonReason", b.abandonReason().orElse(null));
    g.writeObjectFieldStart("lastMarkedAt");
    for (Map.Entry<Stage, Instant> e : b.lastMarkedAt().entrySet()) {
      g.writeStringField(e.getKey().name(), e.getValue().toString());
    }
    g.writeEndObject();
    g.writeObjectFieldStart("attributes");
    for (Map.Entry<String, String> e : b.attributes().entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  static void writeRanges(JsonGenerator g, String name, List<RecordRange> ranges)
      throws IOException {
    g.writeArrayFieldStart(name);
    for (RecordRange r : ranges) {
      g.writeStartArray();
      g.writeNumber(r.first());
      g.writeNumber(r.last());
      g.writeEndArray();
    }
    g.writeEndArray();
  }

  /** The in-flight answer as {@code in-flight --json} prints it and the dashboard's gate serves. */
  static void writeInFlight(JsonGenerator g, Duration window, InFlightReport report)
      throws IOException {
    List<BatchInfo> busy = report.batches();
    g.writeStartObject();
    g.writeStringField("window", window.toString());
    g.writeBooleanField("quiet", busy.isEmpty());
    g.writeArrayFieldStart("inFlight");
    for (BatchInfo b : busy) {
      writeBatch(g, b);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("unreadable");
    for (Map.Entry<BatchId, String> e : report.unreadable().entrySet()) {
      g.writeStartObject();
      g.writeStringField("id", e.getKey().value());
      g.writeStringField("cause", e.getValue());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }
}
