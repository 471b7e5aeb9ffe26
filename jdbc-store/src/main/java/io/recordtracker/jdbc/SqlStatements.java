package io.recordtracker.jdbc;

import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Every SQL statement a {@link JdbcTrackerStore} runs, for one dialect and table prefix: the
 * statements all dialects share here, and what differs in one small subclass per dialect ({@link
 * Postgres}, {@link MySql}, {@link H2}). The table prefix, checked by the builder, is the only text
 * from outside spliced in; every value is a parameter. Immutable.
 */
abstract sealed class SqlStatements
    permits SqlStatements.Postgres, SqlStatements.MySql, SqlStatements.H2 {

  /** The most marks rows one fold reads. */
  static final int MAX_FOLDED_ROWS = 10_000;

  final String prefix;

  /**
   * Appends a marks row: batch id, stage, marks, token (the marking's, see {@link
   * MarksReader#repeats}), repeated (1 for a row of repeats), batch id, incarnation, highest record
   * of the marks. Inserts nothing unless the batch is that incarnation and holds that record (its
   * expected_records is above it): so nothing is appended beyond a sealed size. The batch row is
   * read with a shared lock ({@link #shareLock()}, or {@link #lockUnsealed} before it on H2) that a
   * seal's {@link #lockBatch} waits for and that waits for a seal in progress.
   */
  final String insertMarks;

  /**
   * As {@link #insertMarks}, whatever the batch's incarnation: batch id, stage, marks, token,
   * repeated, batch id, highest record.
   */
  final String insertMarksAnyIncarnation;

  /**
   * The append for marks made for {@code incarnation}: {@link #insertMarks}, or {@link
   * #insertMarksAnyIncarnation} for a batch with no incarnation (opened before its tables had the
   * column), whose parameters {@link MarksWriter#bindMarks} binds without one.
   */
  String insertMarksFor(long incarnation) {
    return incarnation == BatchInfo.UNKNOWN_INCARNATION ? insertMarksAnyIncarnation : insertMarks;
  }

  /** Advances a stage's last-marked time: batch id, stage, time, batch id, incarnation. */
  final String upsertStage;

  /** As {@link #upsertStage}, whatever the batch's incarnation: batch id, stage, time, batch id. */
  final String upsertStageAnyIncarnation;

  /** Inserts a batch row unless one exists: id, expected records, opened at, attributes, inc. */
  final String insertBatch;

  /** Inserts one attribute row: batch id, key, value. */
  final String insertAttribute;

  /** A batch row LEFT JOINed to its stage rows, as {@link #batches} returns them: batch id. */
  final String findBatch;

  /** A batch's expected records and incarnation: batch id. */
  final String expectedRecords;

  /** The marks rows of (batch, stage), as {@link #readMarks} returns them: batch id, stage. */
  final String loadMarks;

  /**
   * As {@link #loadMarks}, the rows a fold takes: every row without a token or of repeats, then the
   * oldest by id, {@link #MAX_FOLDED_ROWS} in all.
   */
  final String foldRows;

  /** Records a batch's completion unless it has one: completed at, batch id. */
  final String completeBatch;

  /**
   * Locks a batch row for writing its completion without waiting, reading {@code completed_at}:
   * batch id. It fails at once with an error {@link SqlFailures#isLockUnavailable} recognises when
   * another transaction holds a lock on the row. Null where updating the completion never waits for
   * {@code markWithin}'s locks (PostgreSQL: its foreign key and EXISTS reads take no lock an update
   * of a non-key column waits for; H2).
   */
  final String lockBatchNowait;

  /**
   * Locks a batch row while it is unsealed, so that a seal waits for the marks appended in this
   * transaction and they wait for a seal in progress: batch id. Null where {@link #insertMarks}
   * takes a shared lock of its own ({@link #shareLock()}).
   */
  final String lockUnsealed;

  /** Locks a batch row for a seal, reading expected_records and sealed: batch id. */
  final String lockBatch;

  /** Every marks row of a batch, as {@link #readMarks} returns them plus the stage: batch id. */
  final String allMarks;

  /** Seals a batch: expected records, batch id. */
  final String sealBatch;

  /**
   * Abandons a batch unless it is abandoned or complete already: abandoned at, reason, batch id.
   * One conditional update, so that it never overwrites a completion or another abandon.
   */
  final String abandonBatch;

  /** Deletes one marks row by its whole key: batch id, stage, id. */
  final String deleteMarksRow;

  /** One row and column: the database server's current time, read by {@link #readCurrentTime}. */
  final String currentTime;

  /** Registers a stage as known unless it is: stage, declared at. */
  final String insertStageName;

  /** Every known stage: registered ones and those of a stored batch. */
  final String knownStages;

  SqlStatements(String prefix) {
    this.prefix = prefix;
    String p = prefix;
    this.insertMarks = insertMarks(p, batchHolds(true));
    this.insertMarksAnyIncarnation = insertMarks(p, batchHolds(false));
    this.upsertStage = upsertStage(p, batchExists(true));
    this.upsertStageAnyIncarnation = upsertStage(p, batchExists(false));
    this.insertBatch = insertBatchIfAbsent(p);
    this.lockUnsealed = lockUnsealed(p);
    this.lockBatch =
        "SELECT expected_records, sealed FROM " + p + "batch WHERE batch_id = ? FOR UPDATE";
    this.allMarks =
        marksColumns(", m.stage")
            + " FROM "
            + p
            + "marks m JOIN "
            + p
            + "batch b ON b.batch_id = m.batch_id WHERE m.batch_id = ?";
    this.sealBatch =
        "UPDATE " + p + "batch SET expected_records = ?, sealed = 1 WHERE batch_id = ?";
    this.abandonBatch =
        "UPDATE "
            + p
            + "batch SET abandoned_at = ?, abandon_reason = ? WHERE batch_id = ?"
            + " AND abandoned_at IS NULL AND completed_at IS NULL";
    this.insertAttribute =
        "INSERT INTO " + p + "batch_attr (batch_id, attr_key, attr_value) VALUES (?, ?, ?)";
    this.findBatch =
        "SELECT b.batch_id, b.expected_records, b.opened_at, b.completed_at, b.attributes,"
            + " s.stage, s.last_marked_at, b.incarnation, b.sealed, b.abandoned_at,"
            + " b.abandon_reason FROM "
            + p
            + "batch b LEFT JOIN "
            + p
            + "stage s ON s.batch_id = b.batch_id WHERE b.batch_id = ?";
    this.expectedRecords =
        "SELECT expected_records, incarnation FROM " + p + "batch WHERE batch_id = ?";
    this.loadMarks =
        marksColumns("")
            + " FROM "
            + p
            + "marks m JOIN "
            + p
            + "batch b ON b.batch_id = m.batch_id WHERE m.batch_id = ? AND m.stage = ?";
    // Rows without a token (earlier folds' and rows of repeats, few) first, so that every fold
    // reads all of them: the rows of two folds are then never taken for two markings.
    this.foldRows =
        loadMarks
            + " ORDER BY CASE WHEN m.token IS NULL OR m.repeated = 1 THEN 0 ELSE 1 END, m.id LIMIT "
            + MAX_FOLDED_ROWS;
    this.completeBatch =
        "UPDATE " + p + "batch SET completed_at = ? WHERE batch_id = ? AND completed_at IS NULL";
    this.lockBatchNowait = lockBatchNowait(p);
    // One row by its whole key: a point lookup in every dialect. An IN list of ids can make
    // MariaDB scan the table (its choice for small tables), locking every row it passes and so
    // waiting for any transaction's uncommitted marks row, of any batch.
    this.deleteMarksRow = "DELETE FROM " + p + "marks WHERE batch_id = ? AND stage = ? AND id = ?";
    this.currentTime = currentTimeUtc();
    this.insertStageName = insertStageNameIfAbsent(p);
    this.knownStages =
        "SELECT stage FROM " + p + "stage_name UNION SELECT DISTINCT stage FROM " + p + "stage";
  }

  // ---------------------------------------------------------------------------------------------
  // What differs by dialect

  /**
   * Appends delta rows: batch id, stage, marks, then the parameters of {@code batchExists} (the
   * batch id, and its incarnation when checked). Inserts nothing unless the batch exists.
   */
  abstract String insertMarks(String p, String batchExists);

  /**
   * Advances a stage's last-marked time: batch id, stage, time, then the parameters of {@code
   * batchExists}. Never moves it back.
   */
  abstract String upsertStage(String p, String batchExists);

  /**
   * Inserts a batch row unless one exists: batch id, expected records, opened at, attributes,
   * incarnation, sealed.
   */
  abstract String insertBatchIfAbsent(String p);

  /** Inserts a stage name unless it is there: stage, declared at. */
  abstract String insertStageNameIfAbsent(String p);

  /** Whether {@link #insertBatch} fails with a duplicate key, instead of inserting nothing. */
  boolean insertBatchFailsOnDuplicate() {
    return false;
  }

  /**
   * The locking clause of {@link #insertMarks}'s read of the batch row: a shared lock that a seal's
   * FOR UPDATE conflicts with, and that, taken after a seal committed, reads the sealed row. Empty
   * where the dialect has none ({@link #lockUnsealed} then).
   */
  String shareLock() {
    return "";
  }

  /** See {@link #lockUnsealed}; null unless the dialect needs it. */
  String lockUnsealed(String p) {
    return null;
  }

  /** See {@link #lockBatchNowait}; null unless the dialect needs it. */
  String lockBatchNowait(String p) {
    return null;
  }

  /**
   * A query of one row and column: the database server's current time, as a timestamp with time
   * zone unless {@link #readCurrentTime} says otherwise.
   */
  abstract String currentTimeUtc();

  /** Reads the one column of {@link #currentTime}. */
  Instant readCurrentTime(ResultSet rs) throws SQLException {
    return rs.getObject(1, OffsetDateTime.class).toInstant();
  }

  /**
   * A statement that serializes concurrent schema creation by several processes, inside the DDL
   * transaction; null where DDL is not transactional.
   */
  String lockSchema() {
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Statements whose shape depends on their arguments

  /** A statement and its parameters, in order. */
  record Query(String sql, List<Object> parameters) {}

  /**
   * Batches matching {@code query}, newest first, as rows of (batch columns, stage, last_marked_at,
   * incarnation, sealed, abandoned_at, abandon_reason), one row per stage.
   */
  Query batches(BatchQuery query) {
    StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    List<Object> values = new ArrayList<>();
    if (query.openedAfter() != null) {
      where.append(" AND b.opened_at >= ?");
      values.add(StoredTimes.utc(query.openedAfter()));
    }
    if (query.openedBefore() != null) {
      where.append(" AND b.opened_at < ?");
      values.add(StoredTimes.utc(query.openedBefore()));
    }
    if (query.afterOpenedAt() != null) {
      // Keyset cursor: the rows after (opened_at, batch_id) in the DESC, DESC order. Ids are ASCII
      // compared byte for byte in every dialect's DDL, as BatchId compares them.
      where.append(" AND (b.opened_at < ? OR (b.opened_at = ? AND b.batch_id < ?))");
      LocalDateTime after = StoredTimes.utc(query.afterOpenedAt());
      values.add(after);
      values.add(after);
      values.add(query.afterId().value());
    }
    if (query.completion() == BatchQuery.Completion.COMPLETE) {
      where.append(" AND b.completed_at IS NOT NULL");
    } else if (query.completion() == BatchQuery.Completion.INCOMPLETE) {
      where.append(" AND b.completed_at IS NULL AND b.abandoned_at IS NULL");
    } else if (query.completion() == BatchQuery.Completion.ABANDONED) {
      where.append(" AND b.completed_at IS NULL AND b.abandoned_at IS NOT NULL");
    } else if (query.completion() == BatchQuery.Completion.CLOSED) {
      where.append(" AND (b.completed_at IS NOT NULL OR b.abandoned_at IS NOT NULL)");
    }
    if (query.markedAfter() != null) {
      where
          .append(" AND EXISTS (SELECT 1 FROM ")
          .append(prefix)
          .append("stage ms WHERE ms.batch_id = b.batch_id AND ms.last_marked_at >= ?)");
      values.add(StoredTimes.utc(query.markedAfter()));
    }
    for (Map.Entry<String, String> e : query.attributes().entrySet()) {
      // The LENGTH comparisons make trailing spaces count on MySQL/MariaDB tables made before
      // attr_key and attr_value became VARBINARY, whose utf8mb4_bin '=' ignores them (PAD SPACE).
      where
          .append(" AND EXISTS (SELECT 1 FROM ")
          .append(prefix)
          .append("batch_attr a WHERE a.batch_id = b.batch_id")
          .append(" AND a.attr_key = ? AND LENGTH(a.attr_key) = LENGTH(?)")
          .append(" AND a.attr_value = ? AND LENGTH(a.attr_value) = LENGTH(?))");
      values.add(e.getKey());
      values.add(e.getKey());
      values.add(e.getValue());
      values.add(e.getValue());
    }
    String sql =
        "SELECT p.batch_id, p.expected_records, p.opened_at, p.completed_at, p.attributes,"
            + " s.stage, s.last_marked_at, p.incarnation, p.sealed, p.abandoned_at,"
            + " p.abandon_reason FROM (SELECT "
            + "b.batch_id, b.expected_records, b.opened_at, b.completed_at, b.attributes,"
            + " b.incarnation, b.sealed, b.abandoned_at, b.abandon_reason FROM "
            + prefix
            + "batch b"
            + where
            + " ORDER BY b.opened_at DESC, b.batch_id DESC LIMIT ? OFFSET ?) p LEFT JOIN "
            + prefix
            + "stage s ON s.batch_id = p.batch_id ORDER BY p.opened_at DESC, p.batch_id DESC";
    values.add(query.limit());
    values.add(query.offset());
    return new Query(sql, values);
  }

  /**
   * The batch row LEFT JOINed to its marks rows of {@code stages} stages, as {@link #readMarks}
   * returns them plus the stage and sealed: the stages, then the batch id. One row with NULL marks
   * when the stages have none, no row when the batch is gone.
   */
  String readMarks(int stages) {
    return marksColumns(", m.stage, b.sealed")
        + " FROM "
        + prefix
        + "batch b LEFT JOIN "
        + prefix
        + "marks m ON m.batch_id = b.batch_id AND m.stage IN ("
        + placeholders(stages)
        + ") WHERE b.batch_id = ?";
  }

  /**
   * The columns of a marks read: blob length, blob (NULL if over the limit), expected records, row
   * id, incarnation, token, repeated, then {@code more}.
   */
  private static String marksColumns(String more) {
    // A blob longer than any bitmap of its batch comes back as NULL beside its length, so the
    // driver never fetches it (a corrupt row can be hundreds of MB); the reader reports it.
    return "SELECT OCTET_LENGTH(m.marks), CASE WHEN OCTET_LENGTH(m.marks) <= "
        + PortableBitmaps.maxSerializedBytesSql("b.expected_records")
        + " THEN m.marks END, b.expected_records, m.id, b.incarnation, m.token, m.repeated"
        + more;
  }

  /** Deletes the batches of {@code ids} ids, with their marks, stage times and attributes. */
  String deleteBatches(int ids) {
    return "DELETE FROM " + prefix + "batch WHERE batch_id IN (" + placeholders(ids) + ")";
  }

  /** A query that fails unless {@code table} (unprefixed) has {@code columns}; reads no row. */
  String probeColumns(String table, String columns) {
    return "SELECT " + columns + " FROM " + prefix + table + " WHERE 1 = 0";
  }

  /** Adds {@code column} to {@code table} (unprefixed). */
  String addColumn(String table, String column, String definition) {
    return "ALTER TABLE " + prefix + table + " ADD COLUMN " + column + " " + definition;
  }

  /**
   * The condition that a batch row exists, with the batch id as its first parameter and, when
   * {@code incarnation}, the incarnation as its second.
   */
  private String batchExists(boolean incarnation) {
    return "EXISTS (SELECT 1 FROM "
        + prefix
        + "batch WHERE batch_id = ?"
        + (incarnation ? " AND incarnation = ?" : "")
        + ")";
  }

  /**
   * The condition that the batch row exists and holds a record: the batch id, then (when {@code
   * incarnation}) the incarnation, then the highest record appended.
   */
  private String batchHolds(boolean incarnation) {
    return "EXISTS (SELECT 1 FROM "
        + prefix
        + "batch WHERE batch_id = ?"
        + (incarnation ? " AND incarnation = ?" : "")
        + " AND expected_records > ?"
        + shareLock()
        + ")";
  }

  private static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  // ---------------------------------------------------------------------------------------------
  // The dialects

  /** PostgreSQL: ON CONFLICT upserts, transactional DDL under an advisory lock. */
  static final class Postgres extends SqlStatements {
    Postgres(String prefix) {
      super(prefix);
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks, token, repeated) SELECT ?, ?, ?, ?, ? WHERE "
          + batchExists;
    }

    @Override
    String upsertStage(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "stage (batch_id, stage, last_marked_at) SELECT ?, ?, ? WHERE "
          + batchExists
          + " ON CONFLICT (batch_id, stage) DO UPDATE SET last_marked_at = GREATEST("
          + p
          + "stage.last_marked_at, EXCLUDED.last_marked_at)";
    }

    @Override
    String insertStageNameIfAbsent(String p) {
      return "INSERT INTO "
          + p
          + "stage_name (stage, declared_at) VALUES (?, ?) ON CONFLICT (stage) DO NOTHING";
    }

    @Override
    String insertBatchIfAbsent(String p) {
      return "INSERT INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation, sealed)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING";
    }

    @Override
    String shareLock() {
      // KEY SHARE: what the foreign key check takes anyway; it never waits for a completion
      // update, only for a seal's FOR UPDATE, after which it re-reads the row it locked.
      return " FOR KEY SHARE";
    }

    @Override
    String currentTimeUtc() {
      // clock_timestamp(), not now(): now() is the start of the transaction.
      return "SELECT clock_timestamp()";
    }

    @Override
    String lockSchema() {
      // A fixed key per prefix: concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on
      // PostgreSQL's catalog unique indexes.
      return "SELECT pg_advisory_xact_lock(" + (0x5254_0000L + prefix.hashCode()) + ")";
    }
  }

  /** MySQL 8 and MariaDB: INSERT IGNORE and ON DUPLICATE KEY UPDATE. */
  static final class MySql extends SqlStatements {
    MySql(String prefix) {
      super(prefix);
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks, token, repeated) SELECT ?, ?, ?, ?, ? FROM DUAL"
          + " WHERE "
          + batchExists;
    }

    @Override
    String upsertStage(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "stage (batch_id, stage, last_marked_at) SELECT ?, ?, ? FROM DUAL WHERE "
          + batchExists
          + " ON DUPLICATE KEY UPDATE last_marked_at ="
          + " GREATEST(last_marked_at, VALUES(last_marked_at))";
    }

    @Override
    String insertStageNameIfAbsent(String p) {
      return "INSERT IGNORE INTO " + p + "stage_name (stage, declared_at) VALUES (?, ?)";
    }

    @Override
    String insertBatchIfAbsent(String p) {
      return "INSERT IGNORE INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation, sealed)"
          + " VALUES (?, ?, ?, ?, ?, ?)";
    }

    @Override
    String shareLock() {
      // What INSERT ... SELECT takes anyway under REPEATABLE READ; explicit for READ COMMITTED.
      return " LOCK IN SHARE MODE";
    }

    @Override
    String lockBatchNowait(String p) {
      // A markWithin transaction holds a shared lock on the batch row until it commits (its
      // foreign key check and INSERT ... SELECT EXISTS read). An UPDATE would wait for it, and
      // InnoDB queues every later shared lock (flushes, folds, other markWithin) behind the
      // waiting exclusive request. NOWAIT: MySQL 8.0.1+, MariaDB 10.3+.
      return "SELECT completed_at FROM " + p + "batch WHERE batch_id = ? FOR UPDATE NOWAIT";
    }

    @Override
    String currentTimeUtc() {
      return "SELECT UTC_TIMESTAMP(6)"; // no time zone type: a UTC wall-clock value
    }

    @Override
    Instant readCurrentTime(ResultSet rs) throws SQLException {
      return rs.getObject(1, LocalDateTime.class).toInstant(ZoneOffset.UTC);
    }
  }

  /** H2 2.x: standard MERGE with typed parameters. */
  static final class H2 extends SqlStatements {
    H2(String prefix) {
      super(prefix);
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks, token, repeated) SELECT CAST(? AS VARCHAR(128)),"
          + " CAST(? AS VARCHAR(32)), CAST(? AS VARBINARY), CAST(? AS BIGINT), CAST(? AS"
          + " SMALLINT) FROM DUAL WHERE "
          + batchExists;
    }

    @Override
    String upsertStage(String p, String batchExists) {
      return "MERGE INTO "
          + p
          + "stage t USING (SELECT CAST(? AS VARCHAR(128)) AS batch_id, CAST(? AS VARCHAR(32)) AS"
          + " stage, CAST(? AS TIMESTAMP(6)) AS last_marked_at FROM DUAL WHERE "
          + batchExists
          + ") s ON t.batch_id = s.batch_id AND t.stage = s.stage"
          + " WHEN MATCHED THEN UPDATE SET last_marked_at = GREATEST(t.last_marked_at,"
          + " s.last_marked_at) WHEN NOT MATCHED THEN INSERT (batch_id, stage, last_marked_at)"
          + " VALUES (s.batch_id, s.stage, s.last_marked_at)";
    }

    @Override
    String insertStageNameIfAbsent(String p) {
      return "MERGE INTO " + p + "stage_name (stage, declared_at) KEY (stage) VALUES (?, ?)";
    }

    @Override
    String insertBatchIfAbsent(String p) {
      // H2 has no insert-or-ignore outside its compatibility modes: an existing id fails with a
      // duplicate key, which the store takes as "already there".
      return "INSERT INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation, sealed)"
          + " VALUES (?, ?, ?, ?, ?, ?)";
    }

    @Override
    boolean insertBatchFailsOnDuplicate() {
      return true;
    }

    @Override
    String lockUnsealed(String p) {
      // H2 has no shared row lock: appends to an unsealed batch lock its row exclusively, so they
      // queue behind one another (and a transaction that marked it holds it until it ends). A
      // sealed batch's size never changes again, so appends to it take no lock.
      return "SELECT sealed FROM " + p + "batch WHERE batch_id = ? AND sealed = 0 FOR UPDATE";
    }

    @Override
    String currentTimeUtc() {
      return "SELECT CURRENT_TIMESTAMP(6)";
    }
  }
}
