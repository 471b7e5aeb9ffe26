package io.recordtracker.cli;

import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.time.Duration;
import java.time.Instant;

/** A tracker on the CLI's tables, with a clock the test sets, to write what the CLI reads. */
final class Seed implements AutoCloseable {

  final SettableClock clock = new SettableClock(Instant.now());
  final RecordTracker tracker;

  Seed(String url, String user, String password) {
    this(url, user, password, "rt_");
  }

  Seed(String url, String user, String password, String tablePrefix) {
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(new DriverManagerDataSource(url, user, password, 10))
            .tablePrefix(tablePrefix)
            .createSchema(true)
            .build();
    tracker =
        RecordTracker.builder()
            .store(store)
            .clock(clock)
            .flushInterval(Duration.ofHours(1))
            .build();
  }

  /** Sets the clock to {@code ago} before now. */
  Seed at(Duration ago) {
    clock.advance(Duration.between(clock.instant(), Instant.now().minus(ago)));
    return this;
  }

  @Override
  public void close() {
    tracker.close();
  }
}
