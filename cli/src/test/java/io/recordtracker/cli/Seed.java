package io.recordtracker.cli;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.TestTrackers;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** A tracker on the CLI's tables, with a clock the test sets, to write what the CLI reads. */
final class Seed implements AutoCloseable {

  final SettableClock clock = new SettableClock(Instant.now());
  final RecordTracker tracker;

  Seed(String url, String user, String password) {
    this(url, user, password, "rt_");
  }

  Seed(String url, String user, String password, String tablePrefix) {
    DriverManagerDataSource dataSource = new DriverManagerDataSource(url, user, password);
    dataSource.setLoginTimeout(10);
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(dataSource).tablePrefix(tablePrefix).createSchema(true).build();
    tracker = TestTrackers.flushingOnRequest(store, clock);
  }

  /** Opens {@code id} with 1,000 records, all sent and {@code processed} processed, flushed. */
  BatchId sentBatch(String id, Map<String, String> attributes, RecordRange... processed) {
    BatchId batch = BatchId.of(id);
    tracker.openBatch(batch, 1_000, attributes);
    tracker.markSent(batch, RecordRange.of(0, 999));
    for (RecordRange range : processed) {
      tracker.markProcessed(batch, range);
    }
    tracker.flush();
    return batch;
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
