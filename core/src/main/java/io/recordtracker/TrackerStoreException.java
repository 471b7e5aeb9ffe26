package io.recordtracker;

/**
 * The store could not do what was asked: the database is unreachable, a table is missing, stored
 * bytes are corrupt. Marks that were being flushed are kept and retried.
 */
public class TrackerStoreException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  /** An exception with a message. */
  public TrackerStoreException(String message) {
    super(message);
  }

  /** An exception with a message and the cause it wraps. */
  public TrackerStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
