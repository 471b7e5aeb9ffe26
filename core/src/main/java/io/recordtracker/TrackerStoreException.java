package io.recordtracker;

import java.util.Objects;

/**
 * The store could not do what was asked: the database is unreachable, a table is missing, stored
 * bytes are corrupt. Marks that were being flushed are kept and retried.
 *
 * <p>{@link #reason()} says which kind of failure it was, for a program to act on (an exit code, a
 * retry, an alert) without parsing the message; the message says it in words, with what to do.
 */
public class TrackerStoreException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  /** Why the store failed, for a caller to switch on. */
  public enum Reason {
    /** The database cannot be reached: down, wrong host or port, unknown host, network. */
    UNREACHABLE,
    /** The database rejected the user name or password. */
    AUTHENTICATION,
    /** The database named in the connection does not exist (the server answered). */
    MISSING_DATABASE,
    /** A table or column of the store is missing: the schema was not created or is outdated. */
    MISSING_SCHEMA,
    /** The database or connection is read-only (a replica, a read-only transaction). */
    READ_ONLY,
    /** A statement ran longer than the store's query timeout and was cancelled. */
    TIMEOUT,
    /** Stored bytes cannot be decoded: a row is corrupt or truncated. */
    CORRUPT_DATA,
    /** Any other failure: the message and the cause say more. */
    OTHER
  }

  /** Serializable, as the enum is. */
  private final Reason reason;

  /** An exception with a message, for reason {@link Reason#OTHER}. */
  public TrackerStoreException(String message) {
    this(Reason.OTHER, message);
  }

  /** An exception with a message and the cause it wraps, for reason {@link Reason#OTHER}. */
  public TrackerStoreException(String message, Throwable cause) {
    this(Reason.OTHER, message, cause);
  }

  /**
   * An exception with a reason and a message.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  public TrackerStoreException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /**
   * An exception with a reason, a message and the cause it wraps.
   *
   * @throws NullPointerException if {@code reason} is null
   */
  public TrackerStoreException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /** Why the store failed; {@link Reason#OTHER} when the store did not say. */
  public Reason reason() {
    return reason;
  }
}
