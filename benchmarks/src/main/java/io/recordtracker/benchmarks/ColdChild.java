package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.benchmarks.RowPerRecordComparison.Config;
import io.recordtracker.benchmarks.RowPerRecordComparison.Design;
import io.recordtracker.benchmarks.RowPerRecordComparison.Read;
import io.recordtracker.benchmarks.RowPerRecordComparison.Side;
import io.recordtracker.benchmarks.RowPerRecordComparison.Written;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * The comparison's {@code --cold} mode: each design's writer, and each of its readers, runs in a
 * fresh JVM started for it (as a scheduler starts a job), on a HikariCP pool of its own, with no
 * warm-up. The writer's time runs from {@code openBatch} (or the first COPY) to the return of the
 * final {@code flush()} (or commit); the schema exists before it starts. Each reader times its
 * first reconcile (the cold one) and then {@code --runs} more in the same JVM.
 *
 * <p>A child is this program run with {@value #FLAG} first; it prints one line starting with
 * {@value #RESULT} and writes the missing ranges it found to a file, one {@code first last} a line.
 */
final class ColdChild {

  static final String FLAG = "--cold-child";
  private static final String RESULT = "RESULT";

  private ColdChild() {}

  /**
   * Runs {@code design} cold: one writer JVM, then {@code coldReaders} reader JVMs. The side's
   * reconcile times are the readers' first (cold) reconciles; {@link #warmNanos} keeps the rest.
   */
  static Side side(Design design, Config config, BenchDatabase db, BatchId id) {
    prepareSchema(design, db);
    List<String> common =
        List.of(
            "--url", db.jdbcUrl(),
            "--id", id.value(),
            "--records", Integer.toString(config.records),
            "--pattern", config.pattern.name(),
            "--chunk", Integer.toString(config.chunk),
            "--runs", Integer.toString(config.runs));
    String[] written = child(design, "write", common, null);
    Written w =
        new Written(
            Double.parseDouble(written[0]),
            Double.parseDouble(written[1]),
            Long.parseLong(written[2]));
    long[] cold = new long[config.coldReaders];
    List<Long> warm = new ArrayList<>();
    List<RecordRange> missing = null;
    for (int i = 0; i < config.coldReaders; i++) {
      Path ranges = tempFile();
      String[] read = child(design, "read", common, ranges);
      cold[i] = Long.parseLong(read[0]);
      for (int j = 1; j < read.length; j++) {
        warm.add(Long.parseLong(read[j]));
      }
      List<RecordRange> found = readRanges(ranges);
      if (missing != null) {
        RowPerRecordComparison.check(
            design.title + " reader 1", missing, design.title + " reader " + (i + 1), found);
      }
      missing = found;
    }
    warmNanos.put(design, warm.stream().mapToLong(Long::longValue).toArray());
    return new Side(
        design.title + " (cold)",
        w.sentSeconds(),
        w.processedSeconds(),
        cold,
        db.totalRelationSize(design.prefix),
        w.peakHeapBytes(),
        missing);
  }

  /** What the last reader of each tracker design measured beside its reconciles. */
  static final Map<Design, Reference> references = new ConcurrentHashMap<>();

  /**
   * What a reconcile through the store cannot beat, measured in a reader JVM after its reconciles:
   * the transfer alone (a plain query fetching the batch's marks rows as bytes) and the in-memory
   * reconcile of the same marks (decoded once, merged into an in-memory store, reconciled by a
   * tracker on it). Medians of {@code --runs} after {@value RowPerRecordComparison#WARMUP_RUNS}
   * unmeasured.
   */
  record Reference(int rows, long bytes, long transferNanos, long inMemoryNanos) {
    static final String PREFIX = "REFERENCE";

    String line() {
      return PREFIX + " " + rows + " " + bytes + " " + transferNanos + " " + inMemoryNanos;
    }

    static Reference parse(String line) {
      String[] f = line.trim().split(" ");
      return new Reference(
          Integer.parseInt(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]));
    }

    static Reference measure(BenchDatabase db, String prefix, BatchId id, Config config) {
      String query =
          "SELECT stage, marks FROM " + prefix + "marks WHERE batch_id = ? AND stage IN (?, ?)";
      long[] transfer = new long[config.runs];
      Map<Stage, RoaringBitmap> marks = new HashMap<>();
      int rows = 0;
      long bytes = 0;
      try (Connection c = db.dataSource().getConnection()) {
        for (int run = -RowPerRecordComparison.WARMUP_RUNS; run < config.runs; run++) {
          long start = System.nanoTime();
          List<byte[]> blobs = new ArrayList<>();
          List<String> stages = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(query)) {
            ps.setString(1, id.value());
            ps.setString(2, Stage.SENT.name());
            ps.setString(3, Stage.PROCESSED.name());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                stages.add(rs.getString(1));
                blobs.add(rs.getBytes(2));
              }
            }
          }
          if (run >= 0) {
            transfer[run] = System.nanoTime() - start;
          }
          if (run == config.runs - 1) {
            rows = blobs.size();
            for (int i = 0; i < blobs.size(); i++) {
              bytes += blobs.get(i).length;
              RoaringBitmap part = new RoaringBitmap();
              part.deserialize(ByteBuffer.wrap(blobs.get(i)));
              marks.computeIfAbsent(Stage.of(stages.get(i)), k -> new RoaringBitmap()).or(part);
            }
          }
        }
      } catch (SQLException | IOException e) {
        throw new IllegalStateException("cannot read the marks rows: " + e.getMessage(), e);
      }
      TrackerStore memory = TrackerStore.inMemory();
      BatchInfo info = memory.openBatch(BatchInfo.of(id, config.records, Instant.now(), Map.of()));
      List<MarkDelta> deltas = new ArrayList<>();
      marks.forEach(
          (stage, m) -> deltas.add(new MarkDelta(id, stage, m, Instant.now(), info.incarnation())));
      memory.merge(deltas);
      long[] inMemory = new long[config.runs];
      try (RecordTracker tracker = RecordTracker.builder().store(memory).build()) {
        for (int run = -RowPerRecordComparison.WARMUP_RUNS; run < config.runs; run++) {
          long start = System.nanoTime();
          tracker.reconcile(id).missing();
          if (run >= 0) {
            inMemory[run] = System.nanoTime() - start;
          }
        }
      }
      return new Reference(
          rows,
          bytes,
          (long) (RowPerRecordComparison.medianMillis(transfer) * 1e6),
          (long) (RowPerRecordComparison.medianMillis(inMemory) * 1e6));
    }
  }

  /** The warm reconciles each design's cold readers made after their first, for the report. */
  static final Map<Design, long[]> warmNanos = new ConcurrentHashMap<>();

  /** Creates the design's tables before its writer starts, as a deployed service finds them. */
  private static void prepareSchema(Design design, BenchDatabase db) {
    if (design == Design.ROWS) {
      try (Connection c = db.dataSource().getConnection()) {
        RowPerRecordComparison.createRowTable(c);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create the row table: " + e.getMessage(), e);
      }
    } else {
      JdbcTrackerStore.builder(db.dataSource()).tablePrefix(design.prefix).build().close();
    }
  }

  private static String[] child(Design design, String phase, List<String> common, Path ranges) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RowPerRecordComparison.class.getName());
    command.add(FLAG);
    command.add(design.name());
    command.add(phase);
    command.addAll(common);
    if (ranges != null) {
      command.add("--out");
      command.add(ranges.toString());
    }
    try {
      Process p =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int exit = p.waitFor();
      for (String line : output.split("\n")) {
        if (line.startsWith(Reference.PREFIX + " ")) {
          references.put(design, Reference.parse(line));
        }
        if (line.startsWith(RESULT + " ")) {
          if (exit != 0) {
            break;
          }
          return line.substring(RESULT.length() + 1).trim().split(" ");
        }
      }
      throw new IllegalStateException(
          "cold " + phase + " of " + design.title + " exited " + exit + ": " + output);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a child JVM", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for a child JVM", e);
    }
  }

  /** The child's side: {@code DESIGN PHASE --url U --id ID ... [--out FILE]}. */
  static int run(String[] args, PrintStream out) {
    Design design = Design.valueOf(args[0]);
    String phase = args[1];
    String url = null;
    String id = null;
    Path ranges = null;
    List<String> rest = new ArrayList<>();
    for (int i = 2; i < args.length; i += 2) {
      switch (args[i]) {
        case "--url" -> url = args[i + 1];
        case "--id" -> id = args[i + 1];
        case "--out" -> ranges = Path.of(args[i + 1]);
        default -> rest.addAll(List.of(args[i], args[i + 1]));
      }
    }
    Config config = Config.parse(rest.toArray(new String[0]));
    config.cold = true;
    try (BenchDatabase db = BenchDatabase.at(url, "the parent's database")) {
      BatchId batch = BatchId.of(id);
      if (phase.equals("write")) {
        Written w = design.write(config, db, config.pattern.processed(config.records), batch);
        out.printf(
            Locale.ROOT,
            "%s %s %s %d%n",
            RESULT,
            Double.toString(w.sentSeconds()),
            Double.toString(w.processedSeconds()),
            w.peakHeapBytes());
      } else {
        Read r = design.read(db, batch, 0, 1 + config.runs);
        writeRanges(ranges, r.missing());
        if (design != Design.ROWS) {
          out.println(Reference.measure(db, design.prefix, batch, config).line());
        }
        StringBuilder line = new StringBuilder(RESULT);
        Arrays.stream(r.reconcileNanos()).forEach(n -> line.append(' ').append(n));
        out.println(line);
      }
    }
    return 0;
  }

  private static Path tempFile() {
    try {
      Path file = Files.createTempFile("rtcmp-cold-", ".ranges");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeRanges(Path file, List<RecordRange> ranges) {
    StringBuilder text = new StringBuilder();
    for (RecordRange r : ranges) {
      text.append(r.first()).append(' ').append(r.last()).append('\n');
    }
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<RecordRange> readRanges(Path file) {
    try {
      List<RecordRange> out = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        if (!line.isBlank()) {
          String[] parts = line.split(" ");
          out.add(RecordRange.of(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
        }
      }
      Files.deleteIfExists(file);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
