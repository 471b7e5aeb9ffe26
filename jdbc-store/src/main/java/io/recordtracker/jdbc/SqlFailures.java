package io.recordtracker.jdbc;

import io.recordtracker.TrackerStoreException;
import io.recordtracker.TrackerStoreException.Reason;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a {@link SQLException} into a {@link TrackerStoreException} whose {@link Reason} a program
 * switches on and whose message says what went wrong in words a user acts on (unreachable, wrong
 * credentials, read-only, missing table) and what to do, with the driver's own message kept. The
 * reason and the words come from one classification, {@link #reason(SQLException)}.
 */
final class SqlFailures {

  private static final Set<String> MISSING_OBJECT =
      Set.of("42P01", "42703", "42S02", "42S03", "42S04", "42S22", "42S12", "3F000");
  private static final Set<String> RETRYABLE =
      Set.of("40001", "40P01", "HYT00", "23505", "23503", "23000", "23506");

  private final String tables;
  private final String ddlResource;
  private final int queryTimeoutSeconds;

  SqlFailures(String prefix, String ddlResource) {
    this(prefix, ddlResource, 0);
  }

  /** With the store's query timeout, to name it when a statement is cancelled for exceeding it. */
  SqlFailures(String prefix, String ddlResource, int queryTimeoutSeconds) {
    this.tables = prefix + "* tables";
    this.ddlResource = ddlResource;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
  }

  TrackerStoreException translate(String what, SQLException e) {
    return new TrackerStoreException(
        reason(e), what + " failed on the " + tables + ": " + explain(e), e);
  }

  /** What kind of failure {@code e} is; the first match in the order {@link #explain} tells it. */
  static Reason reason(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (isMissingDatabase(e, state)) {
      return Reason.MISSING_DATABASE;
    }
    if (isConnectionFailure(e, state)) {
      return Reason.UNREACHABLE;
    }
    if (isQueryTimeout(e, state)) {
      return Reason.TIMEOUT;
    }
    if (isAuthentication(e, state)) {
      return Reason.AUTHENTICATION;
    }
    if (isReadOnly(e, state)) {
      return Reason.READ_ONLY;
    }
    if (isMissingObject(e, state)) {
      return Reason.MISSING_SCHEMA;
    }
    return Reason.OTHER;
  }

  String explain(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String driver = driverMessage(e);
    switch (reason(e)) {
      case MISSING_DATABASE:
        return "the database does not exist ("
            + driver
            + "); create it (CREATE DATABASE) or correct the database name the DataSource"
            + " connects to. The tables can be created in it with createSchema(true).";
      case UNREACHABLE:
        return "the database is unreachable"
            + unknownHost(e).map(host -> ": the host " + host + " could not be resolved").orElse("")
            + " ("
            + driver
            + "); check that it is running and that the DataSource's host, port and database are"
            + " right. A tracker keeps its marks buffered and retries.";
      case TIMEOUT:
        return timeout(e, state, driver);
      case AUTHENTICATION:
        return "the database rejected the credentials ("
            + driver
            + "); check the user name and password the DataSource is configured with.";
      case READ_ONLY:
        return "the database refused to write because the connection or database is read-only ("
            + driver
            + "); the store needs a read-write DataSource (not a replica, not"
            + " setReadOnly(true)).";
      case MISSING_SCHEMA:
        return "a table or column is missing ("
            + driver
            + "); create the tables with createSchema(true), or apply "
            + ddlResource
            + " (replace ${prefix} with the table prefix) through your migrations.";
      default:
        break;
    }
    if (state.equals("42501") || e.getErrorCode() == 1142 || e.getErrorCode() == 1044) {
      return "the database user lacks a privilege on the tables ("
          + driver
          + "); grant SELECT, INSERT, UPDATE and DELETE on them (and CREATE for createSchema).";
    }
    return driver + " (SQLState " + state + ", error " + e.getErrorCode() + ")";
  }

  private String timeout(SQLException e, String state, String driver) {
    return "the statement ran longer than the query timeout"
        + (queryTimeoutSeconds > 0 ? " (" + queryTimeoutSeconds + " s)" : "")
        + " and was cancelled ("
        + driver
        + ", SQLState "
        + state
        + "); usually a lock held by a long transaction on the same rows, or a stalled"
        + " database. A tracker keeps its marks buffered and retries; raise"
        + " JdbcTrackerStore.Builder.queryTimeout if the database is merely slow.";
  }

  /**
   * Whether a fresh attempt may succeed: a serialization failure, deadlock, lock wait timeout or
   * race, in {@code e} or in the exception it wraps (a driver's {@code BatchUpdateException} may
   * carry the database's code only in its cause or next exception).
   */
  static boolean isRetryable(SQLException e) {
    for (SQLException s : chain(e)) {
      String state = s.getSQLState() == null ? "" : s.getSQLState();
      int code = s.getErrorCode();
      // MariaDB/MySQL: 1213 deadlock (also Galera's certification failure), 1205 lock wait
      // timeout, 1467 "failed to read auto-increment value from storage engine" (seen under
      // concurrent inserts on MariaDB; a fresh attempt succeeds).
      if (RETRYABLE.contains(state) || code == 1213 || code == 1205 || code == 1467) {
        return true;
      }
    }
    return false;
  }

  /** A deadlock or serialization failure (Galera's certification conflict is reported so). */
  static boolean isDeadlock(SQLException e) {
    for (SQLException s : chain(e)) {
      if (s.getErrorCode() == 1213 || "40001".equals(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * A locking read with NOWAIT found the row locked: MariaDB reports it as a lock wait timeout
   * (1205), MySQL as 3572, PostgreSQL as 55P03.
   */
  static boolean isLockUnavailable(SQLException e) {
    for (SQLException s : chain(e)) {
      int code = s.getErrorCode();
      if (code == 1205 || code == 3572 || "55P03".equals(s.getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** {@code e}, then the SQL exceptions it wraps as causes or next exceptions, up to a few. */
  private static List<SQLException> chain(SQLException e) {
    List<SQLException> all = new ArrayList<>();
    ArrayDeque<Throwable> todo = new ArrayDeque<>();
    todo.add(e);
    while (!todo.isEmpty() && all.size() < 8) {
      Throwable t = todo.poll();
      if (t instanceof SQLException s && !all.contains(s)) {
        all.add(s);
        if (s.getCause() != null) {
          todo.add(s.getCause());
        }
        if (s.getNextException() != null) {
          todo.add(s.getNextException());
        }
      }
    }
    return all;
  }

  /** A foreign key violation: the referenced batch row is gone. */
  static boolean isForeignKeyViolation(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    int code = e.getErrorCode();
    return state.equals("23503") || code == 1452 || code == 23506;
  }

  static boolean isDuplicateKey(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    return state.equals("23505") || e.getErrorCode() == 1062;
  }

  /**
   * The server answered that the database named in the URL does not exist: PostgreSQL 3D000,
   * MariaDB/MySQL 1049, H2 90146 (IFEXISTS=TRUE). Checked before the connection failures, since
   * drivers report it while connecting and H2 as a connection exception.
   */
  private static boolean isMissingDatabase(SQLException e, String state) {
    return state.equals("3D000") || e.getErrorCode() == 1049 || e.getErrorCode() == 90146;
  }

  private static boolean isAuthentication(SQLException e, String state) {
    return state.startsWith("28") || e.getErrorCode() == 1045;
  }

  /** The host name a connection failure could not resolve, if that is what it was. */
  static Optional<String> unknownHost(SQLException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return Optional.ofNullable(t.getMessage());
      }
    }
    return Optional.empty();
  }

  private static boolean isConnectionFailure(SQLException e, String state) {
    if (state.startsWith("08")
        || e instanceof SQLNonTransientConnectionException
        || e instanceof SQLTransientConnectionException) {
      return true;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  /** PostgreSQL query_canceled, MariaDB max_statement_time exceeded, or the JDBC timeout class. */
  private static boolean isQueryTimeout(SQLException e, String state) {
    return e instanceof SQLTimeoutException
        || state.equals("57014")
        || e.getErrorCode() == 1969
        || e.getErrorCode() == 3024;
  }

  private static boolean isReadOnly(SQLException e, String state) {
    int code = e.getErrorCode();
    return state.equals("25006")
        || state.equals("90097")
        || code == 90097
        || code == 1290
        || code == 1792
        || code == 1836;
  }

  private static boolean isMissingObject(SQLException e, String state) {
    int code = e.getErrorCode();
    return MISSING_OBJECT.contains(state)
        || code == 42102
        || code == 42103
        || code == 42104
        || code == 42122
        || code == 1146
        || code == 1054;
  }

  private static String driverMessage(SQLException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    message = message.strip();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
