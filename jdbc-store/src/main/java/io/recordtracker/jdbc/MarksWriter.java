package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.StoreClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes marks rows: appends deltas ({@link #merge}, {@link #markWithin}), advances the stages'
 * last-marked times, and folds the rows of a (batch, stage) into one ({@link #compact}).
 *
 * <p>Every append writes only rows of its own, each a bitmap in Roaring's portable format of at
 * most {@code maxBlobBytes}, and only into a batch that exists as the incarnation it was made for;
 * a row the database did not insert (its batch gone or opened again) is counted, and fails the
 * write. A fold reads the rows, inserts their union and deletes exactly the rows it read, by key,
 * so rows appended meanwhile survive; two stores folding the same rows insert the same union, a
 * harmless duplicate the next fold removes.
 */
final class MarksWriter {

  private static final Logger log = LoggerFactory.getLogger(MarksWriter.class);

  /** How many row deletions of a fold go in one JDBC batch. */
  private static final int DELETES_PER_BATCH = 500;

  private final JdbcRunner runner;
  private final SqlStatements sql;
  private final boolean batchesInsertSelect;
  private final int maxBlobBytes;
  private final MarksReader reader;
  private final Compactor compactor;
  private final StageTimes stageTimes;
  private final String store;

  /** How many batches markWithin keeps the size and incarnation of; past it, it forgets them. */
  private static final int MAX_KNOWN_BATCHES = 10_000;

  /** markWithin's cache: the size and incarnation of the batches it marked, by id. */
  private final ConcurrentHashMap<BatchId, Known> known = new ConcurrentHashMap<>();

  /** Per stage, the records of markWithin calls that returned normally. */
  private final ConcurrentHashMap<Stage, LongAdder> markedWithin = new ConcurrentHashMap<>();

  /** The clock of markWithin's stage times. */
  private volatile Clock clock;

  /** The database's clock, followed, when that is {@link #clock}. */
  private volatile StoreClock storeClock;

  MarksWriter(
      JdbcRunner runner,
      JdbcDialect dialect,
      SqlStatements sql,
      int maxBlobBytes,
      MarksReader reader,
      Compactor compactor,
      StageTimes stageTimes,
      Clock clock,
      String store) {
    this.runner = runner;
    this.sql = sql;
    this.batchesInsertSelect = dialect.batchesInsertSelect();
    this.maxBlobBytes = maxBlobBytes;
    this.reader = reader;
    this.compactor = compactor;
    this.stageTimes = stageTimes;
    this.clock = clock;
    this.store = store;
  }

  /** Times markWithin's marks by {@code following}, resynchronised as stage times are written. */
  void follow(StoreClock following) {
    this.storeClock = following;
    this.clock = following;
  }

  // ---------------------------------------------------------------------------------------------
  // Appending on the store's connections

  /** Appends the deltas in one transaction, or nothing if any of their batches is refused. */
  void merge(List<MarkDelta> deltas) {
    // One row per (batch, stage, incarnation), in a fixed order so that concurrent merges lock
    // stage rows in the same order and cannot deadlock. Deltas made for different incarnations of
    // one id stay apart: one of them is bound to be refused.
    TreeMap<Target, RoaringBitmap> marks = new TreeMap<>();
    Map<Target, Instant> markedAt = new HashMap<>();
    for (MarkDelta delta : deltas) {
      Target target =
          new Target(new Compactor.Key(delta.batch(), delta.stage()), delta.incarnation());
      RoaringBitmap union = marks.get(target);
      if (union == null) {
        marks.put(target, delta.marks().clone()); // never modify the caller's bitmap
      } else {
        union.or(delta.marks());
      }
      markedAt.merge(target, delta.markedAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
    List<Target> targets = new ArrayList<>(marks.keySet());
    List<List<byte[]>> blobs = new ArrayList<>(targets.size());
    for (Target target : targets) {
      RoaringBitmap bitmap = marks.get(target);
      bitmap.runOptimize();
      blobs.add(
          bitmap.isEmpty() // an empty delta only advances the time
              ? List.of()
              : PortableBitmaps.serializeSplit(bitmap, maxBlobBytes));
    }
    // Which statements the merge needs: those checking the incarnation, and (for deltas made for
    // no particular incarnation) those that do not.
    List<Boolean> kinds = targets.stream().map(Target::checked).distinct().sorted().toList();
    runner.inTransaction(
        "merge of " + deltas.size() + " deltas",
        true,
        c -> {
          // Every row written is counted: a delta whose batch is gone (purged, restored from an
          // older backup, tables recreated) or is another incarnation inserts nothing, and then
          // nothing of this merge may commit.
          java.util.Set<Target> rejectedTargets = new java.util.LinkedHashSet<>();
          lockUnsealed(c, targets.stream().map(t -> t.key().batch()).distinct().toList());
          for (boolean checked : kinds) {
            List<Integer> rows = new ArrayList<>();
            try (PreparedStatement ps =
                runner.prepare(c, checked ? sql.insertMarks : sql.insertMarksAnyIncarnation)) {
              for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                if (t.checked() != checked) {
                  continue;
                }
                for (byte[] blob : blobs.get(i)) {
                  bindMarks(ps, t.key(), blob, t.incarnation(), marks.get(t).last());
                  rows.add(i);
                  addOrRun(ps, counts -> noteRejected(counts, rows, targets, rejectedTargets));
                }
              }
              runBatch(ps, counts -> noteRejected(counts, rows, targets, rejectedTargets));
            }
          }
          if (!rejectedTargets.isEmpty()) {
            // Each target once, however many blob rows it was split into.
            Map<BatchId, Long> rejected = new LinkedHashMap<>();
            for (Target t : rejectedTargets) {
              rejected.merge(t.key().batch(), marks.get(t).getLongCardinality(), Long::sum);
            }
            c.rollback();
            throw new MarksRejectedException(
                rejected, "the store " + store + " wrote none of the " + deltas.size() + " deltas");
          }
          for (boolean checked : kinds) {
            try (PreparedStatement ps =
                runner.prepare(c, checked ? sql.upsertStage : sql.upsertStageAnyIncarnation)) {
              for (Target t : targets) {
                if (t.checked() == checked) {
                  bindStage(ps, t.key(), markedAt.get(t), t.incarnation());
                  addOrRun(ps, counts -> {});
                }
              }
              runBatch(ps, counts -> {});
            }
          }
          return null;
        });
    for (int i = 0; i < targets.size(); i++) {
      compactor.appended(targets.get(i).key(), blobs.get(i).size());
    }
  }

  /** Where a delta goes: its (batch, stage), and the incarnation it was made for (0: any). */
  private record Target(Compactor.Key key, long incarnation) implements Comparable<Target> {
    boolean checked() {
      return incarnation != BatchInfo.UNKNOWN_INCARNATION;
    }

    @Override
    public int compareTo(Target other) {
      int byKey = key.compareTo(other.key);
      return byKey != 0 ? byKey : Long.compare(incarnation, other.incarnation);
    }
  }

  /**
   * Notes the targets whose inserts wrote no row; {@code counts} are the update counts of the rows
   * last executed, which are the last {@code counts.length} of {@code rows}. A driver that does not
   * say (SUCCESS_NO_INFO) cannot be checked here: the foreign key still refuses a gone batch, but
   * not another incarnation. The supported drivers report counts for these statements (MariaDB's
   * are run one by one; pgjdbc does not rewrite INSERT ... SELECT).
   */
  private static void noteRejected(
      int[] counts, List<Integer> rows, List<Target> targets, java.util.Set<Target> rejected) {
    int first = rows.size() - counts.length;
    for (int j = 0; j < counts.length; j++) {
      if (counts[j] == 0) {
        rejected.add(targets.get(rows.get(first + j)));
      }
    }
    rows.subList(first, rows.size()).clear();
  }

  /** Advances the last-marked times of stages in one short transaction of the store's own. */
  void writeStageTimes(Map<Compactor.Key, Instant> times) {
    StoreClock following = storeClock;
    if (following != null) {
      following.resyncIfDue(); // on the stage-time writer's thread, never the caller's
    }
    runner.inTransaction(
        "advancing the last-marked time of " + times.size() + " stages",
        true,
        c -> {
          try (PreparedStatement ps = runner.prepare(c, sql.upsertStageAnyIncarnation)) {
            for (Map.Entry<Compactor.Key, Instant> e : times.entrySet()) {
              bindStage(ps, e.getKey(), e.getValue(), BatchInfo.UNKNOWN_INCARNATION);
              addOrRun(ps, counts -> {});
            }
            runBatch(ps, counts -> {});
          }
          return null;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Appending on the caller's connection

  /** Marks {@code record}, checked to be of the batch, in the caller's transaction. */
  void markWithin(Connection connection, BatchId batch, Stage stage, int record) {
    markWithin(connection, batch, stage, RoaringBitmap.bitmapOf(record), n -> "record " + record);
  }

  /** Marks {@code records}, each checked to be of the batch, in the caller's transaction. */
  void markWithin(Connection connection, BatchId batch, Stage stage, int[] records) {
    if (records.length == 0) {
      knownBatch(connection, batch); // an unknown batch fails even when nothing is marked
      return;
    }
    markWithin(
        connection, batch, stage, RoaringBitmap.bitmapOf(records), n -> firstOutside(records, n));
  }

  /** Marks {@code range}, checked to be of the batch, in the caller's transaction. */
  void markWithin(Connection connection, BatchId batch, Stage stage, RecordRange range) {
    RoaringBitmap marks = new RoaringBitmap();
    marks.add((long) range.first(), (long) range.last() + 1);
    markWithin(connection, batch, stage, marks, n -> "range " + range);
  }

  /** The first of {@code records} outside 0..expected-1, named. */
  private static String firstOutside(int[] records, int expected) {
    for (int record : records) {
      if (record < 0 || record >= expected) {
        return "record " + record;
      }
    }
    throw new IllegalStateException("no record is outside 0.." + (expected - 1));
  }

  /**
   * Per stage, the records of {@code markWithin} calls that returned normally: see {@link
   * JdbcTrackerStore#markedWithinRecords()}.
   */
  Map<Stage, Long> markedWithinRecords() {
    Map<Stage, Long> sums = new TreeMap<>();
    markedWithin.forEach((stage, n) -> sums.put(stage, n.sum()));
    return sums;
  }

  /**
   * Appends {@code marks} in the caller's transaction, checked against the batch's size and
   * incarnation; {@code what} names the marks outside a batch of the given size.
   *
   * <p>The size and incarnation come from {@link #known}: read once per incarnation of the batch on
   * the caller's connection, then cached, since the size of an incarnation never changes. The
   * insert checks the incarnation in SQL, so a stale entry (the batch purged, or purged and opened
   * again, maybe with another size) writes nothing; the batch is then read again on the caller's
   * connection and, if it is there as a new incarnation, checked against the new size and appended
   * once more. A record outside the cached size is checked again against a fresh read before it is
   * refused, so a batch reopened larger is not refused by its old size.
   */
  private void markWithin(
      Connection connection,
      BatchId batch,
      Stage stage,
      RoaringBitmap marks,
      IntFunction<String> what) {
    Known batchNow = knownBatch(connection, batch);
    if (!batchNow.holds(marks)) {
      batchNow = readBatch(connection, batch); // the cached size may be of an older incarnation
      if (!batchNow.holds(marks)) {
        throw outside(what, batch, batchNow.expectedRecords());
      }
    }
    marks.runOptimize();
    Compactor.Key key = new Compactor.Key(batch, stage);
    List<byte[]> blobs = PortableBitmaps.serializeSplit(marks, maxBlobBytes);
    int highest = marks.last();
    if (!appendWithin(connection, key, blobs, batchNow.incarnation(), highest)) {
      Known fresh = readBatch(connection, batch);
      // Sealed below these marks since it was cached (by another transaction), or reopened smaller.
      if (!fresh.holds(marks)) {
        throw outside(what, batch, fresh.expectedRecords());
      }
      // The same incarnation: the batch is gone for the insert, though the caller's snapshot still
      // shows it (MariaDB's REPEATABLE READ).
      if (fresh.incarnation() == batchNow.incarnation()) {
        throw new UnknownBatchException(batch);
      }
      if (!appendWithin(connection, key, blobs, fresh.incarnation(), highest)) {
        throw new UnknownBatchException(batch);
      }
    }
    markedWithin.computeIfAbsent(stage, s -> new LongAdder()).add(marks.getLongCardinality());
    stageTimes.advance(key, clock.instant());
    compactor.appended(key, blobs.size());
  }

  private static IllegalArgumentException outside(
      IntFunction<String> what, BatchId batch, int expected) {
    return new IllegalArgumentException(
        what.apply(expected)
            + " is outside batch "
            + batch
            + ", whose records are 0.."
            + (expected - 1)
            + " ("
            + expected
            + " expected)");
  }

  /** A batch's size and incarnation, as markWithin last read them. */
  private record Known(int expectedRecords, long incarnation) {
    /** Whether every record of {@code marks} is within 0..expectedRecords-1. */
    boolean holds(RoaringBitmap marks) {
      // Unsigned order: a negative record is the last one, and as an int below 0.
      int last = marks.last();
      return last >= 0 && last < expectedRecords;
    }
  }

  /** The batch's size and incarnation: cached, else read on {@code connection}. */
  private Known knownBatch(Connection connection, BatchId batch) {
    Known cached = known.get(batch);
    return cached != null ? cached : readBatch(connection, batch);
  }

  /** The batch's size and incarnation as {@code connection} sees them, cached for later calls. */
  private Known readBatch(Connection connection, BatchId batch) {
    Known read;
    try (PreparedStatement ps = connection.prepareStatement(sql.expectedRecords)) {
      ps.setString(1, batch.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          known.remove(batch);
          throw new UnknownBatchException(batch);
        }
        read = new Known(rs.getInt(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      throw runner.failures().translate("mark within the caller's transaction, batch " + batch, e);
    }
    if (known.size() >= MAX_KNOWN_BATCHES) {
      known.clear(); // only a cache: a miss costs one read on the caller's connection
    }
    known.put(batch, read);
    return read;
  }

  /**
   * Appends the marks rows on the caller's connection: rows no other writer touches, so nothing
   * here waits on, or makes anyone wait on, another transaction. The stage's shared last-marked row
   * is advanced by {@link StageTimes} outside the caller's transaction.
   *
   * @return false if the first row was not inserted (and so nothing was): the batch is not there as
   *     {@code incarnation} for the insert
   * @throws UnknownBatchException if a later row was not inserted, or the batch's foreign key
   *     failed: the batch was purged meanwhile, and the caller's transaction must roll back
   */
  private boolean appendWithin(
      Connection connection, Compactor.Key key, List<byte[]> blobs, long incarnation, int highest) {
    BatchId batch = key.batch();
    try (PreparedStatement insert = connection.prepareStatement(sql.insertMarks)) {
      lockUnsealed(connection, List.of(batch));
      for (int i = 0; i < blobs.size(); i++) {
        bindMarks(insert, key, blobs.get(i), incarnation, highest);
        // No row: the batch is not there as this incarnation (purged, or purged and opened again,
        // which the caller's snapshot can hide: MariaDB's REPEATABLE READ), or sealed below these
        // marks since the caller last read it.
        if (insert.executeUpdate() == 0) {
          if (i == 0) {
            return false;
          }
          throw new UnknownBatchException(batch); // purged between this call's statements
        }
      }
      return true;
    } catch (SQLException e) {
      if (SqlFailures.isForeignKeyViolation(e)) {
        throw new UnknownBatchException(batch); // purged between the existence check and the row
      }
      throw runner.failures().translate("mark within the caller's transaction, batch " + batch, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Folding

  /**
   * Folds the delta rows of (batch, stage) into one, now, on the caller's thread.
   *
   * @return how many rows were folded (0 if there were fewer than two)
   */
  int compact(BatchId batch, Stage stage) {
    return runner.inTransaction(
        "compaction of batch " + batch + ", stage " + stage,
        true,
        c -> {
          List<Long> read = new ArrayList<>();
          List<RoaringBitmap> parts;
          try (PreparedStatement ps = runner.prepare(c, sql.foldRows)) {
            ps.setString(1, batch.value());
            ps.setString(2, stage.name());
            try (ResultSet rs = ps.executeQuery()) {
              parts = reader.readMarks(rs, batch, stage, read);
            }
          }
          if (read.size() < 3) {
            return 0;
          }
          // The incarnation the rows were read from: the folded row is written only into that
          // batch, so a fold delayed while the batch was purged and opened again writes nothing.
          long incarnation = read.get(0);
          List<Long> ids = read.subList(1, read.size());
          RoaringBitmap folded = MarksReader.union(parts);
          folded.runOptimize();
          Compactor.Key key = new Compactor.Key(batch, stage);
          List<byte[]> blobs = PortableBitmaps.serializeSplit(folded, maxBlobBytes);
          if (blobs.size() >= ids.size()) {
            // Already as few rows as the size cap allows: folding would only rewrite them.
            compactor.settled(key, ids.size());
            return 0;
          }
          try (PreparedStatement ps = runner.prepare(c, sql.insertMarks)) {
            for (byte[] blob : blobs) {
              bindMarks(ps, key, blob, incarnation, folded.last());
              if (ps.executeUpdate() == 0) {
                c.rollback();
                log.debug(
                    "Batch {} was purged (or purged and opened again) during a fold of stage {};"
                        + " nothing folded",
                    batch,
                    stage);
                return 0;
              }
            }
          }
          // Delete exactly the rows read above, each by its key: rows appended since then are kept,
          // and an uncommitted one (a caller's open markWithin) is never touched nor waited for.
          try (PreparedStatement ps = runner.prepare(c, sql.deleteMarksRow)) {
            for (int i = 0; i < ids.size(); i++) {
              ps.setString(1, batch.value());
              ps.setString(2, stage.name());
              ps.setLong(3, ids.get(i));
              ps.addBatch();
              if ((i + 1) % DELETES_PER_BATCH == 0 || i == ids.size() - 1) {
                ps.executeBatch();
              }
            }
          }
          return ids.size();
        });
  }

  /** Folds as the background compaction does: a failure is logged, the rows stay unfolded. */
  void foldQuietly(Compactor.Key key) {
    try {
      int folded = compact(key.batch(), key.stage());
      log.debug("Folded {} delta rows of batch {}, stage {}", folded, key.batch(), key.stage());
    } catch (RuntimeException e) {
      // The rows stay as they are, correct but unfolded; the next trigger tries again.
      log.warn(
          "Compaction of batch {}, stage {} failed; its delta rows are kept unfolded: {}",
          key.batch(),
          key.stage(),
          e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Binding

  /** What to do with the update counts of statements just run. */
  @FunctionalInterface
  private interface Counts {
    void accept(int[] counts);
  }

  /** Adds the bound statement to the JDBC batch, or runs it now where batching is not possible. */
  private void addOrRun(PreparedStatement ps, Counts counts) throws SQLException {
    if (batchesInsertSelect) {
      ps.addBatch();
    } else {
      counts.accept(new int[] {ps.executeUpdate()});
    }
  }

  private void runBatch(PreparedStatement ps, Counts counts) throws SQLException {
    if (batchesInsertSelect) {
      counts.accept(ps.executeBatch());
    }
  }

  /**
   * Binds an append of {@code blob}, part of marks whose highest record is {@code highest} (as
   * {@link RoaringBitmap#last()} returns it, unsigned).
   */
  private static void bindMarks(
      PreparedStatement ps, Compactor.Key key, byte[] blob, long incarnation, int highest)
      throws SQLException {
    ps.setString(1, key.batch().value());
    ps.setString(2, key.stage().name());
    ps.setBytes(3, blob);
    ps.setString(4, key.batch().value());
    int next = 5;
    if (incarnation != BatchInfo.UNKNOWN_INCARNATION) {
      ps.setLong(next++, incarnation);
    }
    ps.setLong(next, highest & 0xFFFF_FFFFL);
  }

  /** On H2, locks the rows of those of {@code batches} that are unsealed; see the statement. */
  private void lockUnsealed(Connection c, List<BatchId> batches) throws SQLException {
    if (sql.lockUnsealed == null) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(sql.lockUnsealed)) {
      for (BatchId batch : batches.stream().sorted().toList()) {
        ps.setString(1, batch.value());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
        }
      }
    }
  }

  private static void bindStage(
      PreparedStatement ps, Compactor.Key key, Instant at, long incarnation) throws SQLException {
    ps.setString(1, key.batch().value());
    ps.setString(2, key.stage().name());
    ps.setObject(3, StoredTimes.utc(at));
    ps.setString(4, key.batch().value());
    if (incarnation != BatchInfo.UNKNOWN_INCARNATION) {
      ps.setLong(5, incarnation);
    }
  }
}
