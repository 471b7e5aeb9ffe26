package io.recordtracker;

import java.time.Duration;
import java.util.Map;

/**
 * A snapshot of a tracker's counters since it was built, for metrics and health checks; see {@link
 * RecordTracker#stats()}. Immutable.
 *
 * @param flushedRecords per stage, records this tracker's flushes wrote to the store (a record
 *     marked again after it was flushed counts again)
 * @param rejectedRecords per stage, marked records set aside because the store no longer had the
 *     batch they were made for (see {@link MarksRejectedException}); never stored, never retried
 * @param bufferedRecords records marked by this tracker and not yet known durable
 * @param flushes flushes that wrote marks to the store
 * @param flushFailures flushes the store failed (the marks were kept and retried)
 * @param flushTime total time spent in flushes that succeeded
 * @param reconciles reconciliations computed
 * @param reconcileTime total time spent reconciling
 * @param storeHealthy false while the store is failing flushes
 */
public record TrackerStats(
    Map<Stage, Long> flushedRecords,
    Map<Stage, Long> rejectedRecords,
    long bufferedRecords,
    long flushes,
    long flushFailures,
    Duration flushTime,
    long reconciles,
    Duration reconcileTime,
    boolean storeHealthy) {

  /** Copies the map so the snapshot stays immutable. */
  public TrackerStats {
    flushedRecords = Map.copyOf(flushedRecords);
    rejectedRecords = Map.copyOf(rejectedRecords);
  }

  /**
   * Stats with no rejected records, as before rejections were counted.
   *
   * @param flushedRecords per stage, records this tracker's flushes wrote to the store
   * @param bufferedRecords records marked by this tracker and not yet known durable
   * @param flushes flushes that wrote marks to the store
   * @param flushFailures flushes the store failed
   * @param flushTime total time spent in flushes that succeeded
   * @param reconciles reconciliations computed
   * @param reconcileTime total time spent reconciling
   * @param storeHealthy false while the store is failing flushes
   */
  public TrackerStats(
      Map<Stage, Long> flushedRecords,
      long bufferedRecords,
      long flushes,
      long flushFailures,
      Duration flushTime,
      long reconciles,
      Duration reconcileTime,
      boolean storeHealthy) {
    this(
        flushedRecords,
        Map.of(),
        bufferedRecords,
        flushes,
        flushFailures,
        flushTime,
        reconciles,
        reconcileTime,
        storeHealthy);
  }
}
