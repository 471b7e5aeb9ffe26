package io.recordtracker.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The SQL flavour a {@link JdbcTrackerStore} speaks: {@link #POSTGRESQL}, {@link #MYSQL} (MySQL 8
 * and MariaDB 10.6+) or {@link #H2}. Detected from {@link
 * DatabaseMetaData#getDatabaseProductName()} unless set with {@link
 * JdbcTrackerStore.Builder#dialect(JdbcDialect)}. Each dialect's tables are described by one DDL
 * file on the classpath, {@link #ddlResource()}.
 */
public abstract class JdbcDialect {

  /** PostgreSQL 12 and later, and databases speaking its protocol and SQL. */
  public static final JdbcDialect POSTGRESQL = new PostgresDialect();

  /** MySQL 8 and MariaDB 10.6 and later (InnoDB). */
  public static final JdbcDialect MYSQL = new MySqlDialect();

  /** H2 2.x, embedded or server. */
  public static final JdbcDialect H2 = new H2Dialect();

  private static final List<JdbcDialect> ALL = List.of(POSTGRESQL, MYSQL, H2);

  private final String name;
  private final String ddlFile;

  JdbcDialect(String name, String ddlFile) {
    this.name = name;
    this.ddlFile = ddlFile;
  }

  /**
   * The dialect's name.
   *
   * @return the name, such as {@code PostgreSQL}
   */
  public String name() {
    return name;
  }

  /**
   * The classpath resource holding this dialect's DDL, with {@code ${prefix}} where the table
   * prefix goes; for teams that create tables through their own migrations.
   *
   * @return the resource path, such as {@code io/recordtracker/jdbc/postgresql.sql}
   */
  public String ddlResource() {
    return "io/recordtracker/jdbc/" + ddlFile;
  }

  /** The dialect's name. */
  @Override
  public String toString() {
    return name;
  }

  /** The dialect for a database product name, if one fits. */
  static Optional<JdbcDialect> forProduct(String productName) {
    String lower = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    for (JdbcDialect dialect : ALL) {
      if (dialect.matches(lower)) {
        return Optional.of(dialect);
      }
    }
    return Optional.empty();
  }

  abstract boolean matches(String lowerCaseProductName);

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
   * incarnation.
   */
  abstract String insertBatchIfAbsent(String p);

  /**
   * The condition that a batch row exists, with the batch id as its first parameter and, when
   * {@code incarnation}, the incarnation as its second.
   */
  static String batchExists(String p, boolean incarnation) {
    return "EXISTS (SELECT 1 FROM "
        + p
        + "batch WHERE batch_id = ?"
        + (incarnation ? " AND incarnation = ?" : "")
        + ")";
  }

  /**
   * A query that locks a batch row for writing its completion without waiting, reading {@code
   * completed_at}, with the batch id as its parameter; it fails at once with an error {@link
   * SqlFailures#isLockUnavailable} recognises when another transaction holds a lock on the row.
   * Null where updating the completion never waits for {@code markWithin}'s locks (PostgreSQL: its
   * foreign key and EXISTS reads take no lock an update of a non-key column waits for; H2).
   */
  String lockBatchNowait(String p) {
    return null;
  }

  /**
   * Whether the driver can run the INSERT ... SELECT statements as one JDBC batch (MariaDB's bulk
   * protocol cannot).
   */
  boolean batchesInsertSelect() {
    return true;
  }

  /**
   * A query of one row and column: the database server's current time, as a timestamp with time
   * zone unless {@link #readCurrentTime} says otherwise.
   */
  abstract String currentTimeUtc();

  /** Reads the one column of {@link #currentTimeUtc()}. */
  Instant readCurrentTime(ResultSet rs) throws SQLException {
    return rs.getObject(1, OffsetDateTime.class).toInstant();
  }

  /** Whether DDL takes part in transactions, so the schema can be created in one. */
  boolean transactionalDdl() {
    return false;
  }

  /** Serializes concurrent schema creation by several processes, inside the DDL transaction. */
  void lockSchema(Connection c, String prefix, int timeoutSeconds) throws SQLException {}

  /** PostgreSQL: ON CONFLICT upserts, transactional DDL under an advisory lock. */
  static final class PostgresDialect extends JdbcDialect {
    PostgresDialect() {
      super("PostgreSQL", "postgresql.sql");
    }

    @Override
    boolean matches(String product) {
      return product.contains("postgresql");
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks) SELECT ?, ?, ? WHERE "
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
    String insertBatchIfAbsent(String p) {
      return "INSERT INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation)"
          + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING";
    }

    @Override
    String currentTimeUtc() {
      // clock_timestamp(), not now(): now() is the start of the transaction.
      return "SELECT clock_timestamp()";
    }

    @Override
    boolean transactionalDdl() {
      return true;
    }

    @Override
    void lockSchema(Connection c, String prefix, int timeoutSeconds) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(timeoutSeconds);
        // A fixed key per prefix: concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on
        // PostgreSQL's catalog unique indexes.
        s.execute("SELECT pg_advisory_xact_lock(" + (0x5254_0000L + prefix.hashCode()) + ")");
      }
    }
  }

  /** MySQL 8 and MariaDB: INSERT IGNORE and ON DUPLICATE KEY UPDATE. */
  static final class MySqlDialect extends JdbcDialect {
    MySqlDialect() {
      super("MySQL", "mysql.sql");
    }

    @Override
    boolean matches(String product) {
      return product.contains("mysql") || product.contains("mariadb");
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks) SELECT ?, ?, ? FROM DUAL WHERE "
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
    boolean batchesInsertSelect() {
      return false;
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

    @Override
    String insertBatchIfAbsent(String p) {
      return "INSERT IGNORE INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation)"
          + " VALUES (?, ?, ?, ?, ?)";
    }
  }

  /** H2 2.x: standard MERGE with typed parameters. */
  static final class H2Dialect extends JdbcDialect {
    H2Dialect() {
      super("H2", "h2.sql");
    }

    @Override
    boolean matches(String product) {
      return product.equals("h2");
    }

    @Override
    String currentTimeUtc() {
      return "SELECT CURRENT_TIMESTAMP(6)";
    }

    @Override
    String insertMarks(String p, String batchExists) {
      return "INSERT INTO "
          + p
          + "marks (batch_id, stage, marks) SELECT CAST(? AS VARCHAR(128)), CAST(? AS"
          + " VARCHAR(32)), CAST(? AS VARBINARY) FROM DUAL WHERE "
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
    String insertBatchIfAbsent(String p) {
      // H2 has no insert-or-ignore outside its compatibility modes: an existing id fails with a
      // duplicate key, which the store takes as "already there".
      return "INSERT INTO "
          + p
          + "batch (batch_id, expected_records, opened_at, attributes, incarnation)"
          + " VALUES (?, ?, ?, ?, ?)";
    }
  }
}
