package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import io.recordtracker.spi.AlertRecord;
import io.recordtracker.spi.AlertStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The {@link AlertStore} of a {@link JdbcTrackerStore}: one row per (batch, stage pair, unreadable,
 * listener) in the {@code alert} table. Every write is one statement whose WHERE clause (or primary
 * key, for a first insert) is the compare-and-set: {@code row_version = ?}, so that of several
 * monitors in any number of processes that read the same version, exactly one writes the next. The
 * rows have no foreign key to the batch: a monitor resolves an unreadable batch that was purged, so
 * its row must outlive the batch until then; settled rows of purged batches go with {@link
 * #removeSettledOfGoneBatches()}.
 */
final class JdbcAlertStore implements AlertStore {

  /** The most ids in one IN list. */
  private static final int IN_CHUNK = 500;

  /** The most rows one {@link #removeSettledOfGoneBatches()} removes; the next call goes on. */
  private static final int MAX_SWEPT = 1_000;

  private static final String COLUMNS =
      "batch_id, upstream, downstream, unreadable, listener, row_version, finding_epoch, is_open,"
          + " finding_kind, incarnation, missing_records, absent_records, reported_at, claimed,"
          + " claimed_until, finding";

  private static final String KEY =
      "batch_id = ? AND upstream = ? AND downstream = ? AND unreadable = ? AND listener = ?";

  private final JdbcRunner runner;
  private final String prefix;
  private final boolean insertFailsOnDuplicate;
  private final String unsettled;
  private final String insert;
  private final String update;
  private final String delete;
  private final String goneSettled;

  JdbcAlertStore(JdbcRunner runner, JdbcDialect dialect, String prefix) {
    this.runner = runner;
    this.prefix = prefix;
    String table = prefix + "alert";
    this.unsettled =
        "SELECT " + COLUMNS + " FROM " + table + " WHERE is_open = 1 OR claimed IS NOT NULL";
    String values = " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    // An insert that finds the key taken must change nothing and leave the transaction usable.
    if (dialect == JdbcDialect.POSTGRESQL) {
      this.insert = "INSERT INTO " + table + values + " ON CONFLICT DO NOTHING";
      this.insertFailsOnDuplicate = false;
    } else if (dialect == JdbcDialect.MYSQL) {
      this.insert = "INSERT IGNORE INTO " + table + values;
      this.insertFailsOnDuplicate = false;
    } else {
      this.insert = "INSERT INTO " + table + values;
      this.insertFailsOnDuplicate = true;
    }
    this.update =
        "UPDATE "
            + table
            + " SET row_version = ?, finding_epoch = ?, is_open = ?, finding_kind = ?,"
            + " incarnation = ?, missing_records = ?, absent_records = ?, reported_at = ?, claimed = ?,"
            + " claimed_until = ?, finding = ? WHERE "
            + KEY
            + " AND row_version = ?";
    this.delete = "DELETE FROM " + table + " WHERE " + KEY + " AND row_version = ?";
    this.goneSettled =
        "SELECT batch_id, upstream, downstream, unreadable, listener, row_version FROM "
            + table
            + " a WHERE is_open = 0 AND claimed IS NULL AND NOT EXISTS (SELECT 1 FROM "
            + prefix
            + "batch b WHERE b.batch_id = a.batch_id)"
            + " LIMIT "
            + MAX_SWEPT;
  }

  @Override
  public List<AlertRecord> unsettled() {
    return runner.withConnection(
        "read the unsettled alerts",
        c -> {
          try (PreparedStatement ps = runner.prepare(c, unsettled)) {
            return read(ps);
          }
        });
  }

  @Override
  public List<AlertRecord> find(Collection<BatchId> batches) {
    Objects.requireNonNull(batches, "batches must not be null");
    List<String> ids = batches.stream().map(BatchId::value).distinct().toList();
    if (ids.isEmpty()) {
      return List.of();
    }
    return runner.withConnection(
        "read the alerts of " + ids.size() + " batches",
        c -> {
          List<AlertRecord> out = new ArrayList<>();
          for (int from = 0; from < ids.size(); from += IN_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
            String sql =
                "SELECT "
                    + COLUMNS
                    + " FROM "
                    + prefix
                    + "alert WHERE batch_id IN ("
                    + String.join(", ", Collections.nCopies(chunk.size(), "?"))
                    + ")";
            try (PreparedStatement ps = runner.prepare(c, sql)) {
              for (int i = 0; i < chunk.size(); i++) {
                ps.setString(i + 1, chunk.get(i));
              }
              out.addAll(read(ps));
            }
          }
          return out;
        });
  }

  @Override
  public boolean compareAndSet(long expectedVersion, AlertRecord next) {
    Objects.requireNonNull(next, "next must not be null");
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "next version must be " + (expectedVersion + 1) + ": " + next.version());
    }
    return runner.inTransaction(
        "record alert " + next.key(),
        true,
        c -> expectedVersion == 0 ? insert(c, next) : update(c, expectedVersion, next));
  }

  private boolean insert(Connection c, AlertRecord r) throws SQLException {
    try (PreparedStatement ps = runner.prepare(c, insert)) {
      int i = bindKey(ps, 1, r.key());
      ps.setLong(i++, r.version());
      bindState(ps, i, r);
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      if (insertFailsOnDuplicate && SqlFailures.isDuplicateKey(e)) {
        return false; // another monitor inserted the row first
      }
      throw e;
    }
  }

  private boolean update(Connection c, long expectedVersion, AlertRecord r) throws SQLException {
    try (PreparedStatement ps = runner.prepare(c, update)) {
      ps.setLong(1, r.version());
      int i = bindState(ps, 2, r);
      i = bindKey(ps, i, r.key());
      ps.setLong(i, expectedVersion);
      return ps.executeUpdate() == 1;
    }
  }

  @Override
  public boolean remove(AlertRecord.Key key, long expectedVersion) {
    Objects.requireNonNull(key, "key must not be null");
    return runner.inTransaction(
        "remove alert " + key,
        true,
        c -> {
          try (PreparedStatement ps = runner.prepare(c, delete)) {
            int i = bindKey(ps, 1, key);
            ps.setLong(i, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>A plain read finds them (no lock on any batch row: a DELETE joined to the batch table would
   * take shared locks on batch rows in MySQL/MariaDB), then each is removed by its key and version,
   * so a row written meanwhile stays. At most {@value #MAX_SWEPT} per call.
   */
  @Override
  public int removeSettledOfGoneBatches() {
    List<Versioned> gone =
        runner.withConnection(
            "find the settled alerts of purged batches",
            c -> {
              List<Versioned> rows = new ArrayList<>();
              try (PreparedStatement ps = runner.prepare(c, goneSettled);
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  AlertRecord.Key key =
                      new AlertRecord.Key(
                          rs.getString(5),
                          BatchId.of(rs.getString(1)),
                          Stage.of(rs.getString(2)),
                          Stage.of(rs.getString(3)),
                          rs.getInt(4) != 0);
                  rows.add(new Versioned(key, rs.getLong(6)));
                }
              }
              return rows;
            });
    int removed = 0;
    for (Versioned row : gone) {
      if (remove(row.key(), row.version())) {
        removed++;
      }
    }
    return removed;
  }

  /** A row's key and the version it was read at. */
  private record Versioned(AlertRecord.Key key, long version) {}

  /** Binds the key's columns from {@code first}; returns the next parameter index. */
  private static int bindKey(PreparedStatement ps, int first, AlertRecord.Key key)
      throws SQLException {
    int i = first;
    ps.setString(i++, key.batch().value());
    ps.setString(i++, key.upstream().name());
    ps.setString(i++, key.downstream().name());
    ps.setInt(i++, key.unreadable() ? 1 : 0);
    ps.setString(i++, key.listener());
    return i;
  }

  /** Binds the columns after the version from {@code first}; returns the next index. */
  private static int bindState(PreparedStatement ps, int first, AlertRecord r) throws SQLException {
    int i = first;
    ps.setLong(i++, r.epoch());
    ps.setInt(i++, r.open() ? 1 : 0);
    ps.setString(i++, r.findingKind().name());
    ps.setLong(i++, r.incarnation());
    ps.setLong(i++, r.missingRecords());
    ps.setLong(i++, r.absentRecords());
    ps.setObject(i++, StoredTimes.utc(r.reportedAt()));
    if (r.claimed() == null) {
      ps.setNull(i++, Types.VARCHAR);
      ps.setNull(i++, Types.TIMESTAMP);
    } else {
      ps.setString(i++, r.claimed().name());
      ps.setObject(i++, StoredTimes.utc(r.claimedUntil()));
    }
    ps.setBytes(i++, r.finding());
    return i;
  }

  private static List<AlertRecord> read(PreparedStatement ps) throws SQLException {
    List<AlertRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        AlertRecord.Key key =
            new AlertRecord.Key(
                rs.getString(5),
                BatchId.of(rs.getString(1)),
                Stage.of(rs.getString(2)),
                Stage.of(rs.getString(3)),
                rs.getInt(4) != 0);
        String claimed = rs.getString(14);
        out.add(
            new AlertRecord(
                key,
                rs.getLong(6),
                rs.getLong(7),
                rs.getInt(8) != 0,
                Finding.Kind.valueOf(rs.getString(9)),
                rs.getLong(10),
                rs.getLong(11),
                rs.getLong(12),
                StoredTimes.read(rs, 13),
                claimed == null ? null : DiscrepancyEvent.Kind.valueOf(claimed),
                StoredTimes.read(rs, 15),
                rs.getBytes(16)));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "JdbcAlertStore{" + prefix + "alert}";
  }
}
