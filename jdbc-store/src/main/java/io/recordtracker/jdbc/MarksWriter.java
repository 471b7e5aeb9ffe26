package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Stage;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.StoreClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes marks rows on the store's own connections: appends deltas ({@link #merge}), advances the
 * stages' last-marked times, and folds the rows of a (batch, stage) into one ({@link #compact}).
 * Appends in the caller's transaction are {@link WithinWriter}'s.
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

  /** The database's clock, followed, resynchronised as stage times are written. */
  private volatile StoreClock storeClock;

  MarksWriter(
      JdbcRunner runner,
      JdbcDialect dialect,
      SqlStatements sql,
      int maxBlobBytes,
      MarksReader reader,
      Compactor compactor,
      StageTimes stageTimes,
      String store) {
    this.runner = runner;
    this.sql = sql;
    this.batchesInsertSelect = dialect.batchesInsertSelect();
    this.maxBlobBytes = maxBlobBytes;
    this.reader = reader;
    this.compactor = compactor;
    this.stageTimes = stageTimes;
    this.store = store;
  }

  /** Resynchronises {@code following} as stage times are written, off the callers' threads. */
  void follow(StoreClock following) {
    this.storeClock = following;
  }

  // ---------------------------------------------------------------------------------------------
  // Appending on the store's connections

  /** Appends the deltas in one transaction, or nothing if any of their batches is refused. */
  void merge(List<MarkDelta> deltas) {
    // One row per (batch, stage, incarnation), in a fixed order so that concurrent merges lock
    // stage rows in the same order and cannot deadlock. Deltas made for different incarnations of
    // one id stay apart: one of them is bound to be refused.
    // Deltas of one marking (token) stay apart from other markings' so that their rows tell the
    // markings apart; a delta without a token is a marking of its own.
    TreeMap<Target, RoaringBitmap> marks = new TreeMap<>();
    Map<Target, RoaringBitmap> repeats = new HashMap<>();
    Map<Target, Instant> markedAt = new HashMap<>();
    for (MarkDelta delta : deltas) {
      long token = delta.token() == MarkDelta.NO_TOKEN ? WithinWriter.newToken() : delta.token();
      Target target =
          new Target(new Compactor.Key(delta.batch(), delta.stage()), delta.incarnation(), token);
      RoaringBitmap union = marks.get(target);
      if (union == null) {
        marks.put(target, delta.marks().clone()); // never modify the caller's bitmap
      } else {
        union.or(delta.marks());
      }
      if (!delta.repeats().isEmpty()) {
        repeats.merge(target, delta.repeats().clone(), (a, b) -> RoaringBitmap.or(a, b));
      }
      markedAt.merge(target, delta.markedAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
    List<Target> targets = new ArrayList<>(marks.keySet());
    // Per target, its rows: the marks, split to the size cap, then any repeats (flagged).
    List<List<byte[]>> blobs = new ArrayList<>(targets.size());
    List<Integer> repeatRows = new ArrayList<>(targets.size());
    for (Target target : targets) {
      RoaringBitmap bitmap = marks.get(target);
      bitmap.runOptimize();
      List<byte[]> rows =
          bitmap.isEmpty() // an empty delta only advances the time
              ? new ArrayList<>()
              : new ArrayList<>(PortableBitmaps.serializeSplit(bitmap, maxBlobBytes));
      RoaringBitmap repeated = repeats.get(target);
      int marksRows = rows.size();
      if (repeated != null) {
        repeated.and(bitmap); // a repeat is a record the marks hold
        repeated.runOptimize();
        if (!repeated.isEmpty()) {
          rows.addAll(PortableBitmaps.serializeSplit(repeated, maxBlobBytes));
        }
      }
      blobs.add(rows);
      repeatRows.add(marksRows); // rows from this index on are repeats
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
          lockUnsealed(sql, c, targets.stream().map(t -> t.key().batch()).distinct().toList());
          for (boolean checked : kinds) {
            List<Integer> rows = new ArrayList<>();
            try (PreparedStatement ps =
                runner.prepare(c, checked ? sql.insertMarks : sql.insertMarksAnyIncarnation)) {
              for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                if (t.checked() != checked) {
                  continue;
                }
                List<byte[]> rowsOfTarget = blobs.get(i);
                for (int r = 0; r < rowsOfTarget.size(); r++) {
                  bindMarks(
                      ps,
                      t.key(),
                      rowsOfTarget.get(r),
                      t.incarnation(),
                      marks.get(t).last(),
                      t.token(),
                      r >= repeatRows.get(i));
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

  /**
   * Where a delta goes: its (batch, stage), the incarnation it was made for (0: any), and its
   * marking's token.
   */
  private record Target(Compactor.Key key, long incarnation, long token)
      implements Comparable<Target> {
    boolean checked() {
      return incarnation != BatchInfo.UNKNOWN_INCARNATION;
    }

    @Override
    public int compareTo(Target other) {
      int byKey = key.compareTo(other.key);
      if (byKey != 0) {
        return byKey;
      }
      int byIncarnation = Long.compare(incarnation, other.incarnation);
      return byIncarnation != 0 ? byIncarnation : Long.compare(token, other.token);
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
          List<MarksReader.Part> parts;
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
          // The marks in one row, and what the rows' markings repeated in another: the fold keeps
          // the repeats the rows tell, since the folded row is one marking.
          RoaringBitmap folded = MarksReader.union(parts).clone();
          folded.runOptimize();
          RoaringBitmap repeated = MarksReader.repeats(parts);
          repeated.runOptimize();
          Compactor.Key key = new Compactor.Key(batch, stage);
          List<byte[]> blobs = PortableBitmaps.serializeSplit(folded, maxBlobBytes);
          int marksRows = blobs.size();
          if (!repeated.isEmpty()) {
            blobs = new ArrayList<>(blobs);
            blobs.addAll(PortableBitmaps.serializeSplit(repeated, maxBlobBytes));
          }
          // Folded rows carry no token: they are the fold group, which every fold reads first
          // (see SqlStatements#foldRows), so records of two folds' rows are never two markings.
          long token = MarksReader.NO_TOKEN;
          if (blobs.size() >= ids.size()) {
            // Already as few rows as the size cap allows: folding would only rewrite them.
            compactor.settled(key, ids.size());
            return 0;
          }
          try (PreparedStatement ps = runner.prepare(c, sql.insertMarksFor(incarnation))) {
            for (int r = 0; r < blobs.size(); r++) {
              bindMarks(ps, key, blobs.get(r), incarnation, folded.last(), token, r >= marksRows);
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
   * {@link RoaringBitmap#last()} returns it, unsigned), written by the marking {@code token}; a row
   * of repeats if {@code repeated}.
   */
  static void bindMarks(
      PreparedStatement ps,
      Compactor.Key key,
      byte[] blob,
      long incarnation,
      int highest,
      long token,
      boolean repeated)
      throws SQLException {
    ps.setString(1, key.batch().value());
    ps.setString(2, key.stage().name());
    ps.setBytes(3, blob);
    if (token == MarksReader.NO_TOKEN) {
      ps.setNull(4, java.sql.Types.BIGINT);
    } else {
      ps.setLong(4, token);
    }
    ps.setInt(5, repeated ? 1 : 0);
    ps.setString(6, key.batch().value());
    int next = 7;
    if (incarnation != BatchInfo.UNKNOWN_INCARNATION) {
      ps.setLong(next++, incarnation);
    }
    ps.setLong(next, highest & 0xFFFF_FFFFL);
  }

  /** On H2, locks the rows of those of {@code batches} that are unsealed; see the statement. */
  static void lockUnsealed(SqlStatements sql, Connection c, List<BatchId> batches)
      throws SQLException {
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
