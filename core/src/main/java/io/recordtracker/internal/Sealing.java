package io.recordtracker.internal;

import io.recordtracker.BatchConflictException;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;

/**
 * The rules of opening and sealing a batch that every store applies the same way, so that stores
 * agree on them. Internal: not API.
 */
public final class Sealing {

  private Sealing() {}

  /**
   * Checks that {@code declared} may be opened over the batch {@code stored} with the same id.
   * Opening without a count (unsealed) returns whatever is stored, sealed since or not: a streaming
   * sender's retry is safe. Opening with a count needs the same count, sealed.
   *
   * @param stored the batch as stored
   * @param declared the batch being opened
   * @throws BatchConflictException if {@code declared} has a count and {@code stored} has another
   *     one or none yet
   */
  public static void checkOpen(BatchInfo stored, BatchInfo declared) {
    if (declared.isSealed()
        && (!stored.isSealed() || stored.expectedRecords() != declared.expectedRecords())) {
      throw new BatchConflictException(stored, declared.expectedRecords());
    }
  }

  /**
   * Checks a seal of {@code stored} with {@code totalRecords}, before any mark is looked at.
   *
   * @param stored the batch as stored
   * @param totalRecords the count to seal it with, not negative
   * @return true if it is sealed with that count already (a seal is then a no-op), false if it is
   *     unsealed
   * @throws BatchConflictException if it is sealed with another count
   */
  public static boolean alreadySealed(BatchInfo stored, int totalRecords) {
    if (!stored.isSealed()) {
      return false;
    }
    if (stored.expectedRecords() != totalRecords) {
      throw new BatchConflictException(stored, totalRecords);
    }
    return true;
  }

  /**
   * Checks that a seal count is not negative.
   *
   * @param totalRecords the count
   * @return {@code totalRecords}
   * @throws IllegalArgumentException if it is negative
   */
  public static int requireCount(int totalRecords) {
    if (totalRecords < 0) {
      throw new IllegalArgumentException("totalRecords must not be negative: " + totalRecords);
    }
    return totalRecords;
  }

  /**
   * Checks that no mark is at or beyond the count a batch is being sealed with.
   *
   * @param batch the batch
   * @param highestMark the highest record marked at any stage, or -1 if none
   * @param totalRecords the count
   * @throws IllegalArgumentException naming the highest mark if it is at or beyond the count
   */
  public static void checkHighestMark(BatchId batch, long highestMark, int totalRecords) {
    if (highestMark >= totalRecords) {
      throw new IllegalArgumentException(
          "cannot seal batch "
              + batch
              + " with "
              + totalRecords
              + " records: record "
              + highestMark
              + " is marked already, so it holds at least "
              + (highestMark + 1));
    }
  }
}
