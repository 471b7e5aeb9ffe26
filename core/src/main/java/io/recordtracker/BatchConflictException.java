package io.recordtracker;

/** A batch was opened again with an expected record count different from the stored one. */
public class BatchConflictException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final transient BatchInfo existing;

  /** An exception for opening {@code existing.id()} with {@code requestedRecords}. */
  public BatchConflictException(BatchInfo existing, int requestedRecords) {
    super(
        "batch "
            + existing.id()
            + " is already open with "
            + existing.expectedRecords()
            + " expected records; cannot reopen it with "
            + requestedRecords);
    this.existing = existing;
  }

  /** The batch as it is stored. */
  public BatchInfo existing() {
    return existing;
  }
}
