package io.recordtracker;

/**
 * A batch was opened again with an expected record count different from the stored one (or with a
 * count while it is stored unsealed), or sealed with a count different from the one it has.
 */
public class BatchConflictException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final transient BatchInfo existing;

  /** An exception for opening or sealing {@code existing.id()} with {@code requestedRecords}. */
  public BatchConflictException(BatchInfo existing, int requestedRecords) {
    super(
        existing.isSealed()
            ? "batch "
                + existing.id()
                + " is already open with "
                + existing.expectedRecords()
                + " expected records; cannot reopen or seal it with "
                + requestedRecords
            : "batch "
                + existing.id()
                + " is open unsealed, its size not known yet; cannot reopen it with "
                + requestedRecords
                + " records (seal it instead)");
    this.existing = existing;
  }

  /** The batch as it is stored. */
  public BatchInfo existing() {
    return existing;
  }
}
