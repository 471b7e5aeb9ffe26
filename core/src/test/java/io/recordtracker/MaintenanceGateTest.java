package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

class MaintenanceGateTest {

  private final SettableClock clock = new SettableClock(Instant.parse("2026-11-25T02:00:00Z"));
  private final RecordTracker tracker =
      RecordTracker.builder().clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    tracker.close();
  }

  private MaintenanceGate.Builder gate() {
    return gate(() -> {});
  }

  /**
   * A gate with a 10-minute window polling every 5 s, whose waits are noted and move the clock,
   * then run {@code duringWait} (what happens elsewhere meanwhile).
   */
  private MaintenanceGate.Builder gate(Runnable duringWait) {
    return MaintenanceGate.builder(tracker)
        .window(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(5))
        .sleeper(
            d -> {
              sleeps.add(d);
              clock.advance(d);
              duringWait.run();
            });
  }

  private BatchId halfProcessed() {
    BatchId id = BatchId.of("B-1");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 499));
    tracker.flush();
    return id;
  }

  @Test
  void opens_at_once_when_nothing_is_in_flight() throws Exception {
    BatchId done = BatchId.of("DONE");
    tracker.openBatch(done, 10);
    tracker.markSent(done, RecordRange.of(0, 9));
    tracker.markProcessed(done, RecordRange.of(0, 9));
    tracker.flush();

    assertThat(gate().build().awaitQuiet(Duration.ofMinutes(1))).isTrue();
    assertThat(sleeps).isEmpty();
  }

  @Test
  void waits_while_a_batch_is_processed_and_opens_when_it_completes() throws Exception {
    BatchId id = halfProcessed();
    MaintenanceGate gate =
        gate(() -> {
              if (sleeps.size() == 3) { // processing finishes during the third wait
                tracker.markProcessed(id, RecordRange.of(500, 999));
                tracker.flush();
              }
            })
            .build();
    assertThat(gate.inFlight()).extracting(BatchInfo::id).containsExactly(id);

    assertThat(gate.awaitQuiet(Duration.ofMinutes(30))).isTrue();

    assertThat(sleeps).hasSize(3).containsOnly(Duration.ofSeconds(5));
    assertThat(gate.inFlight()).isEmpty();
  }

  @Test
  void returns_false_when_the_timeout_runs_out() throws Exception {
    halfProcessed();

    assertThat(gate().build().awaitQuiet(Duration.ofSeconds(12))).isFalse();

    assertThat(sleeps)
        .containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(2));
  }

  @Test
  void zero_timeout_asks_once() throws Exception {
    halfProcessed();
    assertThat(gate().build().awaitQuiet(Duration.ZERO)).isFalse();
    assertThat(sleeps).isEmpty();
  }

  @Test
  void batch_last_marked_before_the_window_is_not_in_flight() throws Exception {
    halfProcessed();
    clock.advance(Duration.ofMinutes(11)); // abandoned: the monitor's business, not the gate's

    assertThat(gate().build().awaitQuiet(Duration.ofMinutes(1))).isTrue();
  }

  @Test
  void batch_purged_while_the_gate_looks_is_not_in_flight() throws Exception {
    TrackerStore shared = TrackerStore.inMemory();
    try (RecordTracker writer = RecordTracker.builder().store(shared).build()) {
      BatchId id = BatchId.of("PURGED");
      writer.openBatch(id, 10);
      writer.markSent(id, RecordRange.of(0, 9));
      writer.flush();
    }
    // A store whose listing races with a purge: the batch is gone once it has been listed.
    TrackerStore racing =
        new TrackerStore() {
          @Override
          public BatchInfo openBatch(BatchInfo batch) {
            return shared.openBatch(batch);
          }

          @Override
          public java.util.Optional<BatchInfo> findBatch(BatchId id) {
            return shared.findBatch(id);
          }

          @Override
          public void merge(List<io.recordtracker.spi.MarkDelta> deltas) {
            shared.merge(deltas);
          }

          @Override
          public org.roaringbitmap.RoaringBitmap load(BatchId batch, Stage stage) {
            return shared.load(batch, stage);
          }

          @Override
          public List<BatchInfo> batches(BatchQuery query) {
            List<BatchInfo> listed = shared.batches(query);
            shared.delete(listed.stream().map(BatchInfo::id).toList());
            return listed;
          }

          @Override
          public void recordCompletion(BatchId batch, Instant at) {
            shared.recordCompletion(batch, at);
          }

          @Override
          public int delete(java.util.Collection<BatchId> batches) {
            return shared.delete(batches);
          }
        };
    try (RecordTracker reader = RecordTracker.builder().store(racing).build()) {
      assertThat(reader.inFlight(Duration.ofMinutes(10))).isEmpty();
    }
  }

  @Test
  void failing_store_throws_rather_than_opening() {
    TrackerStore broken =
        new TrackerStore() {
          @Override
          public BatchInfo openBatch(BatchInfo batch) {
            throw new IllegalStateException("down");
          }

          @Override
          public java.util.Optional<BatchInfo> findBatch(BatchId id) {
            throw new IllegalStateException("down");
          }

          @Override
          public void merge(List<io.recordtracker.spi.MarkDelta> deltas) {
            throw new IllegalStateException("down");
          }

          @Override
          public org.roaringbitmap.RoaringBitmap load(BatchId batch, Stage stage) {
            throw new IllegalStateException("down");
          }

          @Override
          public List<BatchInfo> batches(BatchQuery query) {
            throw new IllegalStateException("connection refused");
          }

          @Override
          public void recordCompletion(BatchId batch, Instant at) {}

          @Override
          public int delete(java.util.Collection<BatchId> batches) {
            return 0;
          }
        };
    try (RecordTracker t = RecordTracker.builder().store(broken).build()) {
      MaintenanceGate gate = MaintenanceGate.builder(t).build();
      assertThatThrownBy(() -> gate.awaitQuiet(Duration.ofSeconds(1)))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("connection refused");
    }
  }

  /**
   * Forwards to an in-memory store; the marks of {@link #unreadable} batches fail to load as a
   * corrupt row does, {@link #purgedWhileRead} ones are purged as they are read, and while {@link
   * #down} is set every call but the listing fails.
   */
  private static final class DamagedStore extends ForwardingTrackerStore {
    final Set<BatchId> unreadable = ConcurrentHashMap.newKeySet();
    final Set<BatchId> purgedWhileRead = ConcurrentHashMap.newKeySet();
    volatile boolean down;

    @Override
    public Optional<BatchInfo> findBatch(BatchId id) {
      if (down) {
        throw new TrackerStoreException("database went away (test)");
      }
      return super.findBatch(id);
    }

    @Override
    public RoaringBitmap load(BatchId batch, Stage stage) {
      if (down) {
        throw new TrackerStoreException("database went away (test)");
      }
      if (purgedWhileRead.contains(batch)) {
        target().delete(List.of(batch));
      }
      if (unreadable.contains(batch) || purgedWhileRead.contains(batch)) {
        throw new TrackerStoreException(
            "stored marks of batch " + batch + ", stage " + stage + " are corrupt (test)");
      }
      return super.load(batch, stage);
    }
  }

  private static BatchId batch(RecordTracker t, String name, int sent, int processed) {
    BatchId id = BatchId.of(name);
    t.openBatch(id, 100);
    t.markSent(id, RecordRange.of(0, sent - 1));
    t.markProcessed(id, RecordRange.of(0, processed - 1));
    t.flush();
    return id;
  }

  @Test
  void unreadable_batch_keeps_the_gate_closed_and_the_gate_says_which_and_why() throws Exception {
    DamagedStore store = new DamagedStore();
    try (RecordTracker t = TestTrackers.flushingOnRequest(store, clock)) {
      batch(t, "DONE", 100, 100);
      clock.advance(Duration.ofSeconds(1));
      BatchId live = batch(t, "LIVE", 100, 50);
      clock.advance(Duration.ofSeconds(1));
      BatchId bad = batch(t, "BAD", 100, 100); // complete, if it could be read
      store.unreadable.add(bad);
      MaintenanceGate gate =
          MaintenanceGate.builder(t).window(Duration.ofMinutes(10)).sleeper(clock::advance).build();

      assertThat(gate.inFlight()).extracting(BatchInfo::id).containsExactly(bad, live);
      InFlightReport report = gate.inFlightReport();
      assertThat(report.batches()).extracting(BatchInfo::id).containsExactly(bad, live);
      assertThat(report.unreadable())
          .containsExactly(
              Map.entry(bad, "stored marks of batch BAD, stage sent are corrupt (test)"));
      assertThat(gate.status())
          .isEqualTo(
              "2 batches in flight: BAD, LIVE; batch BAD unreadable: stored marks of batch BAD,"
                  + " stage sent are corrupt (test)");

      t.markProcessed(live, RecordRange.of(50, 99));
      t.flush();
      assertThat(gate.awaitQuiet(Duration.ofSeconds(12))).isFalse(); // fails safe
      assertThat(gate.status())
          .isEqualTo(
              "1 batch in flight: BAD; batch BAD unreadable: stored marks of batch BAD, stage sent"
                  + " are corrupt (test)");

      store.unreadable.clear(); // the row was restored from a backup
      assertThat(gate.awaitQuiet(Duration.ZERO)).isTrue();
      assertThat(gate.status()).isEqualTo("nothing in flight");
      assertThat(gate.inFlightReport().unreadable()).isEmpty();
    }
  }

  @Test
  void batch_purged_while_its_marks_are_read_is_not_in_flight_nor_unreadable() {
    DamagedStore store = new DamagedStore();
    try (RecordTracker t = TestTrackers.flushingOnRequest(store, clock)) {
      BatchId gone = batch(t, "GONE", 100, 50);
      store.purgedWhileRead.add(gone);

      InFlightReport report = t.inFlightReport(Duration.ofMinutes(10));

      assertThat(report.batches()).isEmpty();
      assertThat(report.unreadable()).isEmpty();
      assertThat(report.isEmpty()).isTrue();
    }
  }

  @Test
  void store_going_away_after_the_listing_throws_rather_than_call_the_batches_unreadable() {
    DamagedStore store = new DamagedStore();
    try (RecordTracker t = TestTrackers.flushingOnRequest(store, clock)) {
      batch(t, "LIVE", 100, 50);
      store.down = true;
      MaintenanceGate gate = MaintenanceGate.builder(t).build();

      assertThatThrownBy(gate::inFlightReport)
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("database went away (test)");
      assertThatThrownBy(() -> gate.awaitQuiet(Duration.ZERO))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("database went away (test)");
    }
  }

  @Test
  void builder_rejects_bad_settings_naming_the_value() {
    assertThatThrownBy(() -> MaintenanceGate.builder(tracker).window(Duration.ofMinutes(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be positive: PT-1M");
    assertThatThrownBy(() -> MaintenanceGate.builder(tracker).pollInterval(Duration.ZERO))
        .hasMessage("pollInterval must be positive: PT0S");
    assertThatThrownBy(() -> gate().build().awaitQuiet(Duration.ofSeconds(-1)))
        .hasMessage("timeout must not be null or negative: PT-1S");
  }

  @Test
  void null_arguments_throw_null_pointer_exception_naming_them() {
    assertThatThrownBy(() -> MaintenanceGate.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tracker must not be null");
    assertThatThrownBy(() -> MaintenanceGate.builder(tracker).window(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("window must not be null");
    assertThatThrownBy(() -> MaintenanceGate.builder(tracker).pollInterval(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("pollInterval must not be null");
    assertThatThrownBy(() -> gate().build().awaitQuiet(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeout must not be null");
    assertThatThrownBy(() -> tracker.inFlight(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("window must not be null");
  }
}
