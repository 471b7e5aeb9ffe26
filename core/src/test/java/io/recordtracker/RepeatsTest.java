package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Records processed twice: what counts as a repeat, and what does not. */
class RepeatsTest {

  private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");

  private final FlakyStore store = new FlakyStore();
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

  private BatchId batchOf(int records) {
    BatchId id = BatchId.generate();
    tracker.openBatch(id, records);
    tracker.markSent(id, RecordRange.of(0, records - 1));
    return id;
  }

  @Test
  void a_record_processed_again_after_it_was_durable_is_a_repeat() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 99));
    tracker.flush();
    tracker.markProcessed(id, 42);
    tracker.markProcessed(id, RecordRange.of(90, 94));
    tracker.flush();

    Reconciliation r = tracker.reconcile(id);

    assertThat(r.isComplete()).isTrue();
    assertThat(r.repeated()).containsExactly(RecordRange.of(42, 42), RecordRange.of(90, 94));
    assertThat(r.repeatedCount()).isEqualTo(6);
    assertThat(Json.parseObject(r.toJson())).containsEntry("repeatsCounted", true);
    assertThat(r.toJson()).contains("\"repeated\":6").contains("\"repeated\":[[42,42],[90,94]]");
  }

  @Test
  void two_calls_before_a_flush_are_two_markings_one_call_listing_a_record_twice_is_one() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, new int[] {1, 1, 2, 3, 3, 3});
    tracker.markProcessed(id, 7);
    tracker.markProcessed(id, 7);
    tracker.markProcessed(id, RecordRange.of(10, 20));
    tracker.markProcessed(id, RecordRange.of(18, 25));
    tracker.markProcessed(id, new int[] {3, 50});

    // Seen before the flush, from this tracker's buffers, and after it, from the store.
    assertThat(tracker.reconcile(id).repeated())
        .containsExactly(RecordRange.of(3, 3), RecordRange.of(7, 7), RecordRange.of(18, 20));
    tracker.flush();
    assertThat(tracker.reconcile(id).repeated())
        .containsExactly(RecordRange.of(3, 3), RecordRange.of(7, 7), RecordRange.of(18, 20));
  }

  @Test
  void a_mark_not_yet_flushed_of_a_durable_record_is_a_repeat_at_once_in_its_tracker() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 9));
    tracker.flush();
    tracker.markProcessed(id, new int[] {4, 20});

    assertThat(tracker.reconcile(id).repeated()).containsExactly(RecordRange.of(4, 4));
    tracker.flush();
    assertThat(tracker.reconcile(id).repeated()).containsExactly(RecordRange.of(4, 4));
  }

  @Test
  void marks_put_back_by_a_failed_flush_are_no_repeat_before_the_retry_either() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 9));
    store.answersLost.set(1);
    assertThatThrownBy(tracker::flush).isInstanceOf(TrackerStoreException.class);

    assertThat(tracker.reconcile(id).repeated()).isEmpty();
    tracker.flush();
    assertThat(tracker.reconcile(id).repeated()).isEmpty();
  }

  @Test
  void two_threads_marking_one_record_before_a_flush_make_a_repeat() throws Exception {
    BatchId id = batchOf(100);
    CountDownLatch first = new CountDownLatch(1);
    Thread a =
        new Thread(
            () -> {
              tracker.markProcessed(id, new int[] {5, 6});
              first.countDown();
            });
    Thread b =
        new Thread(
            () -> {
              try {
                first.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              tracker.markProcessed(id, new int[] {6, 7});
            });
    a.start();
    b.start();
    a.join();
    b.join();
    tracker.flush();

    assertThat(tracker.reconcile(id).repeated()).containsExactly(RecordRange.of(6, 6));
  }

  @Test
  void a_flush_retried_after_its_commit_answer_was_lost_is_no_repeat() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 49));
    store.answersLost.set(1);
    assertThatThrownBy(tracker::flush).isInstanceOf(TrackerStoreException.class);
    // The marks were stored, the tracker cannot know: it merges them again, with newer ones.
    assertThat(store.delegate.load(id, Stage.PROCESSED).getCardinality()).isEqualTo(50);
    tracker.markProcessed(id, RecordRange.of(50, 59));
    tracker.flush();

    Reconciliation r = tracker.reconcile(id);
    assertThat(r.repeatedCount()).isZero();
    assertThat(r.missing()).containsExactly(RecordRange.of(60, 99));
  }

  @Test
  void a_record_marked_again_while_its_flush_was_in_doubt_is_still_a_repeat() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 49));
    store.answersLost.set(1);
    assertThatThrownBy(tracker::flush).isInstanceOf(TrackerStoreException.class);
    tracker.markProcessed(id, 10); // processed twice, whatever the store held
    tracker.flush();

    assertThat(tracker.reconcile(id).repeated()).containsExactly(RecordRange.of(10, 10));
  }

  @Test
  void sent_counts_no_repeats_and_a_custom_stage_counts_them_when_declared() {
    BatchId id = batchOf(10);
    tracker.markSent(id, RecordRange.of(0, 9)); // a resend: expected, never a repeat
    tracker.flush();
    Stage applied = Stage.countingRepeats("applied");
    Stage archived = Stage.of("archived");
    tracker.mark(id, applied, 1);
    tracker.mark(id, archived, 1);
    tracker.flush();
    tracker.mark(id, applied, 1);
    tracker.mark(id, archived, 1);
    tracker.flush();

    assertThat(tracker.reconcile(id, Stage.PROCESSED, Stage.SENT).repeated()).isEmpty();
    assertThat(tracker.reconcile(id, Stage.SENT, applied).repeated())
        .containsExactly(RecordRange.of(1, 1));
    Reconciliation notCounted = tracker.reconcile(id, Stage.SENT, archived);
    assertThat(notCounted.repeated()).isEmpty();
    assertThat(Json.parseObject(notCounted.toJson())).containsEntry("repeatsCounted", false);
    assertThat(Stage.of("processed").countsRepeats()).isTrue();
    assertThat(Stage.SENT.countsRepeats()).isFalse();
    assertThat(Stage.countingRepeats("Applied")).isEqualTo(Stage.of("applied"));
  }

  @Test
  void an_exact_resend_leaves_no_repeat_and_a_whole_file_resend_repeats_what_was_processed() {
    BatchId id = batchOf(100);
    tracker.markProcessed(id, RecordRange.of(0, 49));
    tracker.markProcessed(id, RecordRange.of(60, 99));
    tracker.flush();
    ResendPlan plan = tracker.reconcile(id).resendPlan();
    for (int record = 0; record < 100; record++) {
      if (plan.includes(record)) {
        tracker.markProcessed(id, record);
      }
    }
    tracker.flush();
    Reconciliation exact = tracker.reconcile(id);
    assertThat(exact.isComplete()).isTrue();
    assertThat(exact.repeatedCount()).isZero();

    BatchId whole = batchOf(100);
    tracker.markProcessed(whole, RecordRange.of(0, 49));
    tracker.markProcessed(whole, RecordRange.of(60, 99));
    tracker.flush();
    tracker.markProcessed(whole, RecordRange.of(0, 99)); // the postmortem's fix: resend it all
    tracker.flush();
    Reconciliation after = tracker.reconcile(whole);
    assertThat(after.isComplete()).isTrue();
    assertThat(after.repeated()).containsExactly(RecordRange.of(0, 49), RecordRange.of(60, 99));
    assertThat(after.repeatedCount()).isEqualTo(90);
  }

  @Test
  void repeats_beyond_a_seal_are_never_reported() {
    BatchId id = BatchId.generate();
    tracker.openBatch(id, Map.of());
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.markProcessed(id, RecordRange.of(0, 9));
    tracker.flush();
    tracker.markProcessed(id, 3);
    tracker.flush();
    tracker.seal(id, 10);

    assertThat(tracker.reconcile(id).repeated()).containsExactly(RecordRange.of(3, 3));
  }
}
