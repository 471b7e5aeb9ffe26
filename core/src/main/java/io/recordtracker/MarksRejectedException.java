package io.recordtracker;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Marks were not stored because the batch they were made for no longer exists in the store: it was
 * purged, the database was restored from a backup taken before it was opened, its tables were
 * dropped and recreated, or it was purged and opened again under the same id (a new incarnation,
 * see {@link BatchInfo#incarnation()}). Also marks of an unsealed batch at or beyond the count it
 * was sealed with meanwhile, by another tracker ({@link RecordTracker#seal(BatchId, int)}): those
 * records are not of the batch.
 *
 * <p>A store's {@link io.recordtracker.spi.TrackerStore#merge merge} throws it having stored none
 * of the deltas it was given. A tracker then sets those marks aside: they are not counted as
 * flushed, not retried, logged at ERROR with their count, counted in {@link
 * TrackerStats#rejectedRecords()}, and reported by {@link RecordTracker#flush()}: a call during
 * which marks were set aside, or the first call after the background flusher set some aside, throws
 * this exception once the other marks are durable. Re-open the batch and mark the records again if
 * they still matter.
 */
public class MarksRejectedException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final transient Map<BatchId, Long> rejectedRecords;

  /**
   * An exception for marks of the given batches that were not stored.
   *
   * @param rejectedRecords per batch, how many marked records were not stored
   * @param detail what happened, appended to the message
   * @throws NullPointerException if an argument is null
   */
  public MarksRejectedException(Map<BatchId, Long> rejectedRecords, String detail) {
    super(message(rejectedRecords, detail));
    this.rejectedRecords = Collections.unmodifiableMap(new LinkedHashMap<>(rejectedRecords));
  }

  private static String message(Map<BatchId, Long> rejected, String detail) {
    Objects.requireNonNull(rejected, "rejectedRecords must not be null");
    Objects.requireNonNull(detail, "detail must not be null");
    long total = 0;
    for (long n : rejected.values()) {
      total += n;
    }
    return total
        + " marked records of "
        + rejected.size()
        + (rejected.size() == 1 ? " batch" : " batches")
        + " were not stored, because the store no longer has the batch they were made for"
        + " (purged, restored from an older backup, tables recreated, or purged and opened"
        + " again) or sealed it with fewer records: "
        + rejected
        + (detail.isEmpty() ? "" : "; " + detail);
  }

  /**
   * The batches whose marks were not stored.
   *
   * @return their ids
   */
  public Set<BatchId> batches() {
    return rejectedRecords.keySet();
  }

  /**
   * Per batch, how many marked records were not stored.
   *
   * @return an unmodifiable map
   */
  public Map<BatchId, Long> rejectedRecords() {
    return rejectedRecords;
  }
}
