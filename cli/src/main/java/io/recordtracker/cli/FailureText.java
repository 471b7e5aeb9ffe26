package io.recordtracker.cli;

import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * What the command prints for a failure, in the command's words: its options (--jdbc-url,
 * --create-schema, --table-prefix), not the library's API (DataSource, createSchema(true)), which
 * the library's own messages name for programs that embed it.
 */
final class FailureText {

  private FailureText() {}

  /**
   * The message for {@code e}, thrown by a command working on the tables with {@code tablePrefix}.
   */
  static String of(Throwable e, String tablePrefix) {
    if (e instanceof UnknownBatchException) {
      return "no batch "
          + ((UnknownBatchException) e).batch()
          + " in the store (table "
          + tablePrefix
          + "batch): it was never opened, or it was purged";
    }
    if (e instanceof TrackerStoreException) {
      return ofStore((TrackerStoreException) e, tablePrefix);
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static String ofStore(TrackerStoreException e, String tablePrefix) {
    String driver = " (" + driverMessage(e) + ")";
    switch (e.reason()) {
      case UNREACHABLE:
        return "the database is unreachable"
            + unknownHost(e)
            + driver
            + "; check that it is running and that the host, port and database in --jdbc-url are"
            + " right";
      case AUTHENTICATION:
        return "the database rejected the credentials"
            + driver
            + "; check --user and the password (--password-env, --password-file or $"
            + DatabaseOptions.PASSWORD_ENV
            + ")";
      case MISSING_DATABASE:
        return "the database named in --jdbc-url does not exist"
            + driver
            + "; create it (CREATE DATABASE) or correct its name in --jdbc-url. --create-schema"
            + " creates the tracker's tables, not the database";
      case MISSING_SCHEMA:
        return "the tracker's tables ("
            + tablePrefix
            + "*) are missing or lack a column"
            + driver
            + "; if the tables do not exist yet, add --create-schema, or check --table-prefix";
      case READ_ONLY:
        return "the database refused to write because it or the connection is read-only"
            + driver
            + "; point --jdbc-url at a read-write database, not a replica";
      case TIMEOUT:
        return "a statement ran longer than the query timeout and was cancelled"
            + driver
            + "; usually a long transaction holds a lock on the same rows, or the database is"
            + " stalled. Try again later";
      case CORRUPT_DATA:
      case OTHER:
      default:
        return e.getMessage();
    }
  }

  /** ": the host X could not be resolved" if that is why the connection failed, else "". */
  private static String unknownHost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return ": the host " + t.getMessage() + " could not be resolved";
      }
    }
    return "";
  }

  /** The first line of the database driver's own message, or the library's if there is none. */
  private static String driverMessage(Throwable e) {
    Throwable source = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        source = t;
        break;
      }
    }
    String message = source.getMessage() == null ? source.toString() : source.getMessage().strip();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
