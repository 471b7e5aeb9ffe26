package io.recordtracker;

import java.time.Duration;
import java.util.Map;

/**
 * A snapshot of a tracker's counters since it was built, for metrics and health checks; see {@link
 * RecordTracker#stats()}. Immutable.
 *
 * @param flushedRecords per stage, records this tracker's flushes wrote to the store (a record
 *     marked again after it was flushed counts again)
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
  }
}
