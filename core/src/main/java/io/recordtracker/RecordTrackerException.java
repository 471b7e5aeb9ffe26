package io.recordtracker;

/** The base of every exception record-tracker throws on its own account; unchecked. */
public class RecordTrackerException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** An exception with a message. */
  public RecordTrackerException(String message) {
    super(message);
  }

  /** An exception with a message and the cause it wraps. */
  public RecordTrackerException(String message, Throwable cause) {
    super(message, cause);
  }
}
