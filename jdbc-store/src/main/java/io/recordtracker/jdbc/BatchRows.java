package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.internal.Abandoning;
import io.recordtracker.internal.Sealing;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch rows, with their attributes and stage times: opening, finding, listing, completing and
 * deleting batches.
 */
final class BatchRows {

  private static final Logger log = LoggerFactory.getLogger(BatchRows.class);

  /** The reason read for a batch whose row has {@code abandoned_at} but no reason. */
  static final String NO_REASON = "(no reason recorded)";

  /** The most ids in one IN list. */
  private static final int IN_CHUNK = 500;

  private final JdbcRunner runner;
  private final SqlStatements sql;
  private final boolean readOnly;

  /** Whether a read-only refusal of a completion was logged at INFO already. */
  private final java.util.concurrent.atomic.AtomicBoolean refusalLogged =
      new java.util.concurrent.atomic.AtomicBoolean();

  BatchRows(JdbcRunner runner, SqlStatements sql) {
    this(runner, sql, false);
  }

  /** With {@code readOnly}: completions are never written (see {@link #tryRecordCompletion}). */
  BatchRows(JdbcRunner runner, SqlStatements sql, boolean readOnly) {
    this.runner = runner;
    this.sql = sql;
    this.readOnly = readOnly;
  }

  /** Opens {@code batch} as a new incarnation unless it exists; returns the batch as stored. */
  BatchInfo open(BatchInfo batch) {
    BatchInfo stamped =
        BatchInfo.of(
                batch.id(),
                batch.expectedRecords(),
                StoredTimes.micros(batch.openedAt()),
                batch.attributes())
            .withIncarnation(newIncarnation());
    BatchInfo fresh = batch.isSealed() ? stamped : stamped.asUnsealed();
    return runner.inTransaction("open batch " + batch.id(), true, c -> open(c, fresh));
  }

  private BatchInfo open(Connection c, BatchInfo fresh) throws SQLException {
    int inserted;
    try (PreparedStatement ps = runner.prepare(c, sql.insertBatch)) {
      ps.setString(1, fresh.id().value());
      ps.setInt(2, fresh.expectedRecords());
      ps.setObject(3, StoredTimes.utc(fresh.openedAt()));
      ps.setString(4, AttributesJson.write(fresh.attributes()));
      ps.setLong(5, fresh.incarnation());
      ps.setInt(6, fresh.isSealed() ? 1 : 0);
      inserted = ps.executeUpdate();
    } catch (SQLException e) {
      if (!sql.insertBatchFailsOnDuplicate() || !SqlFailures.isDuplicateKey(e)) {
        throw e;
      }
      inserted = 0; // another connection inserted it first
    }
    if (inserted > 0) {
      if (!fresh.attributes().isEmpty()) {
        try (PreparedStatement ps = runner.prepare(c, sql.insertAttribute)) {
          for (Map.Entry<String, String> e : fresh.attributes().entrySet()) {
            ps.setString(1, fresh.id().value());
            ps.setString(2, e.getKey());
            ps.setString(3, e.getValue());
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      return fresh;
    }
    BatchInfo existing =
        find(c, fresh.id())
            .orElseThrow(
                () -> // deleted between our insert attempt and read: let the retry insert it
                new SQLException("batch " + fresh.id() + " vanished while opening", "40001"));
    Sealing.checkOpen(existing, fresh);
    return existing;
  }

  /**
   * Seals the batch in one READ COMMITTED transaction: locks its row (FOR UPDATE), which waits for
   * every transaction that appended marks to it and is still open (each holds a shared lock on the
   * row from its append, see {@link SqlStatements#insertMarks}) and makes appends that come later
   * wait; then reads every marks row of the batch, now all committed, and stores the size unless a
   * mark is at or beyond it. An append that waited re-reads the row and, if its marks are beyond
   * the size, inserts nothing: the merge fails as for a gone batch. So no mark ever lands beyond
   * it.
   */
  BatchInfo seal(BatchId batch, int totalRecords, MarksReader reader) {
    return runner.inReadCommittedTransaction(
        "seal batch " + batch,
        c -> {
          try (PreparedStatement ps = runner.prepare(c, sql.lockBatch)) {
            ps.setString(1, batch.value());
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                throw new UnknownBatchException(batch);
              }
            }
          }
          BatchInfo stored = find(c, batch).orElseThrow(() -> new UnknownBatchException(batch));
          if (Sealing.alreadySealed(stored, totalRecords)) {
            return stored;
          }
          long highest;
          try (PreparedStatement ps = runner.prepare(c, sql.allMarks)) {
            ps.setString(1, batch.value());
            try (ResultSet rs = ps.executeQuery()) {
              highest = reader.highestMark(rs, batch);
            }
          }
          Sealing.checkHighestMark(batch, highest, totalRecords);
          try (PreparedStatement ps = runner.prepare(c, sql.sealBatch)) {
            ps.setInt(1, totalRecords);
            ps.setString(2, batch.value());
            ps.executeUpdate();
          }
          return stored.sealedWith(totalRecords);
        });
  }

  /**
   * Abandons the batch with one conditional update that changes only a batch neither abandoned nor
   * complete; when it changes nothing, the batch as it stands then says why (gone, abandoned
   * already, complete). No lock is held beyond the update's own row lock.
   */
  BatchInfo abandon(BatchId batch, Instant at, String reason) {
    Instant stored = StoredTimes.micros(at);
    return runner.inTransaction(
        "abandon batch " + batch,
        true,
        c -> {
          int updated;
          try (PreparedStatement ps = runner.prepare(c, sql.abandonBatch)) {
            ps.setObject(1, StoredTimes.utc(stored));
            ps.setString(2, reason);
            ps.setString(3, batch.value());
            updated = ps.executeUpdate();
          }
          BatchInfo now = find(c, batch).orElseThrow(() -> new UnknownBatchException(batch));
          if (updated == 0) {
            Abandoning.alreadyAbandoned(now, reason);
          }
          return now;
        });
  }

  /** A new batch's incarnation: random, so that no two openings of one id share one. */
  private static long newIncarnation() {
    long incarnation;
    do {
      incarnation = new SecureRandom().nextLong();
    } while (incarnation == BatchInfo.UNKNOWN_INCARNATION);
    return incarnation;
  }

  Optional<BatchInfo> find(BatchId id) {
    return runner.withConnection("find batch " + id, c -> find(c, id));
  }

  private Optional<BatchInfo> find(Connection c, BatchId id) throws SQLException {
    try (PreparedStatement ps = runner.prepare(c, sql.findBatch)) {
      ps.setString(1, id.value());
      try (ResultSet rs = ps.executeQuery()) {
        List<BatchInfo> found = readBatches(rs);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    }
  }

  List<BatchInfo> list(BatchQuery query) {
    SqlStatements.Query select = sql.batches(query);
    return runner.withConnection(
        "query batches",
        c -> {
          try (PreparedStatement ps = runner.prepare(c, select.sql())) {
            List<Object> values = select.parameters();
            for (int i = 0; i < values.size(); i++) {
              ps.setObject(i + 1, values.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              return readBatches(rs);
            }
          }
        });
  }

  /**
   * Batches from rows of (batch columns, stage, last_marked_at, incarnation, sealed, abandoned_at,
   * abandon_reason), one row per stage.
   */
  private List<BatchInfo> readBatches(ResultSet rs) throws SQLException {
    Map<String, Object[]> rows = new LinkedHashMap<>();
    Map<String, Map<Stage, Instant>> times = new HashMap<>();
    while (rs.next()) {
      String id = rs.getString(1);
      if (!rows.containsKey(id)) {
        rows.put(
            id,
            new Object[] {
              rs.getInt(2),
              StoredTimes.read(rs, 3),
              StoredTimes.read(rs, 4),
              rs.getString(5),
              rs.getLong(8),
              rs.getInt(9) != 0,
              StoredTimes.read(rs, 10),
              rs.getString(11)
            });
        times.put(id, new HashMap<>());
      }
      String stage = rs.getString(6);
      if (stage != null) {
        times.get(id).put(Stage.of(stage), StoredTimes.read(rs, 7));
      }
    }
    List<BatchInfo> batches = new ArrayList<>(rows.size());
    for (Map.Entry<String, Object[]> row : rows.entrySet()) {
      Object[] v = row.getValue();
      Map<String, String> attributes;
      try {
        attributes = AttributesJson.read((String) v[3]);
      } catch (IllegalArgumentException e) {
        throw new TrackerStoreException(
            "batch "
                + row.getKey()
                + " has unreadable attributes in "
                + sql.prefix
                + "batch: "
                + e.getMessage(),
            e);
      }
      BatchInfo info =
          BatchInfo.of(
                  BatchId.of(row.getKey()),
                  (Integer) v[0],
                  (Instant) v[1],
                  attributes,
                  times.get(row.getKey()),
                  (Instant) v[2])
              .withIncarnation((Long) v[4]);
      info = (Boolean) v[5] ? info : info.asUnsealed();
      if (v[6] != null) {
        try {
          // An abandon written by hand (SQL) may lack a reason: say so rather than fail the read.
          String reason = (String) v[7];
          info =
              info.asAbandoned(
                  (Instant) v[6], reason == null || reason.isBlank() ? NO_REASON : reason);
        } catch (IllegalArgumentException e) {
          throw new TrackerStoreException(
              "batch "
                  + row.getKey()
                  + " has an unreadable abandon_reason in "
                  + sql.prefix
                  + "batch: "
                  + e.getMessage(),
              e);
        }
      }
      batches.add(info);
    }
    return batches;
  }

  /**
   * Records the completion, trying again without waiting while another transaction holds the batch
   * row, for up to the query timeout.
   */
  void recordCompletion(BatchId batch, Instant at) {
    int timeoutSeconds = runner.queryTimeoutSeconds();
    long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
    for (int attempt = 1; !completeWithoutWaiting(batch, at); attempt++) {
      if (System.nanoTime() - deadline > 0) {
        throw new TrackerStoreException(
            "record completion of batch "
                + batch
                + " failed on the "
                + sql.prefix
                + "* tables: another transaction held the batch row for longer than the query"
                + " timeout ("
                + timeoutSeconds
                + " s); usually an open transaction that called markWithin on the batch");
      }
      JdbcRunner.pause(Math.min(attempt, 20));
    }
  }

  /** Records the completion unless the batch row stays locked for a few tries; false if it did. */
  boolean tryRecordCompletion(BatchId batch, Instant at) {
    if (readOnly) {
      // A reconcile on a standby reads; the completion is recorded by a store on the primary.
      return false;
    }
    for (int attempt = 1; ; attempt++) {
      boolean recorded;
      try {
        recorded = completeWithoutWaiting(batch, at);
      } catch (io.recordtracker.TrackerStoreException e) {
        if (e.reason() != io.recordtracker.TrackerStoreException.Reason.READ_ONLY) {
          throw e;
        }
        if (refusalLogged.compareAndSet(false, true)) {
          log.info(
              "The database refused to record the completion of batch {} as read-only (a standby"
                  + " or read-only connection); completions are left to a store that can write"
                  + " them: {}",
              batch,
              e.getMessage());
        }
        return false;
      }
      if (recorded) {
        return true;
      }
      if (attempt >= JdbcRunner.ATTEMPTS) {
        log.debug(
            "Batch {} is locked by another transaction; its completion is not recorded", batch);
        return false;
      }
      JdbcRunner.pause(attempt);
    }
  }

  /** Records the completion unless the batch row is locked; returns false if it is. */
  private boolean completeWithoutWaiting(BatchId batch, Instant at) {
    // A transaction, so that a pool handing out non-autocommit connections works.
    return runner.inTransaction(
        "record completion of batch " + batch,
        true,
        c -> {
          if (sql.lockBatchNowait != null) {
            try (PreparedStatement ps = runner.prepare(c, sql.lockBatchNowait)) {
              ps.setString(1, batch.value());
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getObject(1) != null) {
                  return true; // no such batch, or recorded already
                }
              }
            } catch (SQLException e) {
              if (SqlFailures.isLockUnavailable(e)) {
                return false;
              }
              throw e;
            }
          }
          try (PreparedStatement ps = runner.prepare(c, sql.completeBatch)) {
            ps.setObject(1, StoredTimes.utc(at));
            ps.setString(2, batch.value());
            ps.executeUpdate();
          }
          return true;
        });
  }

  /**
   * Deletes the batches, with their marks, stage times and attributes; returns how many. Each chunk
   * of {@value #IN_CHUNK} batches is a transaction of its own, so that deleting any number holds
   * locks (and, in MySQL/MariaDB, undo) for one chunk at a time while others mark their batches; a
   * failure leaves the chunks before it deleted.
   */
  int delete(Collection<BatchId> batches) {
    List<String> ids = batches.stream().map(BatchId::value).distinct().toList();
    int deleted = 0;
    for (int from = 0; from < ids.size(); from += IN_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
      deleted +=
          runner.inTransaction(
              "delete " + chunk.size() + " batches",
              true,
              c -> {
                // Marks, stage times and attributes go with the batch row (ON DELETE CASCADE).
                try (PreparedStatement ps = runner.prepare(c, sql.deleteBatches(chunk.size()))) {
                  for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i));
                  }
                  return ps.executeUpdate();
                }
              });
    }
    return deleted;
  }
}
