package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.roaringbitmap.RoaringBitmap;

/**
 * Appends marks rows on the caller's connection, in the caller's transaction ({@code markWithin}):
 * rows no other writer touches, checked against the batch's size and incarnation, counted per stage
 * when the call returns. The stage's last-marked time is advanced by {@link StageTimes} and the
 * rows folded by {@link Compactor}, both outside the caller's transaction.
 */
final class WithinWriter {

  /** How many batches markWithin keeps the size and incarnation of; past it, it forgets them. */
  private static final int MAX_KNOWN_BATCHES = 10_000;

  private final JdbcRunner runner;
  private final SqlStatements sql;
  private final int maxBlobBytes;
  private final Compactor compactor;
  private final StageTimes stageTimes;

  /** The size and incarnation of the batches marked, by id. */
  private final ConcurrentHashMap<BatchId, Known> known = new ConcurrentHashMap<>();

  /** Per stage, the records of markWithin calls that returned normally. */
  private final ConcurrentHashMap<Stage, LongAdder> markedWithin = new ConcurrentHashMap<>();

  /** The clock of the stage times these marks advance. */
  private volatile Clock clock;

  WithinWriter(
      JdbcRunner runner,
      SqlStatements sql,
      int maxBlobBytes,
      Compactor compactor,
      StageTimes stageTimes,
      Clock clock) {
    this.runner = runner;
    this.sql = sql;
    this.maxBlobBytes = maxBlobBytes;
    this.compactor = compactor;
    this.stageTimes = stageTimes;
    this.clock = clock;
  }

  /** Times the marks by {@code following} (the database's clock, followed). */
  void follow(Clock following) {
    this.clock = following;
  }

  /** Marks {@code record}, checked to be of the batch, in the caller's transaction. */
  void markWithin(Connection connection, BatchId batch, Stage stage, int record) {
    markWithin(connection, batch, stage, RoaringBitmap.bitmapOf(record), n -> "record " + record);
  }

  /** Marks {@code records}, each checked to be of the batch, in the caller's transaction. */
  void markWithin(Connection connection, BatchId batch, Stage stage, int[] records) {
    if (records.length == 0) {
      readBatch(connection, batch); // an unknown batch fails even when nothing is marked: read,
      // not the cache, which may still hold a batch purged since
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
    // One marking: a record in two committed calls is a repeat, one listed twice in a call is not.
    long token = newToken();
    try (PreparedStatement insert = connection.prepareStatement(sql.insertMarksFor(incarnation))) {
      MarksWriter.lockUnsealed(sql, connection, List.of(batch));
      for (int i = 0; i < blobs.size(); i++) {
        MarksWriter.bindMarks(insert, key, blobs.get(i), incarnation, highest, token, false);
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

  /** A random token for a marking, never {@link MarksReader#NO_TOKEN}. */
  static long newToken() {
    long t;
    do {
      t = java.util.concurrent.ThreadLocalRandom.current().nextLong();
    } while (t == MarksReader.NO_TOKEN);
    return t;
  }
}
