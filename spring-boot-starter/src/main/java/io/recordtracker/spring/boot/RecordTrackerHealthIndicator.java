package io.recordtracker.spring.boot;

import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import io.recordtracker.TrackerStats;
import io.recordtracker.internal.Arguments;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * UP while the tracker's flushes reach its store ({@link TrackerStats#storeHealthy()}); DOWN while
 * they fail, with the cause: the error of one small query the indicator then makes to the store
 * (the tracker does not expose its last flush failure). Never DOWN because batches are overdue or
 * records missing: that is the completeness monitor's to report. Details: buffered records, flushes
 * and flush failures.
 */
public final class RecordTrackerHealthIndicator implements HealthIndicator {

  private static final BatchQuery PROBE = BatchQuery.builder().limit(1).build();

  private final RecordTracker tracker;

  /**
   * An indicator of {@code tracker}'s store.
   *
   * @param tracker the tracker
   * @throws NullPointerException if {@code tracker} is null
   */
  public RecordTrackerHealthIndicator(RecordTracker tracker) {
    this.tracker = Arguments.requireNonNull(tracker, "tracker");
  }

  @Override
  public Health health() {
    TrackerStats stats = tracker.stats();
    Health.Builder health = stats.storeHealthy() ? Health.up() : Health.down();
    health
        .withDetail("bufferedRecords", stats.bufferedRecords())
        .withDetail("flushes", stats.flushes())
        .withDetail("flushFailures", stats.flushFailures());
    if (!stats.storeHealthy()) {
      try {
        tracker.batches(PROBE);
        health.withDetail("error", "flushes are failing; the store answers again, so they resume");
      } catch (RuntimeException e) {
        health.withException(e);
      }
    }
    return health.build();
  }
}
