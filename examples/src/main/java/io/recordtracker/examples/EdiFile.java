package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordStamp;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An EDI-like customer file, written and read as a stream (a file of tens of millions of records is
 * never held in memory).
 *
 * <pre>
 * HDR|CUSTOMERS|batch=01JD...|records=486000|count=486000|kind=FULL
 * REC|01JD.../0|C000000000|Ada Lovelace|London|120.50
 * REC|01JD.../1|C000000001|...
 * TRL|486000
 * </pre>
 *
 * The header carries the batch id, so the receiver finds its batch without any lookup; each record
 * carries its {@link RecordStamp}, so the receiver marks it without any lookup. A resend file has
 * {@code kind=RESEND} and only the records resent, each with its original stamp.
 */
final class EdiFile {

  /** A full file, every record of the batch. */
  static final String FULL = "FULL";

  /** A resend file, only the records resent. */
  static final String RESEND = "RESEND";

  private static final int BUFFER_BYTES = 1 << 20;
  private static final String[] FIRST = {
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"
  };
  private static final String[] LAST = {
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton"
  };
  private static final String[] CITY = {
    "London", "Pune", "Austin", "Lagos", "Lyon", "Osaka", "Recife", "Tartu", "Leeds", "Perth",
    "Cork"
  };

  private EdiFile() {}

  /** What the first line of a file says. */
  record Header(BatchId batch, int expectedRecords, long count, String kind) {}

  /** Reads the header of {@code file}, the first line. */
  static Header readHeader(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parseHeader(file, in.readLine());
    }
  }

  private static Header parseHeader(Path file, String line) {
    if (line == null || !line.startsWith("HDR|CUSTOMERS|")) {
      throw new IllegalArgumentException(
          file + " is not a customer EDI file: no HDR|CUSTOMERS line");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String field : line.substring("HDR|CUSTOMERS|".length()).split("\\|")) {
      int eq = field.indexOf('=');
      if (eq > 0) {
        fields.put(field.substring(0, eq), field.substring(eq + 1));
      }
    }
    String batch = fields.get("batch");
    String records = fields.get("records");
    String count = fields.get("count");
    if (batch == null || records == null || count == null) {
      throw new IllegalArgumentException(
          file + ": header lacks batch=, records= or count=: " + line);
    }
    return new Header(
        BatchId.of(batch),
        Integer.parseInt(records),
        Long.parseLong(count),
        fields.getOrDefault("kind", FULL));
  }

  /** Writes a file record by record. */
  static final class Writer implements Closeable {
    private final BufferedWriter out;
    private final BatchId batch;
    private final StringBuilder line = new StringBuilder(96);
    private long written;

    /** A file of {@code count} records of a batch of {@code expectedRecords}. */
    Writer(Path file, BatchId batch, int expectedRecords, long count, String kind)
        throws IOException {
      this.out =
          new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), BUFFER_BYTES);
      this.batch = batch;
      out.write(
          "HDR|CUSTOMERS|batch="
              + batch.value()
              + "|records="
              + expectedRecords
              + "|count="
              + count
              + "|kind="
              + kind);
      out.newLine();
    }

    /** Writes record {@code record}: its stamp and made-up customer data. */
    void write(int record) throws IOException {
      line.setLength(0);
      line.append("REC|").append(RecordStamp.of(batch, record)).append("|C");
      String id = Integer.toString(record);
      for (int i = id.length(); i < 9; i++) {
        line.append('0');
      }
      line.append(id)
          .append('|')
          .append(FIRST[record % FIRST.length])
          .append(' ')
          .append(LAST[(record / FIRST.length) % LAST.length])
          .append('|')
          .append(CITY[(record / 7) % CITY.length])
          .append('|')
          .append((record * 7919L) % 100_000 / 100)
          .append('.')
          .append(two(record % 100));
      out.append(line);
      out.newLine();
      written++;
    }

    /** Writes a record line as read from another file of the batch, its stamp unchanged. */
    void copy(String recordLine) throws IOException {
      out.append(recordLine);
      out.newLine();
      written++;
    }

    private static String two(int n) {
      return n < 10 ? "0" + n : Integer.toString(n);
    }

    /** Pushes what was written to the file: the "transport" confirms it. */
    void confirm() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.write("TRL|" + written);
      out.newLine();
      out.close();
    }
  }

  /** Reads a file's records in order. */
  static final class Reader implements Closeable {
    private final Path file;
    private final BufferedReader in;
    private final Header header;
    private String line;
    private long lineNumber = 1;

    Reader(Path file) throws IOException {
      this.file = file;
      this.in =
          new BufferedReader(Files.newBufferedReader(file, StandardCharsets.UTF_8), BUFFER_BYTES);
      this.header = parseHeader(file, in.readLine());
    }

    Header header() {
      return header;
    }

    /** Moves to the next record; false at the trailer or the end of the file. */
    boolean next() {
      try {
        line = in.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + file, e);
      }
      lineNumber++;
      return line != null && line.startsWith("REC|");
    }

    /** The current record's line. */
    String line() {
      return line;
    }

    /**
     * The current record's number, from its stamp.
     *
     * @throws IllegalArgumentException if the stamp is malformed or names another batch
     */
    int record() {
      int end = line.indexOf('|', 4);
      RecordStamp stamp = RecordStamp.parse(end < 0 ? line.substring(4) : line.substring(4, end));
      if (!stamp.batch().equals(header.batch())) {
        throw new IllegalArgumentException(
            file
                + " line "
                + lineNumber
                + ": stamp "
                + stamp
                + " is not of batch "
                + header.batch());
      }
      return stamp.record();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
