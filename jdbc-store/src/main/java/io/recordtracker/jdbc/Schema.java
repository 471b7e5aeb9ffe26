package io.recordtracker.jdbc;

import io.recordtracker.TrackerStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's tables: creates them from the dialect's DDL file ({@link JdbcDialect#ddlResource()}),
 * adds the columns later versions added to tables an earlier version created, and checks that every
 * table and column the store uses is there.
 */
final class Schema {

  private static final Logger log = LoggerFactory.getLogger(Schema.class);

  /**
   * Stands for the dialect's timestamp type in {@link #ADDED_COLUMNS}: TIMESTAMP(6), DATETIME(6) on
   * MySQL/MariaDB, whose TIMESTAMP would convert by the session time zone, as the DDL files do.
   */
  private static final String TIMESTAMP = "${timestamp}";

  /** The columns the store reads and writes, by table (unprefixed). */
  private static final Map<String, String> COLUMNS = new LinkedHashMap<>();

  static {
    COLUMNS.put(
        "batch",
        "batch_id, expected_records, opened_at, completed_at, attributes, incarnation, sealed,"
            + " abandoned_at, abandon_reason");
    COLUMNS.put("batch_attr", "batch_id, attr_key, attr_value");
    COLUMNS.put("stage", "batch_id, stage, last_marked_at");
    COLUMNS.put("marks", "batch_id, stage, id, marks, token, repeated");
    COLUMNS.put("stage_name", "stage, declared_at");
    COLUMNS.put(
        "alert",
        "batch_id, upstream, downstream, unreadable, listener, row_version, finding_epoch, is_open,"
            + " finding_kind, incarnation, missing_records, absent_records, reported_at, claimed,"
            + " claimed_until, finding");
  }

  /**
   * Columns added to tables after their first release, with their definitions: createSchema(true)
   * adds them to tables created before (each definition is instant in PostgreSQL 11+ and MariaDB
   * 10.3+: a constant default rewrites no row).
   */
  private static final Map<String, Map<String, String>> ADDED_COLUMNS =
      Map.of(
          "batch",
          Map.of(
              "incarnation", "BIGINT NOT NULL DEFAULT 0",
              "sealed", "SMALLINT NOT NULL DEFAULT 1",
              "abandoned_at", TIMESTAMP + " NULL",
              "abandon_reason", "VARCHAR(500) NULL"),
          "marks",
          Map.of("token", "BIGINT NULL", "repeated", "SMALLINT NOT NULL DEFAULT 0"));

  private final JdbcRunner runner;
  private final JdbcDialect dialect;
  private final SqlStatements sql;

  Schema(JdbcRunner runner, JdbcDialect dialect, SqlStatements sql) {
    this.runner = runner;
    this.dialect = dialect;
    this.sql = sql;
  }

  /**
   * Creates what is missing when {@code create}, then checks the tables.
   *
   * @throws TrackerStoreException if a table or column is missing, or the database fails
   */
  void prepare(boolean create) {
    // DDL only when something is missing: even an idempotent CREATE INDEX or ALTER TABLE takes
    // table locks that would stall (or deadlock with) other processes' writes.
    if (create && !present()) {
      create();
    }
    verify();
  }

  private boolean present() {
    try {
      verify();
      return true;
    } catch (TrackerStoreException e) {
      return false;
    }
  }

  private void create() {
    List<String> statements = ddl(dialect, sql.prefix);
    for (int attempt = 1; ; attempt++) {
      try {
        runner.borrowed(c -> create(c, statements));
        addMissingColumns();
        return;
      } catch (SQLException e) {
        // Another process creating the same tables at the same moment can make DDL fail (H2:
        // "object already exists" from a racing CREATE INDEX IF NOT EXISTS); the DDL is
        // idempotent, so try again unless the database is unreachable or refuses us.
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (attempt >= JdbcRunner.ATTEMPTS || state.startsWith("08") || state.startsWith("28")) {
          throw runner.failures().translate("creating tables from " + dialect.ddlResource(), e);
        }
        JdbcRunner.pause(attempt);
      }
    }
  }

  private Void create(Connection c, List<String> statements) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    boolean transactional = dialect.transactionalDdl();
    c.setAutoCommit(!transactional);
    try (Statement s = c.createStatement()) {
      s.setQueryTimeout(runner.queryTimeoutSeconds());
      String lock = sql.lockSchema();
      if (transactional && lock != null) {
        s.execute(lock);
      }
      for (String statement : statements) {
        s.execute(statement);
      }
      if (transactional) {
        c.commit();
      }
    } catch (SQLException | RuntimeException e) {
      if (transactional) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    } finally {
      try {
        c.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // the connection is broken; closing it is all that is left
      }
    }
    return null;
  }

  /**
   * Adds the columns of {@link #ADDED_COLUMNS} to tables created by an earlier version, each by one
   * ALTER TABLE (MySQL 8 has no ADD COLUMN IF NOT EXISTS, so presence is checked first; a process
   * that loses the race to add one finds it there afterwards).
   */
  private void addMissingColumns() throws SQLException {
    for (Map.Entry<String, Map<String, String>> table : ADDED_COLUMNS.entrySet()) {
      String name = sql.prefix + table.getKey();
      for (Map.Entry<String, String> column : table.getValue().entrySet()) {
        if (hasColumn(table.getKey(), column.getKey())) {
          continue;
        }
        String definition =
            column
                .getValue()
                .replace(TIMESTAMP, dialect == JdbcDialect.MYSQL ? "DATETIME(6)" : "TIMESTAMP(6)");
        String alter = sql.addColumn(table.getKey(), column.getKey(), definition);
        try {
          runner.borrowed(
              c -> {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                  s.setQueryTimeout(runner.queryTimeoutSeconds());
                  s.execute(alter);
                } finally {
                  c.setAutoCommit(autoCommit);
                }
                return null;
              });
          log.info(
              "Added column {} to {}, created by an earlier version: {}",
              column.getKey(),
              name,
              alter);
        } catch (SQLException e) {
          if (!hasColumn(table.getKey(), column.getKey())) {
            throw e;
          }
        }
      }
    }
  }

  private boolean hasColumn(String table, String column) {
    try {
      return runner.borrowed(
          c -> {
            try (PreparedStatement ps = runner.prepare(c, sql.probeColumns(table, column));
                ResultSet rs = ps.executeQuery()) {
              return true;
            }
          });
    } catch (SQLException e) {
      return false;
    }
  }

  /** Checks that every table and column the store uses is there, with one query per table. */
  private void verify() {
    runner.withConnection(
        "checking the tables",
        c -> {
          for (Map.Entry<String, String> table : COLUMNS.entrySet()) {
            String name = sql.prefix + table.getKey();
            try (PreparedStatement ps =
                    runner.prepare(c, sql.probeColumns(table.getKey(), table.getValue()));
                ResultSet rs = ps.executeQuery()) {
              rs.next();
            } catch (SQLException e) {
              throw runner
                  .failures()
                  .translate("checking table " + name + " (columns " + table.getValue() + ")", e);
            }
          }
          return null;
        });
  }

  /** The dialect's DDL statements with the prefix filled in. */
  static List<String> ddl(JdbcDialect dialect, String prefix) {
    String text;
    try (InputStream in =
        Schema.class.getClassLoader().getResourceAsStream(dialect.ddlResource())) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + dialect.ddlResource());
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + dialect.ddlResource(), e);
    }
    StringBuilder sql = new StringBuilder();
    for (String line : text.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : sql.toString().replace("${prefix}", prefix).split(";")) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return statements;
  }
}
