package io.recordtracker.spring.batch;

import io.recordtracker.BatchId;
import io.recordtracker.internal.Arguments;

/**
 * Which record of which batch an item is: what a {@link TrackingItemWriter}'s function returns for
 * each item it writes.
 *
 * @param batch the batch the record belongs to
 * @param record the record's number in the batch, from 0
 */
public record TrackedRecord(BatchId batch, int record) {

  /**
   * Checks the values.
   *
   * @throws NullPointerException if {@code batch} is null
   * @throws IllegalArgumentException if {@code record} is negative
   */
  public TrackedRecord {
    Arguments.requireNonNull(batch, "batch");
    if (record < 0) {
      throw new IllegalArgumentException("record must not be negative: " + record);
    }
  }
}
