package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/** Open now, seal later: a batch whose size is not known until its sender has sent it all. */
class UnsealedBatchTest {

  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");

  private final TrackerStore store = TrackerStore.inMemory();
  private final RecordTracker tracker =
      RecordTracker.builder()
          .store(store)
          .clock(new SettableClock(T0))
          .flushInterval(Duration.ofHours(1))
          .build();

  @AfterEach
  void close() {
    tracker.close();
  }

  @Test
  void
      a_streaming_sender_opens_sends_and_seals_and_the_batch_then_behaves_as_one_opened_with_the_count() {
    BatchId id = BatchId.of("STREAM-1");
    BatchInfo opened = tracker.openBatch(id, Map.of("file", "cursor.edi"));
    assertThat(opened.isSealed()).isFalse();
    assertThat(opened.expectedRecords()).isEqualTo(BatchInfo.UNSEALED_BOUND);

    tracker.markSent(id, RecordRange.of(0, 5_999));
    tracker.markSent(id, RecordRange.of(7_000, 9_999));
    tracker.markProcessed(id, RecordRange.of(0, 4_999));
    tracker.markProcessed(id, 12_000);
    Reconciliation streaming = tracker.reconcile(id);

    assertThat(streaming.isSealed()).isFalse();
    assertThat(streaming.expectedRecords()).isEqualTo(BatchInfo.UNSEALED_BOUND);
    assertThat(streaming.missing())
        .containsExactly(RecordRange.of(5_000, 5_999), RecordRange.of(7_000, 9_999));
    assertThat(streaming.unexpected()).containsExactly(RecordRange.of(12_000, 12_000));
    assertThat(streaming.absentUpstream()).isEmpty();
    assertThat(streaming.isComplete()).isFalse();
    assertThat(Json.parseObject(streaming.toJson()))
        .containsEntry("sealed", false)
        .containsEntry("expected", (long) Integer.MAX_VALUE)
        .containsEntry("complete", false);

    BatchInfo sealed = tracker.seal(id, 13_000);
    Reconciliation after = tracker.reconcile(id);

    assertThat(sealed.isSealed()).isTrue();
    assertThat(sealed.expectedRecords()).isEqualTo(13_000);
    assertThat(after.isSealed()).isTrue();
    assertThat(after.expectedRecords()).isEqualTo(13_000);
    assertThat(after.absentUpstream())
        .containsExactly(RecordRange.of(6_000, 6_999), RecordRange.of(10_000, 12_999));
    assertThat(Json.parseObject(after.toJson()))
        .containsEntry("sealed", true)
        .containsEntry("expected", 13_000L);
    assertThatThrownBy(() -> tracker.markSent(id, 13_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "record 13000 is outside batch STREAM-1, whose records are 0..12999 (13000 expected)");
  }

  @Test
  void an_unsealed_batch_takes_any_record_up_to_the_bound_and_is_never_recorded_complete() {
    BatchId id = BatchId.of("STREAM-2");
    tracker.openBatch(id);
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(0, 99));
    tracker.markSent(id, Integer.MAX_VALUE - 1);
    tracker.markProcessed(id, Integer.MAX_VALUE - 1);
    tracker.flush();

    Reconciliation r = tracker.reconcile(id);

    assertThat(r.missingCount()).isZero();
    assertThat(r.unexpectedCount()).isZero();
    assertThat(r.isComplete()).isFalse();
    assertThat(tracker.batch(id).orElseThrow().completedAt()).isEmpty();
    assertThatThrownBy(() -> tracker.markSent(id, Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "record 2147483647 is outside batch STREAM-2, which is unsealed: its records are"
                + " 0..2147483646");
    assertThatThrownBy(() -> tracker.markSent(id, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sealing_again_with_the_same_count_changes_nothing_and_with_another_count_conflicts() {
    BatchId id = BatchId.of("STREAM-3");
    tracker.openBatch(id);
    BatchInfo sealed = tracker.seal(id, 100);
    BatchId counted = BatchId.of("COUNTED");
    BatchInfo opened = tracker.openBatch(counted, 50);

    assertThat(tracker.seal(id, 100)).isEqualTo(sealed);
    assertThatThrownBy(() -> tracker.seal(id, 101))
        .isInstanceOf(BatchConflictException.class)
        .hasMessage(
            "batch STREAM-3 is already open with 100 expected records; cannot reopen or seal it"
                + " with 101");
    assertThat(tracker.seal(counted, 50)).isEqualTo(opened);
    assertThatThrownBy(() -> tracker.seal(counted, 49)).isInstanceOf(BatchConflictException.class);
    assertThat(tracker.batch(id)).contains(sealed);
  }

  @Test
  void
      opening_with_a_count_over_an_unsealed_batch_conflicts_and_opening_unsealed_again_returns_it() {
    BatchId id = BatchId.of("STREAM-4");
    BatchInfo opened = tracker.openBatch(id, Map.of("file", "a.edi"));

    assertThat(tracker.openBatch(id, Map.of("file", "b.edi"))).isEqualTo(opened);
    assertThatThrownBy(() -> tracker.openBatch(id, 10))
        .isInstanceOf(BatchConflictException.class)
        .hasMessage(
            "batch STREAM-4 is open unsealed, its size not known yet; cannot reopen it with 10"
                + " records (seal it instead)");
  }

  @Test
  void seal_below_a_buffered_mark_is_refused_naming_it_and_changes_nothing() {
    BatchId id = BatchId.of("STREAM-5");
    tracker.openBatch(id);
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.mark(id, Stage.of("acknowledged"), 57);

    assertThatThrownBy(() -> tracker.seal(id, 57))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot seal batch STREAM-5 with 57 records: record 57 is marked already, so it holds"
                + " at least 58");
    assertThat(store.findBatch(id).orElseThrow().isSealed()).isFalse();
    tracker.mark(id, Stage.of("acknowledged"), 500);
    assertThat(tracker.seal(id, 501).expectedRecords()).isEqualTo(501);
  }

  @Test
  void seal_below_a_durable_mark_is_refused_naming_it_and_changes_nothing() {
    BatchId id = BatchId.of("STREAM-6");
    tracker.openBatch(id);
    tracker.markProcessed(id, 700);
    tracker.flush();

    assertThatThrownBy(() -> tracker.seal(id, 700))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "cannot seal batch STREAM-6 with 700 records: record 700 is marked already, so it"
                + " holds at least 701");
    assertThat(store.findBatch(id).orElseThrow().isSealed()).isFalse();
    tracker.markProcessed(id, 800);
  }

  @Test
  void bad_input_to_seal_is_refused() {
    BatchId id = BatchId.of("STREAM-7");
    tracker.openBatch(id);

    assertThatThrownBy(() -> tracker.seal(BatchId.of("NEVER-OPENED"), 10))
        .isInstanceOf(UnknownBatchException.class);
    assertThatThrownBy(() -> tracker.seal(id, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("totalRecords must not be negative: -1");
    assertThatThrownBy(() -> tracker.seal(null, 10))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("batch id must not be null");
    assertThat(store.findBatch(id).orElseThrow().isSealed()).isFalse();
  }

  @Test
  void
      a_tracker_that_cached_the_batch_unsealed_sets_aside_exactly_its_marks_beyond_a_seal_made_elsewhere() {
    BatchId id = BatchId.of("STREAM-8");
    tracker.openBatch(id);
    tracker.markSent(id, RecordRange.of(0, 49));
    try (RecordTracker other =
        RecordTracker.builder().store(new ForwardingTrackerStore(store)).build()) {
      other.markSent(id, RecordRange.of(0, 59)); // caches the batch unsealed
      tracker.flush();
      tracker.seal(id, 50);

      other.markSent(id, RecordRange.of(60, 69)); // still unsealed as far as it knows
      other.markProcessed(id, RecordRange.of(10, 11));
      assertThatThrownBy(other::flush)
          .isInstanceOf(MarksRejectedException.class)
          .satisfies(
              e ->
                  assertThat(((MarksRejectedException) e).rejectedRecords())
                      .isEqualTo(Map.of(id, 20L)));
      assertThat(other.stats().rejectedRecords()).isEqualTo(Map.of(Stage.SENT, 20L));
      assertThatThrownBy(() -> other.markSent(id, 50)).isInstanceOf(IllegalArgumentException.class);
      other.flush();
    }
    Reconciliation r = tracker.reconcile(id);
    assertThat(r.missing()).containsExactly(RecordRange.of(0, 9), RecordRange.of(12, 49));
    assertThat(r.absentUpstream()).isEmpty();
    assertThat(store.load(id, Stage.SENT).last()).isEqualTo(49);
  }

  @Test
  void reconcile_teaches_a_tracker_a_seal_made_elsewhere() {
    BatchId id = BatchId.of("STREAM-9");
    tracker.openBatch(id);
    try (RecordTracker other =
        RecordTracker.builder().store(new ForwardingTrackerStore(store)).build()) {
      other.markSent(id, 5);
      other.flush();
      tracker.seal(id, 10);

      Reconciliation r = other.reconcile(id);

      assertThat(r.isSealed()).isTrue();
      assertThat(r.absentUpstream()).containsExactly(RecordRange.of(0, 4), RecordRange.of(6, 9));
      assertThatThrownBy(() -> other.markSent(id, 10))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("record 10 is outside batch STREAM-9, whose records are 0..9 (10 expected)");
    }
  }

  @Test
  void marks_of_the_live_incarnation_survive_a_flush_that_also_holds_marks_of_a_purged_one() {
    BatchId id = BatchId.of("STREAM-10");
    tracker.openBatch(id);
    tracker.markSent(id, 3); // buffered for the first incarnation
    try (RecordTracker other =
        RecordTracker.builder().store(new ForwardingTrackerStore(store)).build()) {
      assertThat(other.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build()))
          .isPositive();
      other.openBatch(id); // a second incarnation, unsealed
      tracker.reconcile(id); // this tracker now caches the second; the first's mark stays queued
      tracker.markSent(id, 5);
      tracker.markSent(id, 20);
      other.seal(id, 10); // 20 is beyond it, 5 is not

      // One drain holds 3 (first incarnation) and 5, 20 (second): 3 and 20 are set aside, 5 is
      // the live batch's and is stored, however many times the store names the batch.
      assertThatThrownBy(tracker::flush)
          .isInstanceOf(MarksRejectedException.class)
          .satisfies(
              e ->
                  assertThat(((MarksRejectedException) e).rejectedRecords())
                      .isEqualTo(Map.of(id, 2L)));
    }
    assertThat(store.load(id, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(5));
  }
}
