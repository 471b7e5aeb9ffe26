package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
    return MaintenanceGate.builder(tracker)
        .window(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(5))
        .sleeper(
            d -> {
              sleeps.add(d);
              clock.advance(d);
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
        MaintenanceGate.builder(tracker)
            .window(Duration.ofMinutes(10))
            .pollInterval(Duration.ofSeconds(5))
            .sleeper(
                d -> {
                  sleeps.add(d);
                  clock.advance(d);
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
}
