package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * One business transaction per record, the way a CIS commits its work, in three shapes measured
 * side by side in one run (issue 15, part 2):
 *
 * <ol>
 *   <li>{@code bare}: the business transaction alone, one INSERT of a customer row;
 *   <li>{@code markWithin}: the same, plus {@link JdbcTrackerStore#markWithin} of that record in
 *       the same transaction;
 *   <li>{@code statusRow}: the same, plus a row-per-record status INSERT in the same transaction
 *       (what a team would otherwise write).
 * </ol>
 *
 * <p>{@code --workers} threads take the records of a {@code --records} batch in order from one
 * counter; each record is one transaction on a connection borrowed from a HikariCP pool of {@code
 * --pool} connections (shared, for {@code markWithin}, with the store's own background work, as in
 * a CIS that builds the store on its DataSource). Every run uses a fresh batch; shapes are run
 * {@code --runs} times each in rotating order (abc, bca, cab, ...), after one unmeasured warm-up of
 * {@code --warmup} records per shape. For {@code markWithin} the program also reports the delta
 * rows of the batch's processed stage at the end of the run; the median reconcile time during the
 * run (a reader thread on a store of its own reconciling every 100 ms, in turn the run's batch and
 * a batch of the same size whose records are all processed, each stage one row: the baseline under
 * the same load); and the median reconcile time after the last run against the same marks copied as
 * one row (a second batch, one flushed delta), and on PostgreSQL again after a {@code VACUUM} of
 * the marks table (the rows folds deleted stay dead tuples until then). Before anything is printed
 * the marks are checked: every record of every {@code markWithin} run must be processed, nothing
 * missing.
 *
 * <p>Each run also reports its CPU time per transaction: of this JVM (every thread: the workers,
 * the stores' background threads, the reader) and of the embedded PostgreSQL's processes (from
 * {@code /proc}; not for a server): on a shared machine the wall-clock rate swings with other work,
 * and the CPU times say where a shape's cost goes.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.recordtracker.benchmarks.PerTransactionBenchmark \
 *     [--records 200000] [--workers 4] [--runs 3] [--warmup 5000] [--pool 10] \
 *     [--compaction-threshold 32]
 * </pre>
 *
 * {@code --compaction-threshold} applies to both stores (the markers' and the reader's); a value
 * above the records run shows what the transactions cost without any fold.
 *
 * <p>Databases: PostgreSQL ($RECORDTRACKER_PG_URL if set, otherwise an embedded PostgreSQL), and
 * MariaDB at $RECORDTRACKER_MARIADB_URL when set. Tables {@code rtpertx_*}, dropped at the start
 * and the end.
 */
public final class PerTransactionBenchmark {

  static final String PREFIX = "rtpertx_";
  static final String CUSTOMER = PREFIX + "customer";
  static final String STATUS = PREFIX + "status";

  /** Reconciles timed after a run and on the one-row batch. */
  static final int RECONCILES = 7;

  private PerTransactionBenchmark() {}

  /** The three ways of committing a record. */
  enum Shape {
    BARE("(a) business tx alone"),
    MARK_WITHIN("(b) + markWithin"),
    STATUS_ROW("(c) + status row INSERT");

    final String label;

    Shape(String label) {
      this.label = label;
    }
  }

  /** What to run. */
  static final class Config {
    int records = 200_000;
    int workers = 4;
    int runs = 3;
    int warmup = 5_000;
    int pool = 10;
    int compactionThreshold = JdbcTrackerStore.DEFAULT_COMPACTION_THRESHOLD;

    static Config parse(String[] args) {
      Config c = new Config();
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + name);
        }
        String value = args[++i];
        switch (name) {
          case "--records" -> c.records = RowPerRecordComparison.Config.positive(name, value);
          case "--workers" -> c.workers = RowPerRecordComparison.Config.positive(name, value);
          case "--runs" -> c.runs = RowPerRecordComparison.Config.positive(name, value);
          case "--warmup" -> c.warmup = RowPerRecordComparison.Config.positive(name, value);
          case "--pool" -> c.pool = RowPerRecordComparison.Config.positive(name, value);
          case "--compaction-threshold" ->
              c.compactionThreshold = RowPerRecordComparison.Config.positive(name, value);
          default -> throw new IllegalArgumentException("unknown option: " + name);
        }
      }
      return c;
    }
  }

  /** One measured run of one shape. */
  record Run(
      Shape shape,
      double seconds,
      double clientCpuMicrosPerTx,
      double serverCpuMicrosPerTx,
      long deltaRows,
      long[] reconcileDuringNanos,
      long[] oneRowDuringNanos) {}

  /** Everything measured on one database. */
  record Result(
      String database,
      Map<Shape, List<Double>> txPerSecond,
      Map<Shape, List<Double>> clientCpuMicros,
      Map<Shape, List<Double>> serverCpuMicros,
      List<Long> deltaRowsLeft,
      long[] reconcileDuringNanos,
      long[] oneRowDuringNanos,
      long[] reconcileAfterNanos,
      long[] reconcileAfterVacuumNanos,
      long[] reconcileOneRowNanos,
      Map<Stage, Long> markedWithin) {}

  /** Runs the benchmark; exits 0 when done, 1 when marks are missing, 2 on bad arguments. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Config config;
    try {
      config = Config.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println(
          "usage: PerTransactionBenchmark [--records N] [--workers N] [--runs N] [--warmup N]"
              + " [--pool N] [--compaction-threshold N]");
      return 2;
    }
    try {
      try (BenchDatabase pg = BenchDatabase.postgres(config.pool)) {
        print(measure(config, pg, out), config, out);
      }
      try (BenchDatabase maria = BenchDatabase.mariadbIfSet(config.pool)) {
        if (maria != null) {
          print(measure(config, maria, out), config, out);
        }
      }
      return 0;
    } catch (MarksMissingException e) {
      err.println("FAILED: " + e.getMessage());
      return 1;
    }
  }

  /** Thrown when a markWithin run's batch does not hold every record it committed. */
  static final class MarksMissingException extends RuntimeException {
    MarksMissingException(String message) {
      super(message);
    }
  }

  static Result measure(Config config, BenchDatabase db, PrintStream out) {
    String database = db.describe();
    out.println(
        "== "
            + database
            + ": "
            + config.records
            + " records, "
            + config.workers
            + " workers, pool "
            + config.pool
            + ", "
            + config.runs
            + " runs per shape");
    dropTables(db.dataSource());
    createBusinessTables(db.dataSource(), db.isPostgres());
    AtomicLong customerIds = new AtomicLong();
    Map<Shape, List<Double>> txPerSecond = new EnumMap<>(Shape.class);
    Map<Shape, List<Double>> clientCpu = new EnumMap<>(Shape.class);
    Map<Shape, List<Double>> serverCpu = new EnumMap<>(Shape.class);
    List<Long> deltaRows = new ArrayList<>();
    List<Long> during = new ArrayList<>();
    List<Long> oneRowDuring = new ArrayList<>();
    long[] after;
    long[] afterVacuum = new long[0];
    long[] oneRow;
    Map<Stage, Long> markedWithin;
    try (JdbcTrackerStore store =
            JdbcTrackerStore.builder(db.dataSource())
                .tablePrefix(PREFIX)
                .compactionThreshold(config.compactionThreshold)
                .build();
        RecordTracker reader = readerTracker(db.dataSource(), config.compactionThreshold)) {
      Shape[] shapes = Shape.values();
      if (config.warmup > 0) {
        for (Shape shape : shapes) {
          runOnce(config, config.warmup, shape, db, store, reader, customerIds);
        }
      }
      BatchId last = null;
      for (int r = 0; r < config.runs; r++) {
        for (int i = 0; i < shapes.length; i++) {
          Shape shape = shapes[(r + i) % shapes.length];
          Measured m = runOnce(config, config.records, shape, db, store, reader, customerIds);
          double rate = config.records / m.run.seconds();
          txPerSecond.computeIfAbsent(shape, s -> new ArrayList<>()).add(rate);
          clientCpu
              .computeIfAbsent(shape, s -> new ArrayList<>())
              .add(m.run.clientCpuMicrosPerTx());
          serverCpu
              .computeIfAbsent(shape, s -> new ArrayList<>())
              .add(m.run.serverCpuMicrosPerTx());
          String extra = "";
          if (shape == Shape.MARK_WITHIN) {
            deltaRows.add(m.run.deltaRows());
            for (long n : m.run.reconcileDuringNanos()) {
              during.add(n);
            }
            for (long n : m.run.oneRowDuringNanos()) {
              oneRowDuring.add(n);
            }
            last = m.batch;
            extra = ", " + m.run.deltaRows() + " delta rows left";
          }
          out.printf(
              Locale.ROOT,
              "run %d %-26s %9.0f tx/s (%.1f s), CPU per tx: client %.0f µs, server %.0f µs%s%n",
              r + 1,
              shape.label,
              rate,
              m.run.seconds(),
              m.run.clientCpuMicrosPerTx(),
              m.run.serverCpuMicrosPerTx(),
              extra);
        }
      }
      after = reconcileTimes(reader, last);
      if (db.isPostgres()) {
        // The rows folds deleted stay in the table and its index as dead tuples until a vacuum:
        // the same reconcile once they are gone shows what they cost.
        vacuumMarks(db.dataSource());
        afterVacuum = reconcileTimes(reader, last);
      }
      oneRow = reconcileTimes(reader, oneRowCopy(reader, store, last, config.records));
      markedWithin = store.markedWithinRecords();
    }
    dropTables(db.dataSource());
    return new Result(
        database,
        txPerSecond,
        clientCpu,
        serverCpu,
        deltaRows,
        during.stream().mapToLong(Long::longValue).toArray(),
        oneRowDuring.stream().mapToLong(Long::longValue).toArray(),
        after,
        afterVacuum,
        oneRow,
        markedWithin);
  }

  private static RecordTracker readerTracker(DataSource ds, int compactionThreshold) {
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(ds)
            .tablePrefix(PREFIX)
            .compactionThreshold(compactionThreshold)
            .build();
    return RecordTracker.builder().store(store).flushInterval(Duration.ofHours(1)).build();
  }

  private record Measured(Run run, BatchId batch) {}

  /** One run of {@code shape} over a fresh batch of {@code records}, all sent beforehand. */
  private static Measured runOnce(
      Config config,
      int records,
      Shape shape,
      BenchDatabase db,
      JdbcTrackerStore store,
      RecordTracker reader,
      AtomicLong customerIds) {
    DataSource ds = db.dataSource();
    BatchId batch = BatchId.generate();
    reader.openBatch(batch, records, Map.of("benchmark", "per-transaction"));
    reader.markSent(batch, RecordRange.of(0, records - 1));
    reader.flush();
    // The same marks as the run leaves (every record processed) as one row per stage, reconciled
    // beside the run's batch: the baseline under the same load. The reader runs in every shape,
    // so that its load is the same for all three.
    BatchId oneRow = oneRowBatch(reader, records);
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(config.workers + 1);
    try {
      Future<List<long[]>> reconciles =
          pool.submit(() -> reconcileWhile(reader, batch, oneRow, done));
      List<Future<?>> workers = new ArrayList<>();
      long clientCpu0 = processCpuNanos();
      long serverCpu0 = db.serverCpuNanos();
      long start = System.nanoTime();
      for (int w = 0; w < config.workers; w++) {
        workers.add(
            pool.submit(
                () -> {
                  work(shape, ds, store, batch, records, next, customerIds);
                  return null;
                }));
      }
      for (Future<?> f : workers) {
        f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double clientCpu = (processCpuNanos() - clientCpu0) / 1e3 / records;
      long serverCpu1 = db.serverCpuNanos();
      double serverCpu = serverCpu0 < 0 ? Double.NaN : (serverCpu1 - serverCpu0) / 1e3 / records;
      done.set(true);
      List<long[]> during =
          reconciles == null ? List.of(new long[0], new long[0]) : reconciles.get();
      long rows = shape == Shape.MARK_WITHIN ? deltaRows(ds, batch) : 0;
      if (shape == Shape.MARK_WITHIN) {
        long processed = reader.reconcile(batch).missingCount();
        if (processed != 0) {
          throw new MarksMissingException(
              processed + " records of batch " + batch + " committed with markWithin are missing");
        }
      }
      return new Measured(
          new Run(shape, seconds, clientCpu, serverCpu, rows, during.get(0), during.get(1)), batch);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** The CPU time this JVM has used, all threads. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** A worker: one transaction per record until the batch is done. */
  private static void work(
      Shape shape,
      DataSource ds,
      JdbcTrackerStore store,
      BatchId batch,
      int records,
      AtomicInteger next,
      AtomicLong customerIds)
      throws SQLException {
    String insertCustomer =
        "INSERT INTO " + CUSTOMER + " (id, name, batch_id, record_no) VALUES (?, ?, ?, ?)";
    String insertStatus =
        "INSERT INTO " + STATUS + " (batch_id, record_no, status) VALUES (?, ?, 'PROCESSED')";
    for (int record = next.getAndIncrement(); record < records; record = next.getAndIncrement()) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(insertCustomer)) {
          long id = customerIds.incrementAndGet();
          ps.setLong(1, id);
          ps.setString(2, "customer " + id);
          ps.setString(3, batch.value());
          ps.setInt(4, record);
          ps.executeUpdate();
        }
        if (shape == Shape.MARK_WITHIN) {
          store.markWithin(c, batch, Stage.PROCESSED, record);
        } else if (shape == Shape.STATUS_ROW) {
          try (PreparedStatement ps = c.prepareStatement(insertStatus)) {
            ps.setString(1, batch.value());
            ps.setInt(2, record);
            ps.executeUpdate();
          }
        }
        c.commit();
        c.setAutoCommit(true);
      }
    }
  }

  /**
   * Reconciles {@code batch}, then {@code oneRow}, in a loop until {@code done}; returns each
   * call's time, for each batch.
   */
  private static List<long[]> reconcileWhile(
      RecordTracker reader, BatchId batch, BatchId oneRow, AtomicBoolean done)
      throws InterruptedException {
    List<Long> times = new ArrayList<>();
    List<Long> oneRowTimes = new ArrayList<>();
    while (!done.get()) {
      long t0 = System.nanoTime();
      reader.reconcile(batch);
      long t1 = System.nanoTime();
      reader.reconcile(oneRow);
      oneRowTimes.add(System.nanoTime() - t1);
      times.add(t1 - t0);
      TimeUnit.MILLISECONDS.sleep(100); // a reader polling, not a reader saturating a core
    }
    return List.of(
        times.stream().mapToLong(Long::longValue).toArray(),
        oneRowTimes.stream().mapToLong(Long::longValue).toArray());
  }

  /** A batch of {@code records}, all sent and processed, each stage one row. */
  private static BatchId oneRowBatch(RecordTracker reader, int records) {
    BatchId oneRow = BatchId.generate();
    reader.openBatch(oneRow, records, Map.of("benchmark", "per-transaction-one-row"));
    reader.markSent(oneRow, RecordRange.of(0, records - 1));
    reader.markProcessed(oneRow, RecordRange.of(0, records - 1));
    reader.flush();
    return oneRow;
  }

  private static long[] reconcileTimes(RecordTracker reader, BatchId batch) {
    long[] times = new long[RECONCILES];
    reader.reconcile(batch); // warm-up
    for (int i = 0; i < times.length; i++) {
      long t0 = System.nanoTime();
      reader.reconcile(batch);
      times[i] = System.nanoTime() - t0;
    }
    return times;
  }

  /** A second batch holding {@code batch}'s marks as one row per stage. */
  private static BatchId oneRowCopy(
      RecordTracker reader, JdbcTrackerStore store, BatchId batch, int records) {
    RoaringBitmap processed = store.load(batch, Stage.PROCESSED);
    BatchId copy = BatchId.generate();
    reader.openBatch(copy, records, Map.of("benchmark", "per-transaction-one-row"));
    reader.markSent(copy, RecordRange.of(0, records - 1));
    reader.markProcessed(copy, processed.toArray());
    reader.flush();
    return copy;
  }

  private static void vacuumMarks(DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("VACUUM " + PREFIX + "marks");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot vacuum the marks table", e);
    }
  }

  private static long deltaRows(DataSource ds, BatchId batch) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM " + PREFIX + "marks WHERE batch_id = ? AND stage = ?")) {
      ps.setString(1, batch.value());
      ps.setString(2, Stage.PROCESSED.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot count the delta rows of " + batch, e);
    }
  }

  private static void createBusinessTables(DataSource ds, boolean postgres) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + CUSTOMER
              + " (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL,"
              + " batch_id VARCHAR(128) NOT NULL, record_no INTEGER NOT NULL)");
      s.execute(
          "CREATE TABLE "
              + STATUS
              + " (batch_id VARCHAR(128) NOT NULL, record_no INTEGER NOT NULL,"
              + " status VARCHAR(16) NOT NULL, PRIMARY KEY (batch_id, record_no))");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the business tables", e);
    }
  }

  /** Drops the benchmark's tables, children first (MariaDB checks foreign keys on DROP). */
  static void dropTables(DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String table :
          List.of(
              "alert",
              "stage_name",
              "marks",
              "stage",
              "batch_attr",
              "batch",
              "customer",
              "status")) {
        s.execute("DROP TABLE IF EXISTS " + PREFIX + table);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop the benchmark's tables", e);
    }
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static void print(Result r, Config config, PrintStream out) {
    out.println();
    out.println("Database: " + r.database() + "; " + Instant.now());
    out.printf(
        Locale.ROOT,
        "%d records per run, %d workers, pool %d, %d runs per shape (median)%n",
        config.records,
        config.workers,
        config.pool,
        config.runs);
    double bare = median(r.txPerSecond().get(Shape.BARE));
    for (Shape shape : Shape.values()) {
      double rate = median(r.txPerSecond().get(shape));
      out.printf(
          Locale.ROOT,
          "| %-26s | %9.0f tx/s | cost %.2fx (a) | CPU µs/tx client %.0f, server %.0f | runs %s |%n",
          shape.label,
          rate,
          bare / rate,
          median(r.clientCpuMicros().get(shape)),
          median(r.serverCpuMicros().get(shape)),
          r.txPerSecond().get(shape).stream()
              .map(v -> String.format(Locale.ROOT, "%.0f", v))
              .toList());
    }
    double within = median(r.txPerSecond().get(Shape.MARK_WITHIN));
    double status = median(r.txPerSecond().get(Shape.STATUS_ROW));
    out.printf(
        Locale.ROOT,
        "(b)/(a) cost %.2fx (target <= 1.25x); (b)/(c) cost %.2fx (target <= 1.00x)%n",
        bare / within,
        status / within);
    out.println("delta rows left per markWithin run: " + r.deltaRowsLeft());
    double oneRow = RowPerRecordComparison.medianMillis(r.reconcileOneRowNanos());
    double during = RowPerRecordComparison.medianMillis(r.reconcileDuringNanos());
    double oneRowDuring = RowPerRecordComparison.medianMillis(r.oneRowDuringNanos());
    double after = RowPerRecordComparison.medianMillis(r.reconcileAfterNanos());
    double afterVacuum = RowPerRecordComparison.medianMillis(r.reconcileAfterVacuumNanos());
    out.printf(
        Locale.ROOT,
        "reconcile ms (median): during the runs %.2f against one row %.2f (%d calls each, %.2fx);"
            + " after the last run %.2f against one row %.2f (%.2fx), after a VACUUM of the marks"
            + " table %.2f (%.2fx); target <= 2x%n",
        during,
        oneRowDuring,
        r.reconcileDuringNanos().length,
        during / oneRowDuring,
        after,
        oneRow,
        after / oneRow,
        afterVacuum,
        afterVacuum / oneRow);
    out.println("records marked within, as the store counts them: " + r.markedWithin());
  }
}
