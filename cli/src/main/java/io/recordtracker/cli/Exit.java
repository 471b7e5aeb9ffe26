package io.recordtracker.cli;

import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;

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

  /**
   * The database answered with an error: missing tables, missing database, read-only, timeout,
   * corrupt marks, SQL failure.
   */
  static final int DB_ERROR = 74;

  /** monitor: the webhook did not take an alert (after its retries). */
  static final int ALERT_FAILED = 75;

  /** The database rejected the user name or password. */
  static final int DB_AUTH = 77;

  /**
   * Configuration missing: the named password, webhook or token variable is unset, a file
   * unreadable; serve cannot listen on its address.
   */
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
    if (e instanceof io.recordtracker.UnknownStageException) {
      return USAGE; // a typo in a stage name, found by the store
    }
    if (e instanceof TrackerStoreException) {
      return of(((TrackerStoreException) e).reason());
    }
    if (e instanceof IllegalArgumentException) {
      return USAGE;
    }
    return INTERNAL;
  }

  /** The exit code for a store failure of this reason: one meaning per code. */
  static int of(TrackerStoreException.Reason reason) {
    switch (reason) {
      case UNREACHABLE:
        return DB_UNREACHABLE;
      case AUTHENTICATION:
        return DB_AUTH;
      case MISSING_DATABASE:
      case MISSING_SCHEMA:
      case READ_ONLY:
      case TIMEOUT:
      case CORRUPT_DATA:
      case OTHER:
      default:
        return DB_ERROR;
    }
  }
}
