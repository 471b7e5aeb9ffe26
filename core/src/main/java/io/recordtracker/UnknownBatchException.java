package io.recordtracker;

/** A batch was used that was never opened (or has been purged). */
public class UnknownBatchException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final transient BatchId batch;

  /** An exception for the unknown batch {@code batch}. */
  public UnknownBatchException(BatchId batch) {
    super("unknown batch " + batch + ": open it with openBatch(id, expectedRecords) first");
    this.batch = batch;
  }

  /** The batch that was not found. */
  public BatchId batch() {
    return batch;
  }
}
