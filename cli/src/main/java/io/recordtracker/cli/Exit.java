package io.recordtracker.cli;

import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * The exit codes of the {@code record-tracker} command, and how a failure maps to one. The codes
 * above 63 follow BSD's sysexits.h where one fits.
 */
final class Exit {

  /** Success: the batch is complete, nothing is in flight, the command did its work. */
  static final int OK = 0;

  /** An unexpected error (a bug): the message and, with --verbose, the stack trace say more. */
  static final int INTERNAL = 1;

  /** reconcile or monitor found discrepancies: missing, never-sent or unexpected records. */
  static final int DISCREPANCIES = 2;

  /** in-flight: records are being processed; do not start maintenance. */
  static final int IN_FLIGHT = 3;

  /** Bad arguments: unknown option, missing value, malformed duration, batch id or stage. */
  static final int USAGE = 64;

  /** The JDBC URL is malformed or no bundled driver accepts it. */
  static final int BAD_URL = 65;

  /** The batch does not exist (never opened, or purged). */
  static final int UNKNOWN_BATCH = 66;

  /** The database cannot be reached: down, wrong host or port, network. */
  static final int DB_UNREACHABLE = 69;

  /** The database answered with an error: missing tables, SQL failure. */
  static final int DB_ERROR = 74;

  /** monitor: the webhook did not take an alert (after its retries). */
  static final int ALERT_FAILED = 75;

  /** The database rejected the user name or password. */
  static final int DB_AUTH = 77;

  /** Configuration missing: the named password or webhook variable is unset, a file unreadable. */
  static final int CONFIG = 78;

  private Exit() {}

  /** The exit code for a failure thrown by a command. */
  static int of(Throwable e) {
    if (e instanceof CliException) {
      return ((CliException) e).exitCode();
    }
    if (e instanceof UnknownBatchException) {
      return UNKNOWN_BATCH;
    }
    if (e instanceof TrackerStoreException) {
      return ofStoreFailure(e);
    }
    if (e instanceof IllegalArgumentException) {
      return USAGE;
    }
    return INTERNAL;
  }

  private static int ofStoreFailure(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof ConnectException
          || c instanceof UnknownHostException
          || c instanceof NoRouteToHostException
          || c instanceof SocketTimeoutException) {
        return DB_UNREACHABLE;
      }
      if (c instanceof SQLException) {
        SQLException sql = (SQLException) c;
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        if (state.startsWith("28") || sql.getErrorCode() == 1045) {
          return DB_AUTH;
        }
        if (state.startsWith("08")) {
          return DB_UNREACHABLE;
        }
      }
    }
    return DB_ERROR;
  }
}
