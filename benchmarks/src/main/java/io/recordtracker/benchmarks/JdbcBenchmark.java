package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Flush and reconcile through {@link JdbcTrackerStore} on H2 (in memory) and PostgreSQL (embedded,
 * or the server at {@code $RECORDTRACKER_PG_URL}), with a HikariCP pool.
 *
 * <ul>
 *   <li>{@code reconcile}: a batch of {@code batchSize} records, all sent, processed but for {@code
 *       pattern}'s holes, written in setup in {@code deltaRows} flushes; each call loads both
 *       stages from the database and reconciles them.
 *   <li>{@code flushChunk}: marks the next {@code chunk} records of a second batch processed (less
 *       the pattern's holes, as one {@code int[]}) and calls {@code flush()}, which appends one
 *       delta row and returns when it is committed. The store's background compaction folds the
 *       rows as they accumulate, as it would in production.
 * </ul>
 *
 * The tracker's own background flushing is turned off (hour-long interval, no threshold), so only
 * the measured {@code flush()} writes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class JdbcBenchmark {

  static final String TABLE_PREFIX = "rtbench_jmh_";

  /** A tracker on {@link JdbcTrackerStore} that writes only when {@code flush()} is called. */
  static RecordTracker tracker(BenchDatabase db) {
    db.dropTablesStartingWith(TABLE_PREFIX);
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(db.dataSource()).tablePrefix(TABLE_PREFIX).build();
    return RecordTracker.builder()
        .store(store)
        .flushInterval(Duration.ofHours(1))
        .flushThreshold(Integer.MAX_VALUE)
        .maxBufferedRecords(Long.MAX_VALUE)
        .build();
  }

  static void close(RecordTracker tracker, BenchDatabase db) {
    try {
      tracker.close();
      db.dropTablesStartingWith(TABLE_PREFIX);
    } finally {
      db.close();
    }
  }

  /**
   * What both states share: a tracker on {@code database} and one open batch of {@code batchSize}
   * records, dropped with the tables at the end of the trial.
   */
  @State(Scope.Benchmark)
  public abstract static class OnDatabase {
    @Param({"h2", "postgres"})
    public String database;

    @Param({"1000000", "10000000"})
    public int batchSize;

    @Param({"RANDOM_1PCT_PLUS_GAP"})
    public GapPattern pattern;

    BenchDatabase db;
    RecordTracker tracker;
    BatchId id;

    void openBatch(String name) {
      db = BenchDatabase.open(database);
      tracker = tracker(db);
      id = BatchFixture.newBatchId(name);
      tracker.openBatch(id, batchSize);
    }

    @TearDown(Level.Trial)
    public void close() {
      JdbcBenchmark.close(tracker, db);
    }
  }

  /**
   * A batch to reconcile, written in setup: all sent (one delta row), processed but for the
   * pattern's holes in {@code deltaRows} consecutive slices, one flush (one delta row) each. Below
   * the store's compaction threshold (32 rows) the rows stay as written, so {@code deltaRows} = 10
   * is a batch read while its deltas are not yet compacted.
   */
  @State(Scope.Benchmark)
  public static class Prepared extends OnDatabase {

    @Param({"1", "10"})
    public int deltaRows;

    @Setup(Level.Trial)
    public void open() {
      openBatch("jdbc-reconcile");
      tracker.markSent(id, RecordRange.of(0, batchSize - 1));
      tracker.flush();
      BitSet processed = pattern.processed(batchSize);
      for (int i = 0; i < deltaRows; i++) {
        int from = (int) ((long) batchSize * i / deltaRows);
        int to = (int) ((long) batchSize * (i + 1) / deltaRows);
        BitSet slice = new BitSet();
        slice.or(processed);
        slice.clear(0, from);
        slice.clear(to, batchSize);
        BatchFixture.markRuns(tracker, id, slice);
        tracker.flush();
      }
      long expected = pattern.holes(batchSize).cardinality();
      long found = tracker.reconcile(id).missingCount();
      if (found != expected) {
        throw new IllegalStateException(found + " missing, expected " + expected);
      }
    }
  }

  /** A batch to flush chunks of processed marks into. */
  @State(Scope.Benchmark)
  public static class Flushing extends OnDatabase {

    @Param({"10000"})
    public int chunk;

    int[][] chunks;
    int nextChunk;

    @Setup(Level.Trial)
    public void open() {
      openBatch("jdbc-flush");
      chunks = BatchFixture.chunks(pattern.processed(batchSize), batchSize, chunk);
    }
  }

  /** Loads both stages of the prepared batch from the database and reconciles them. */
  @Benchmark
  public Reconciliation reconcile(Prepared s) {
    return s.tracker.reconcile(s.id);
  }

  /** Marks one chunk processed and makes it durable: one delta row, one commit. */
  @Benchmark
  public void flushChunk(Flushing s) {
    int[] records = s.chunks[s.nextChunk];
    s.nextChunk = (s.nextChunk + 1) % s.chunks.length;
    if (records.length > 0) {
      s.tracker.markProcessed(s.id, records);
    }
    s.tracker.flush();
  }
}
