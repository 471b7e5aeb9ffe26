package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Abandoned batches: what {@link RecordTracker#abandon} accepts and stores, and that in-flight
 * reports, the gate, queries and purges leave them alone while their marks stay.
 */
class AbandonTest {

  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
  private final SettableClock clock = new SettableClock(T0);
  private final TrackerStore store = TrackerStore.inMemory();
  private final RecordTracker tracker = tracker();

  private RecordTracker tracker() {
    return RecordTracker.builder()
        .store(store)
        .clock(clock)
        .flushInterval(Duration.ofHours(1))
        .build();
  }

  @AfterEach
  void close() {
    tracker.close();
  }

  /** A batch of 1,000 records, all sent, 0-499 processed, flushed. */
  private BatchId halfProcessed(String name) {
    BatchId id = BatchId.of(name);
    tracker.openBatch(id, 1_000, Map.of("file", name + ".edi"));
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 499));
    tracker.flush();
    return id;
  }

  @Test
  void abandon_stores_the_time_and_reason_and_keeps_the_marks() {
    BatchId id = halfProcessed("TEST-FILE");
    clock.advance(Duration.ofMinutes(3));

    BatchInfo abandoned = tracker.abandon(id, "test file sent to production by mistake");

    assertThat(abandoned.isAbandoned()).isTrue();
    assertThat(abandoned.abandonedAt()).contains(T0.plus(Duration.ofMinutes(3)));
    assertThat(abandoned.abandonReason()).contains("test file sent to production by mistake");
    assertThat(tracker.batch(id)).contains(abandoned);
    Reconciliation r = tracker.reconcile(id);
    assertThat(r.missing()).containsExactly(RecordRange.of(500, 999));
    assertThat(r.absentUpstream()).isEmpty();
    assertThat(tracker.batch(id).orElseThrow().isComplete()).isFalse();
  }

  @Test
  void abandon_again_for_the_same_reason_is_a_no_op_and_for_another_reason_is_refused() {
    BatchId id = halfProcessed("TWICE");
    BatchInfo first = tracker.abandon(id, "cancelled send");
    clock.advance(Duration.ofMinutes(1));

    assertThat(tracker.abandon(id, "cancelled send")).isEqualTo(first);
    assertThatThrownBy(() -> tracker.abandon(id, "test file"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "batch TWICE was abandoned already at "
                + T0
                + " for another reason: \"cancelled send\"");
    assertThat(tracker.batch(id)).contains(first);
  }

  @Test
  void abandon_refuses_a_bad_reason_an_unknown_batch_and_a_complete_batch() {
    BatchId id = halfProcessed("REASONS");

    assertThatThrownBy(() -> tracker.abandon(id, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("reason must not be null");
    assertThatThrownBy(() -> tracker.abandon(null, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("batch id must not be null");
    assertThatThrownBy(() -> tracker.abandon(id, " \t "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reason must not be blank: say why the batch will never complete");
    assertThatThrownBy(() -> tracker.abandon(id, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reason must not be blank: say why the batch will never complete");
    assertThatThrownBy(() -> tracker.abandon(id, "x".repeat(501)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reason must be at most 500 characters: 501");
    assertThatThrownBy(() -> tracker.abandon(id, "two\nlines"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reason must be one line without control characters: U+000A at index 3");
    assertThatThrownBy(() -> tracker.abandon(id, "bad \uD800 half"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("reason holds an unpaired UTF-16 surrogate at index 4");
    assertThat(tracker.batch(id).orElseThrow().isAbandoned()).isFalse();
    assertThat(tracker.abandon(id, "x".repeat(500)).abandonReason()).contains("x".repeat(500));

    assertThatThrownBy(() -> tracker.abandon(BatchId.of("NEVER-OPENED"), "typo"))
        .isInstanceOf(UnknownBatchException.class)
        .hasMessageContaining("unknown batch NEVER-OPENED");

    BatchId done = BatchId.of("DONE");
    tracker.openBatch(done, 2);
    tracker.markSent(done, RecordRange.of(0, 1));
    tracker.markProcessed(done, RecordRange.of(0, 1));
    tracker.flush();
    assertThat(tracker.reconcile(done).isComplete()).isTrue(); // records the completion
    assertThatThrownBy(() -> tracker.abandon(done, "too late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "batch DONE is complete (seen complete at " + T0 + "): there is nothing to abandon");
  }

  @Test
  void an_abandoned_batch_is_not_in_flight_and_the_gate_opens() throws Exception {
    BatchId id = halfProcessed("IN-FLIGHT");
    assertThat(tracker.inFlight(Duration.ofMinutes(10)))
        .extracting(BatchInfo::id)
        .containsExactly(id);
    List<Duration> sleeps = new CopyOnWriteArrayList<>();
    MaintenanceGate gate =
        MaintenanceGate.builder(tracker)
            .window(Duration.ofMinutes(10))
            .pollInterval(Duration.ofSeconds(5))
            .sleeper(
                d -> {
                  sleeps.add(d);
                  clock.advance(d);
                  if (sleeps.size() == 2) {
                    tracker.abandon(id, "cancelled send");
                  }
                })
            .build();

    assertThat(gate.awaitQuiet(Duration.ofMinutes(1))).isTrue();

    assertThat(sleeps).containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(5));
    assertThat(tracker.inFlight(Duration.ofMinutes(10))).isEmpty();
    assertThat(tracker.inFlightReport(Duration.ofMinutes(10)).unreadable()).isEmpty();
  }

  @Test
  void a_batch_abandoned_by_another_tracker_is_not_in_flight_here_despite_unflushed_marks() {
    BatchId id = halfProcessed("ELSEWHERE");
    clock.advance(Duration.ofMinutes(20)); // outside the window in the store
    tracker.markProcessed(id, 500); // unflushed here
    assertThat(tracker.inFlight(Duration.ofMinutes(10)))
        .extracting(BatchInfo::id)
        .containsExactly(id);

    try (RecordTracker other = tracker()) {
      other.abandon(id, "cancelled send");
    }

    assertThat(tracker.inFlight(Duration.ofMinutes(10))).isEmpty();
  }

  @Test
  void abandoned_batches_are_left_out_of_incomplete_queries() {
    BatchId open = halfProcessed("STILL-OPEN");
    BatchId abandoned = halfProcessed("ABANDONED");
    tracker.abandon(abandoned, "test file");

    assertThat(tracker.batches(BatchQuery.builder().incompleteOnly().build()))
        .extracting(BatchInfo::id)
        .containsExactly(open);
    assertThat(
            tracker.batches(
                BatchQuery.builder().completion(BatchQuery.Completion.ABANDONED).build()))
        .extracting(BatchInfo::id)
        .containsExactly(abandoned);
  }

  @Test
  void purge_deletes_abandoned_and_complete_batches_by_default_and_any_batch_by_id() {
    BatchId open = halfProcessed("OPEN");
    BatchId abandoned = halfProcessed("GIVEN-UP");
    BatchId complete = BatchId.of("COMPLETE");
    tracker.openBatch(complete, 1);
    tracker.markSent(complete, 0);
    tracker.markProcessed(complete, 0);
    tracker.flush();
    assertThat(tracker.reconcile(complete).isComplete()).isTrue(); // records the completion
    tracker.abandon(abandoned, "cancelled send");

    assertThat(tracker.purge(BatchQuery.all())).isEqualTo(2);
    assertThat(tracker.batch(abandoned)).isEmpty();
    assertThat(tracker.batch(complete)).isEmpty();
    assertThat(tracker.batch(open)).isPresent();

    assertThat(tracker.purge(open)).isTrue();
    assertThat(tracker.batch(open)).isEmpty();
    assertThat(tracker.purge(open)).isFalse();
    assertThatThrownBy(() -> tracker.reconcile(open)).isInstanceOf(UnknownBatchException.class);
    assertThatThrownBy(() -> tracker.purge((BatchId) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("batch id must not be null");
  }
}
