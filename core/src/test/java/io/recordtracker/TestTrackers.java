package io.recordtracker;

import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.time.Duration;

/** Trackers as tests build them (shipped in the test-jar for other modules). */
public final class TestTrackers {

  private TestTrackers() {}

  /**
   * A tracker on {@code store} reading {@code clock}, whose background flush (hourly) never runs
   * within a test: marks reach the store only when the test calls {@code flush()}.
   */
  public static RecordTracker flushingOnRequest(TrackerStore store, Clock clock) {
    return RecordTracker.builder()
        .store(store)
        .clock(clock)
        .flushInterval(Duration.ofHours(1))
        .build();
  }
}
