package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The same workload on the design users would otherwise build, one row per record, and on the
 * tracker, in the same PostgreSQL, one after the other; prints both and their ratios.
 *
 * <p>The workload: a batch of {@code --records} records, all sent, then processed in chunks of
 * {@code --chunk} consecutive records, less the holes of {@code --pattern}. Then both designs find
 * the missing ranges (sent, never processed).
 *
 * <ul>
 *   <li><b>Row per record</b>: table {@code (batch_id, record_no, status)} with a primary key on
 *       {@code (batch_id, record_no)}. Sent: each chunk loaded with {@code COPY ... FROM STDIN}
 *       (pgjdbc {@link CopyManager}) and committed. Processed: each chunk one JDBC batch of
 *       single-row {@code UPDATE}s, committed. Missing ranges: the usual gaps-and-islands query
 *       ({@code record_no - row_number()} grouped).
 *   <li><b>Tracker</b>: {@link RecordTracker} on {@link JdbcTrackerStore}, default settings. Sent:
 *       one {@code markSent(range)} per chunk. Processed: one {@code markProcessed(int[])} per
 *       chunk. Then {@code flush()}: the time ends when every mark is durable. Missing ranges:
 *       {@code reconcile(id).missing()} from a fresh tracker (nothing cached, everything read from
 *       the database). A second tracker run calls {@code flush()} after every chunk, so each chunk
 *       is durable when the row design's would be committed; it is printed beside, with its ratio.
 * </ul>
 *
 * Reconcile times are the median of {@code --runs} runs, after {@value #WARMUP_RUNS} unmeasured
 * runs, for both designs. Before any ratio is printed, both designs' missing ranges are compared
 * with each other and with the holes the pattern made; if they differ in any way the program prints
 * the first difference and exits with status 1.
 *
 * <p>With {@code --cold}, each design's writer and each of {@code --cold-readers} readers run in a
 * fresh child JVM, processed chunks arrive in shuffled order, and the reconcile reported is each
 * reader's first; see {@link ColdChild}.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.recordtracker.benchmarks.RowPerRecordComparison \
 *     [--records 10000000] [--pattern RANDOM_1PCT_PLUS_GAP] [--chunk 10000] [--runs 7] \
 *     [--cold [--cold-readers 5]]
 * </pre>
 *
 * PostgreSQL: the server at {@code $RECORDTRACKER_PG_URL} if set, otherwise an embedded one. Its
 * tables are named {@code rtcmp_*} and dropped at the start of a run.
 */
public final class RowPerRecordComparison {

  static final String ROW_PREFIX = "rtcmp_rows_";
  static final String ROW_TABLE = ROW_PREFIX + "record";
  static final String TRACKER_PREFIX = "rtcmp_tracker_";
  static final String CHUNK_FLUSH_PREFIX = "rtcmp_chunkflush_";

  /**
   * Unmeasured reconciles of the measured batch before the measured ones, for both designs alike:
   * the database's caches and the JVM's compiled code reach their steady state.
   */
  static final int WARMUP_RUNS = 3;

  private RowPerRecordComparison() {}

  /** Thrown when the two designs (or the pattern) disagree on the missing ranges. */
  static final class AnswersDifferException extends RuntimeException {
    AnswersDifferException(String message) {
      super(message);
    }
  }

  /** What to run. */
  static final class Config {
    int records = 10_000_000;
    GapPattern pattern = GapPattern.RANDOM_1PCT_PLUS_GAP;
    int chunk = 10_000;
    int runs = 7;
    boolean warmUp = true;

    /** Each design's writer and readers in fresh child JVMs, processed chunks in shuffled order. */
    boolean cold;

    /** In cold mode, how many fresh reader JVMs each design's first reconcile is measured in. */
    int coldReaders = 5;

    /** Applied to the tracker's answer before the check; only tests change it. */
    UnaryOperator<List<RecordRange>> trackerAnswer = UnaryOperator.identity();

    static Config parse(String[] args) {
      Config c = new Config();
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--no-warmup")) {
          c.warmUp = false;
          continue;
        }
        if (name.equals("--cold")) {
          c.cold = true;
          c.warmUp = false; // the point of a cold run
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + name);
        }
        String value = args[++i];
        switch (name) {
          case "--records":
            c.records = positive(name, value);
            break;
          case "--pattern":
            c.pattern = GapPattern.valueOf(value.toUpperCase(Locale.ROOT));
            break;
          case "--chunk":
            c.chunk = positive(name, value);
            break;
          case "--runs":
            c.runs = positive(name, value);
            break;
          case "--cold-readers":
            c.coldReaders = positive(name, value);
            break;
          default:
            throw new IllegalArgumentException("unknown option: " + name);
        }
      }
      return c;
    }

    static int positive(String name, String value) {
      int n;
      try {
        n = Integer.parseInt(value.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be a number: " + value, e);
      }
      if (n <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return n;
    }
  }

  /** One design's measurements. */
  record Side(
      String design,
      double sentSeconds,
      double processedSeconds,
      long[] reconcileNanos,
      long storageBytes,
      long peakHeapBytes,
      List<RecordRange> missing) {

    double recordSeconds() {
      return sentSeconds + processedSeconds;
    }

    double reconcileMillisMedian() {
      return medianMillis(reconcileNanos);
    }
  }

  /** The median of {@code nanos}, in milliseconds; NaN if there are none. */
  static double medianMillis(long[] nanos) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e6;
  }

  /** Both designs' measurements, checked to agree. */
  record Result(Config config, String database, Side rows, Side tracker, Side trackerChunkFlush) {}

  /** Runs the comparison; exits 0 when done, 1 when the answers differ, 2 on bad arguments. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals(ColdChild.FLAG)) {
      return ColdChild.run(Arrays.copyOfRange(args, 1, args.length), out);
    }
    Config config;
    try {
      config = Config.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(
          "usage: RowPerRecordComparison [--records N] [--pattern "
              + Arrays.toString(GapPattern.values())
              + "] [--chunk N] [--runs N] [--no-warmup] [--cold [--cold-readers N]]");
      return 2;
    }
    try (BenchDatabase db = BenchDatabase.postgres()) {
      return run(config, db, out, err);
    }
  }

  static int run(Config config, BenchDatabase db, PrintStream out, PrintStream err) {
    try {
      Result result = compare(config, db, out);
      print(result, out);
      return 0;
    } catch (AnswersDifferException e) {
      err.println("FAILED: the designs' answers differ, no ratio printed. " + e.getMessage());
      return 1;
    }
  }

  /**
   * Runs both designs and checks their answers.
   *
   * @throws AnswersDifferException if the missing ranges differ
   */
  static Result compare(Config config, BenchDatabase db, PrintStream out) {
    if (!db.isPostgres()) {
      throw new IllegalArgumentException("the comparison needs PostgreSQL: " + db.describe());
    }
    String database = db.describe();
    out.printf(
        Locale.ROOT,
        "Comparing on %s: %,d records, pattern %s, chunks of %,d, %d reconcile runs%n",
        database,
        config.records,
        config.pattern,
        config.chunk,
        config.runs);
    out.println(machine());
    dropAll(db);
    if (config.warmUp) {
      Config warm = new Config();
      warm.records = Math.max(1, Math.min(config.records / 20, 500_000));
      warm.pattern = config.pattern;
      warm.chunk = config.chunk;
      // Enough reconciles to JIT-compile the tracker's read path; the database warms its caches.
      warm.runs = 20;
      out.printf(Locale.ROOT, "Warming up both designs on %,d records...%n", warm.records);
      BitSet warmProcessed = warm.pattern.processed(warm.records);
      inProcess(Design.ROWS, warm, db, warmProcessed, BatchId.of("warmup-rows"));
      inProcess(Design.TRACKER, warm, db, warmProcessed, BatchId.of("warmup-tracker"));
      dropAll(db);
    }

    BitSet processed = config.pattern.processed(config.records);
    List<RecordRange> expected = toRanges(config.pattern.holes(config.records));
    BatchId id = BatchId.of("comparison-" + Instant.now().toEpochMilli());

    Side rows = side(Design.ROWS, config, db, processed, id);
    out.printf(Locale.ROOT, "row per record done: %.2f s to record%n", rows.recordSeconds());
    Side tracker = side(Design.TRACKER, config, db, processed, id);
    out.printf(Locale.ROOT, "tracker done: %.3f s to record%n", tracker.recordSeconds());
    Side chunkFlush = side(Design.TRACKER_CHUNK_FLUSH, config, db, processed, id);
    Side checkedTracker =
        new Side(
            tracker.design(),
            tracker.sentSeconds(),
            tracker.processedSeconds(),
            tracker.reconcileNanos(),
            tracker.storageBytes(),
            tracker.peakHeapBytes(),
            config.trackerAnswer.apply(tracker.missing()));

    check("row per record", rows.missing(), "tracker", checkedTracker.missing());
    check("tracker", checkedTracker.missing(), "the pattern's holes", expected);
    check("tracker", checkedTracker.missing(), "tracker (flush per chunk)", chunkFlush.missing());
    out.printf(
        Locale.ROOT,
        "Answers checked: both designs found the same %,d missing ranges (%,d records), exactly the"
            + " holes the pattern made.%n",
        expected.size(),
        expected.stream().mapToLong(RecordRange::size).sum());
    return new Result(config, database, rows, checkedTracker, chunkFlush);
  }

  private static Side side(
      Design design, Config config, BenchDatabase db, BitSet processed, BatchId id) {
    return config.cold
        ? ColdChild.side(design, config, db, id)
        : inProcess(design, config, db, processed, id);
  }

  /**
   * Fails unless {@code a} and {@code b} hold the same ranges in the same order, naming the first
   * difference.
   */
  static void check(String aName, List<RecordRange> a, String bName, List<RecordRange> b) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      if (!a.get(i).equals(b.get(i))) {
        throw new AnswersDifferException(
            String.format(
                Locale.ROOT,
                "missing range #%d: %s says %s, %s says %s (%d vs %d ranges in all)",
                i,
                aName,
                a.get(i),
                bName,
                b.get(i),
                a.size(),
                b.size()));
      }
    }
    if (a.size() != b.size()) {
      List<RecordRange> longer = a.size() > b.size() ? a : b;
      throw new AnswersDifferException(
          String.format(
              Locale.ROOT,
              "%s found %d missing ranges, %s found %d; the first extra one is %s",
              aName,
              a.size(),
              bName,
              b.size(),
              longer.get(n)));
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Row per record

  /** What a design's writer measured: the time to record sent, then processed, and its heap. */
  record Written(double sentSeconds, double processedSeconds, long peakHeapBytes) {}

  /** What a design's reader measured: every reconcile's time, and the missing ranges found. */
  record Read(long[] reconcileNanos, List<RecordRange> missing) {}

  /** The design a side runs: how it writes and how it reads, in this JVM or in a child. */
  enum Design {
    ROWS("row per record", ROW_PREFIX),
    TRACKER("tracker", TRACKER_PREFIX),
    TRACKER_CHUNK_FLUSH("tracker, flush() after every chunk", CHUNK_FLUSH_PREFIX);

    final String title;
    final String prefix;

    Design(String title, String prefix) {
      this.title = title;
      this.prefix = prefix;
    }

    Written write(Config config, BenchDatabase db, BitSet processed, BatchId id) {
      return this == ROWS
          ? rowWrite(config, db, processed, id)
          : trackerWrite(config, db, processed, id, prefix, this == TRACKER_CHUNK_FLUSH);
    }

    /** Reconciles {@code unmeasured} times, then {@code measured} times, timing each of those. */
    Read read(BenchDatabase db, BatchId id, int unmeasured, int measured) {
      return this == ROWS
          ? rowRead(db, id, unmeasured, measured)
          : trackerRead(db, id, prefix, unmeasured, measured);
    }
  }

  /** Runs {@code design} in this JVM: writes, then reads after {@value #WARMUP_RUNS} unmeasured. */
  private static Side inProcess(
      Design design, Config config, BenchDatabase db, BitSet processed, BatchId id) {
    Written w = design.write(config, db, processed, id);
    Read r = design.read(db, id, WARMUP_RUNS, config.runs);
    return new Side(
        design.title,
        w.sentSeconds(),
        w.processedSeconds(),
        r.reconcileNanos(),
        db.totalRelationSize(design.prefix),
        w.peakHeapBytes(),
        r.missing());
  }

  /**
   * The order in which chunks are processed: ascending, or (cold) shuffled with a fixed seed, as
   * workers that finish chunks out of order send them.
   */
  static int[] chunkOrder(Config config) {
    int chunks = (int) ((config.records + (long) config.chunk - 1) / config.chunk);
    int[] order = new int[chunks];
    for (int i = 0; i < chunks; i++) {
      order[i] = i;
    }
    if (config.cold) {
      SplittableRandom random = new SplittableRandom(42);
      for (int i = chunks - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int x = order[i];
        order[i] = order[j];
        order[j] = x;
      }
    }
    return order;
  }

  private static Written rowWrite(Config config, BenchDatabase db, BitSet processed, BatchId id) {
    try (Connection c = db.dataSource().getConnection()) {
      createRowTable(c);
      c.setAutoCommit(false);
      HeapPeak heap = HeapPeak.start();
      long t0 = System.nanoTime();
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      String copySql = "COPY " + ROW_TABLE + " (batch_id, record_no, status) FROM STDIN";
      StringBuilder text = new StringBuilder();
      for (int from = 0; from < config.records; from += config.chunk) {
        int to = Math.min(config.records, from + config.chunk);
        text.setLength(0);
        for (int r = from; r < to; r++) {
          text.append(id.value()).append('\t').append(r).append("\tsent\n");
        }
        copy.copyIn(copySql, new StringReader(text.toString()));
        c.commit();
      }
      long t1 = System.nanoTime();
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE "
                  + ROW_TABLE
                  + " SET status = 'processed' WHERE batch_id = ? AND record_no = ?")) {
        for (int chunkNo : chunkOrder(config)) {
          int from = chunkNo * config.chunk;
          int[] chunk = chunk(processed, from, Math.min(config.records, from + config.chunk));
          if (chunk.length == 0) {
            continue;
          }
          for (int r : chunk) {
            update.setString(1, id.value());
            update.setInt(2, r);
            update.addBatch();
          }
          update.executeBatch();
          c.commit();
        }
      }
      long t2 = System.nanoTime();
      c.setAutoCommit(true);
      return new Written((t1 - t0) / 1e9, (t2 - t1) / 1e9, heap.peak());
    } catch (SQLException e) {
      throw new IllegalStateException("row-per-record design failed: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("COPY failed", e);
    }
  }

  static void createRowTable(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + ROW_TABLE
              + " (batch_id VARCHAR(128) NOT NULL, record_no INTEGER NOT NULL,"
              + " status VARCHAR(16) NOT NULL, PRIMARY KEY (batch_id, record_no))");
    }
  }

  private static Read rowRead(BenchDatabase db, BatchId id, int unmeasured, int measured) {
    String islands =
        "SELECT MIN(record_no), MAX(record_no) FROM ("
            + " SELECT record_no, record_no - ROW_NUMBER() OVER (ORDER BY record_no) AS island"
            + " FROM "
            + ROW_TABLE
            + " WHERE batch_id = ? AND status = 'sent') AS sent_only"
            + " GROUP BY island ORDER BY 1";
    long[] nanos = new long[measured];
    List<RecordRange> missing = null;
    try (Connection c = db.dataSource().getConnection()) {
      c.setAutoCommit(false);
      for (int run = -unmeasured; run < measured; run++) {
        long s = System.nanoTime();
        List<RecordRange> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(islands)) {
          ps.setFetchSize(10_000);
          ps.setString(1, id.value());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              found.add(RecordRange.of(rs.getInt(1), rs.getInt(2)));
            }
          }
        }
        c.commit();
        if (run >= 0) {
          nanos[run] = System.nanoTime() - s;
        }
        missing = found;
      }
      c.setAutoCommit(true);
    } catch (SQLException e) {
      throw new IllegalStateException("row-per-record design failed: " + e.getMessage(), e);
    }
    return new Read(nanos, missing);
  }

  private static Written trackerWrite(
      Config config,
      BenchDatabase db,
      BitSet processed,
      BatchId id,
      String prefix,
      boolean flushEveryChunk) {
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(JdbcTrackerStore.builder(db.dataSource()).tablePrefix(prefix).build())
            .build()) {
      HeapPeak heap = HeapPeak.start();
      long t0 = System.nanoTime();
      tracker.openBatch(id, config.records);
      for (int from = 0; from < config.records; from += config.chunk) {
        int to = Math.min(config.records, from + config.chunk);
        tracker.markSent(id, RecordRange.of(from, to - 1));
        if (flushEveryChunk) {
          tracker.flush();
        }
      }
      tracker.flush();
      long t1 = System.nanoTime();
      for (int chunkNo : chunkOrder(config)) {
        int from = chunkNo * config.chunk;
        int[] chunk = chunk(processed, from, Math.min(config.records, from + config.chunk));
        if (chunk.length > 0) {
          tracker.markProcessed(id, chunk);
        }
        if (flushEveryChunk) {
          tracker.flush();
        }
      }
      tracker.flush();
      long t2 = System.nanoTime();
      return new Written((t1 - t0) / 1e9, (t2 - t1) / 1e9, heap.peak());
    }
  }

  /**
   * Reconciles from a fresh tracker and store: nothing cached, every mark read from the database.
   */
  private static Read trackerRead(
      BenchDatabase db, BatchId id, String prefix, int unmeasured, int measured) {
    long[] nanos = new long[measured];
    List<RecordRange> missing = null;
    try (RecordTracker reader =
        RecordTracker.builder()
            .store(JdbcTrackerStore.builder(db.dataSource()).tablePrefix(prefix).build())
            .build()) {
      for (int run = -unmeasured; run < measured; run++) {
        long s = System.nanoTime();
        missing = reader.reconcile(id).missing();
        if (run >= 0) {
          nanos[run] = System.nanoTime() - s;
        }
      }
    }
    return new Read(nanos, missing);
  }

  // -----------------------------------------------------------------------------------------------
  // Helpers

  /** The set records of {@code records} in {@code from .. to-1}, ascending. */
  static int[] chunk(BitSet records, int from, int to) {
    return records.get(from, to).stream().map(r -> r + from).toArray();
  }

  static List<RecordRange> toRanges(BitSet bits) {
    int[] pairs = BitSetReconciliation.ranges(bits);
    List<RecordRange> ranges = new ArrayList<>(pairs.length / 2);
    for (int i = 0; i < pairs.length; i += 2) {
      ranges.add(RecordRange.of(pairs[i], pairs[i + 1]));
    }
    return ranges;
  }

  private static void dropAll(BenchDatabase db) {
    for (String prefix : List.of(ROW_PREFIX, TRACKER_PREFIX, CHUNK_FLUSH_PREFIX)) {
      db.dropTablesStartingWith(prefix);
    }
  }

  /** The peak heap used (summed over heap pools) since {@link #start()}. */
  static final class HeapPeak {
    private final List<MemoryPoolMXBean> pools;

    private HeapPeak(List<MemoryPoolMXBean> pools) {
      this.pools = pools;
    }

    static HeapPeak start() {
      System.gc();
      List<MemoryPoolMXBean> heap = new ArrayList<>();
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
          pool.resetPeakUsage();
          heap.add(pool);
        }
      }
      return new HeapPeak(heap);
    }

    long peak() {
      long sum = 0;
      for (MemoryPoolMXBean pool : pools) {
        sum += pool.getPeakUsage().getUsed();
      }
      return sum;
    }
  }

  /** Cores, memory, JDK and load, for the record. */
  static String machine() {
    Runtime rt = Runtime.getRuntime();
    String load = "n/a";
    try {
      load = Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      // not Linux: no load average to show
    }
    return String.format(
        Locale.ROOT,
        "Machine: %d cores, max heap %d MB, Java %s (%s), load average %s",
        rt.availableProcessors(),
        rt.maxMemory() >> 20,
        System.getProperty("java.version"),
        System.getProperty("java.vm.name"),
        load);
  }

  static void print(Result r, PrintStream out) {
    Side rows = r.rows();
    Side t = r.tracker();
    Side cf = r.trackerChunkFlush();
    out.println();
    out.printf(
        Locale.ROOT,
        "### %,d records, %s, chunks of %,d, on %s%n%n",
        r.config().records,
        r.config().pattern,
        r.config().chunk,
        r.database());
    out.println(
        "| measure | row per record | tracker | ratio | target | tracker, flush per chunk |"
            + " ratio |");
    out.println("|---|---:|---:|---:|---:|---:|---:|");
    row(
        out,
        "record sent + processed (s)",
        rows.recordSeconds(),
        t.recordSeconds(),
        ">= 500x",
        cf.recordSeconds(),
        "%.3f");
    row(out, "- sent (s)", rows.sentSeconds(), t.sentSeconds(), "", cf.sentSeconds(), "%.3f");
    row(
        out,
        "- processed (s)",
        rows.processedSeconds(),
        t.processedSeconds(),
        "",
        cf.processedSeconds(),
        "%.3f");
    row(
        out,
        r.config().cold
            ? "reconcile, the first in a fresh reader JVM, median of "
                + r.config().coldReaders
                + " JVMs (ms)"
            : "reconcile, median of "
                + r.config().runs
                + " after "
                + WARMUP_RUNS
                + " unmeasured (ms)",
        rows.reconcileMillisMedian(),
        t.reconcileMillisMedian(),
        ">= 80x",
        cf.reconcileMillisMedian(),
        "%.2f");
    row(
        out,
        "storage, pg_total_relation_size (KB)",
        rows.storageBytes() / 1024.0,
        t.storageBytes() / 1024.0,
        ">= 3000x",
        cf.storageBytes() / 1024.0,
        "%.0f");
    row(
        out,
        "peak heap while recording (MB)",
        rows.peakHeapBytes() / 1048576.0,
        t.peakHeapBytes() / 1048576.0,
        "",
        cf.peakHeapBytes() / 1048576.0,
        "%.0f");
    out.printf(
        Locale.ROOT,
        "| missing ranges found | %,d | %,d | equal | | %,d | equal |%n",
        rows.missing().size(),
        t.missing().size(),
        cf.missing().size());
    out.println();
    out.println(
        "Reconcile runs (ms): row per record "
            + millis(rows.reconcileNanos())
            + "; tracker "
            + millis(t.reconcileNanos())
            + "; tracker, flush per chunk "
            + millis(cf.reconcileNanos()));
    if (r.config().cold) {
      out.printf(
          Locale.ROOT,
          "Later reconciles in the same reader JVMs, median (ms): row per record %.2f; tracker"
              + " %.2f; tracker, flush per chunk %.2f%n",
          medianMillis(ColdChild.warmNanos.get(Design.ROWS)),
          medianMillis(ColdChild.warmNanos.get(Design.TRACKER)),
          medianMillis(ColdChild.warmNanos.get(Design.TRACKER_CHUNK_FLUSH)));
      for (Design d : List.of(Design.TRACKER, Design.TRACKER_CHUNK_FLUSH)) {
        ColdChild.Reference ref = ColdChild.references.get(d);
        out.printf(
            Locale.ROOT,
            "%s: %d marks rows, %,d bytes; their transfer alone %.2f ms, the in-memory reconcile of"
                + " the same marks %.2f ms: reconcile target <= 2 x %.2f = %.2f ms, measured %.2f"
                + " ms after the first%n",
            d.title,
            ref.rows(),
            ref.bytes(),
            ref.transferNanos() / 1e6,
            ref.inMemoryNanos() / 1e6,
            (ref.transferNanos() + ref.inMemoryNanos()) / 1e6,
            2 * (ref.transferNanos() + ref.inMemoryNanos()) / 1e6,
            medianMillis(ColdChild.warmNanos.get(d)));
      }
    }
  }

  private static void row(
      PrintStream out,
      String name,
      double rows,
      double tracker,
      String target,
      double chunkFlush,
      String format) {
    out.printf(
        Locale.ROOT,
        "| %s | " + format + " | " + format + " | %s | %s | " + format + " | %s |%n",
        name,
        rows,
        tracker,
        ratio(rows, tracker),
        target,
        chunkFlush,
        ratio(rows, chunkFlush));
  }

  private static String ratio(double a, double b) {
    if (b <= 0) {
      return "n/a";
    }
    double x = a / b;
    return String.format(Locale.ROOT, x >= 100 ? "%.0fx" : "%.1fx", x);
  }

  private static String millis(long[] nanos) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < nanos.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", nanos[i] / 1e6));
    }
    return sb.append(']').toString();
  }
}
