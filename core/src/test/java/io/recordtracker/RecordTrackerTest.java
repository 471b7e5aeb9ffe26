package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.ForwardingTrackerStore;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

class RecordTrackerTest {

  private static final Instant T0 = Instant.parse("2026-11-25T09:00:00Z");

  private final SettableClock clock = new SettableClock(T0);
  private final FlakyStore store = new FlakyStore();
  private final RecordTracker tracker =
      RecordTracker.builder().store(store).clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final BatchId id = BatchId.of("edi-customers-2019-06-07");

  @AfterEach
  void close() {
    store.down = false;
    tracker.close();
  }

  // Builder ---------------------------------------------------------------------------------------

  @Test
  void builder_rejects_each_bad_value_naming_it() {
    RecordTracker.Builder b = RecordTracker.builder();
    // Null is a NullPointerException naming the setting, a bad value an IllegalArgumentException.
    assertThatThrownBy(() -> b.store(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("store must not be null");
    assertThatThrownBy(() -> b.clock(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("clock must not be null");
    assertThatThrownBy(() -> b.flushInterval(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("flushInterval must not be null");
    assertThatThrownBy(() -> b.flushInterval(Duration.ZERO))
        .hasMessage("flushInterval must be positive: PT0S");
    assertThatThrownBy(() -> b.flushInterval(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("flushInterval must be positive: PT-1S");
    assertThatThrownBy(() -> b.flushThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("flushThreshold must be positive: 0");
    assertThatThrownBy(() -> b.flushThreshold(-5))
        .hasMessage("flushThreshold must be positive: -5");
    assertThatThrownBy(() -> b.maxBufferedRecords(0))
        .hasMessage("maxBufferedRecords must be positive: 0");
    assertThatThrownBy(
            () -> RecordTracker.builder().maxBufferedRecords(10).flushThreshold(11).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flushThreshold (11)");
  }

  // Batches ---------------------------------------------------------------------------------------

  @Test
  void open_batch_stamps_clock_and_attributes_and_is_visible_in_the_store_at_once() {
    BatchInfo info = tracker.openBatch(id, 486_000, Map.of("file", "customers.edi"));
    assertThat(info.id()).isEqualTo(id);
    assertThat(info.expectedRecords()).isEqualTo(486_000);
    assertThat(info.openedAt()).isEqualTo(T0);
    assertThat(info.attributes()).containsExactly(Map.entry("file", "customers.edi"));
    assertThat(store.delegate.findBatch(id)).contains(info);
    assertThat(tracker.batch(id)).contains(info);
  }

  @Test
  void open_batch_again_with_same_count_returns_existing() {
    BatchInfo first = tracker.openBatch(id, 10, Map.of("file", "a"));
    clock.advance(Duration.ofMinutes(1));
    assertThat(tracker.openBatch(id, 10)).isEqualTo(first);
  }

  @Test
  void open_batch_with_other_count_conflicts() {
    tracker.openBatch(id, 10);
    assertThatThrownBy(() -> tracker.openBatch(id, 11))
        .isInstanceOf(BatchConflictException.class)
        .hasMessageContaining("10")
        .hasMessageContaining("11");
    assertThat(tracker.batch(id).orElseThrow().expectedRecords()).isEqualTo(10);
  }

  @Test
  void open_batch_rejects_negative_count_and_stores_nothing() {
    assertThatThrownBy(() -> tracker.openBatch(id, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThat(tracker.batch(id)).isEmpty();
    assertThatThrownBy(() -> tracker.openBatch(null, 1)).isInstanceOf(NullPointerException.class);
  }

  // Marks -----------------------------------------------------------------------------------------

  @Test
  void the_incident_shows_as_one_missing_range() {
    tracker.openBatch(id, 4_000_000);
    tracker.markSent(id, RecordRange.of(0, 3_999_999));
    tracker.markProcessed(id, RecordRange.of(0, 2_999_999));
    tracker.markProcessed(id, RecordRange.of(3_486_000, 3_999_999));

    Reconciliation r = tracker.reconcile(id);

    assertThat(r.missing()).containsExactly(RecordRange.of(3_000_000, 3_485_999));
    assertThat(r.missingCount()).isEqualTo(486_000);
    assertThat(r.absentUpstream()).isEmpty();
    assertThat(r.unexpected()).isEmpty();
    assertThat(r.isComplete()).isFalse();
    assertThat(r.upstream()).isEqualTo(Stage.SENT);
    assertThat(r.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(r.expectedRecords()).isEqualTo(4_000_000);
  }

  @Test
  void three_mark_shapes_and_shortcuts_agree() {
    tracker.openBatch(id, 100);
    tracker.markSent(id, 5);
    tracker.markSent(id, RecordRange.of(10, 19));
    tracker.markSent(id, new int[] {30, 21, 20, 30, 99});
    tracker.markProcessed(id, 5);
    tracker.markProcessed(id, RecordRange.of(12, 13));
    tracker.markProcessed(id, new int[] {99, 50});

    Reconciliation r = tracker.reconcile(id);

    assertThat(r.missing())
        .containsExactly(RecordRange.of(10, 11), RecordRange.of(14, 21), RecordRange.of(30, 30));
    assertThat(r.unexpected()).containsExactly(RecordRange.single(50));
    assertThat(r.absentUpstream())
        .containsExactly(
            RecordRange.of(0, 4),
            RecordRange.of(6, 9),
            RecordRange.of(22, 29),
            RecordRange.of(31, 98));
    assertThat(r.missingCount()).isEqualTo(11);
    assertThat(r.unexpectedCount()).isEqualTo(1);
    assertThat(r.absentUpstreamCount()).isEqualTo(5 + 4 + 8 + 68);
  }

  @Test
  void mark_outside_the_batch_is_rejected_and_applies_nothing() {
    tracker.openBatch(id, 100);
    assertThatThrownBy(() -> tracker.markSent(id, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 100 is outside batch " + id)
        .hasMessageContaining("0..99");
    assertThatThrownBy(() -> tracker.markSent(id, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tracker.markSent(id, RecordRange.of(90, 100)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 100");
    assertThatThrownBy(() -> tracker.markSent(id, new int[] {1, 2, 3, 100, 4}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 100");
    assertThatThrownBy(() -> tracker.markSent(id, new int[] {1, -7}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record -7");

    Reconciliation r = tracker.reconcile(id);
    assertThat(r.absentUpstream()).containsExactly(RecordRange.of(0, 99));
    assertThat(tracker.stats().bufferedRecords()).isZero();
  }

  @Test
  void empty_batch_accepts_no_marks_and_is_complete() {
    tracker.openBatch(id, 0);
    assertThatThrownBy(() -> tracker.markSent(id, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 expected");
    tracker.markSent(id, new int[0]);
    assertThat(tracker.reconcile(id).isComplete()).isTrue();
  }

  @Test
  void null_arguments_are_rejected() {
    tracker.openBatch(id, 10);
    assertThatThrownBy(() -> tracker.mark(null, Stage.SENT, 1))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> tracker.mark(id, null, 1)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> tracker.mark(id, Stage.SENT, (RecordRange) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> tracker.mark(id, Stage.SENT, (int[]) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void unknown_batch_is_reported_on_mark_and_reconcile() {
    BatchId unknown = BatchId.of("never-opened");
    assertThatThrownBy(() -> tracker.markSent(unknown, 1))
        .isInstanceOf(UnknownBatchException.class)
        .hasMessageContaining("never-opened");
    assertThatThrownBy(() -> tracker.markProcessed(unknown, RecordRange.of(1, 2)))
        .isInstanceOf(UnknownBatchException.class);
    assertThatThrownBy(() -> tracker.reconcile(unknown))
        .isInstanceOf(UnknownBatchException.class)
        .satisfies(e -> assertThat(((UnknownBatchException) e).batch()).isEqualTo(unknown));
  }

  @Test
  void a_second_tracker_marks_a_batch_it_did_not_open() {
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.flush();
    try (RecordTracker cis =
        RecordTracker.builder()
            .store(new ForwardingTrackerStore(store))
            .flushInterval(Duration.ofHours(1))
            .build()) {
      cis.markProcessed(id, RecordRange.of(0, 499));
      assertThatThrownBy(() -> cis.markProcessed(id, 1_000))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(cis.reconcile(id).missing()).containsExactly(RecordRange.of(500, 999));
      // Not flushed yet: the first tracker does not see the second one's marks.
      assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(0, 999));
      cis.flush();
      assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(500, 999));
    }
  }

  @Test
  void custom_stage_shows_the_hop_where_records_disappear() {
    Stage received = Stage.of("received");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.mark(id, received, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 799));

    assertThat(tracker.reconcile(id, Stage.SENT, received).isComplete()).isTrue();
    assertThat(tracker.reconcile(id, received, Stage.PROCESSED).missing())
        .containsExactly(RecordRange.of(800, 999));
  }

  // Flush and failures ----------------------------------------------------------------------------

  @Test
  void flush_makes_marks_durable_and_reconcile_sees_unflushed_marks() {
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 9));
    assertThat(store.delegate.load(id, Stage.SENT).isEmpty()).isTrue();
    assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(0, 9));

    tracker.flush();

    assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(rangeBitmap(0, 10));
    assertThat(tracker.stats().bufferedRecords()).isZero();
    assertThat(tracker.stats().flushedRecords()).isEqualTo(Map.of(Stage.SENT, 10L));
    assertThat(store.delegate.findBatch(id).orElseThrow().lastMarkedAt(Stage.SENT)).contains(T0);
  }

  @Test
  void failed_flush_throws_and_keeps_every_mark_for_the_next_try() {
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 49));
    store.down = true;

    assertThatThrownBy(tracker::flush)
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("store is down");
    tracker.markSent(id, RecordRange.of(40, 59)); // overlaps the failed delta
    assertThat(tracker.stats().bufferedRecords()).isEqualTo(60);
    assertThat(tracker.stats().storeHealthy()).isFalse();
    assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(0, 59));

    store.down = false;
    tracker.flush();

    assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(rangeBitmap(0, 60));
    assertThat(tracker.stats().bufferedRecords()).isZero();
    assertThat(tracker.stats().storeHealthy()).isTrue();
    assertThat(tracker.stats().flushFailures()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void background_flusher_retries_until_the_store_is_back() throws Exception {
    try (RecordTracker fast =
        RecordTracker.builder().store(store).flushInterval(Duration.ofMillis(20)).build()) {
      fast.openBatch(id, 1_000);
      store.down = true;
      for (int i = 0; i < 1_000; i++) {
        fast.markSent(id, i); // never throws, never blocks, while the store is down
      }
      waitUntil(() -> store.failedMerges.get() >= 2);
      assertThat(store.delegate.load(id, Stage.SENT).isEmpty()).isTrue();
      store.down = false;
      waitUntil(() -> fast.stats().bufferedRecords() == 0);
      assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(rangeBitmap(0, 1_000));
    }
  }

  @Test
  void mark_blocks_at_the_buffer_bound_and_resumes_when_the_store_takes_the_marks()
      throws Exception {
    try (RecordTracker bounded =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(20))
            .flushThreshold(50)
            .maxBufferedRecords(100)
            .build()) {
      bounded.openBatch(id, 1_000);
      store.down = true;
      bounded.markSent(id, RecordRange.of(0, 99)); // reaches the bound
      CompletableFuture<Void> blocked =
          CompletableFuture.runAsync(() -> bounded.markSent(id, RecordRange.of(100, 199)));
      Thread.sleep(300);
      assertThat(blocked).isNotDone();
      assertThat(bounded.stats().bufferedRecords()).isEqualTo(100);

      store.down = false;
      blocked.get(10, TimeUnit.SECONDS);
      bounded.flush();
      assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(rangeBitmap(0, 200));
    }
  }

  @Test
  void flush_threshold_triggers_a_background_flush_before_the_interval() throws Exception {
    try (RecordTracker t =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofHours(1))
            .flushThreshold(100)
            .build()) {
      t.openBatch(id, 1_000);
      t.markSent(id, RecordRange.of(0, 99));
      waitUntil(() -> !store.delegate.load(id, Stage.SENT).isEmpty());
      assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(rangeBitmap(0, 100));
    }
  }

  @Test
  void close_flushes_and_a_closed_tracker_rejects_calls() {
    RecordTracker t = RecordTracker.builder().store(new ForwardingTrackerStore(store)).build();
    t.openBatch(id, 10);
    t.markSent(id, 3);
    t.close();
    t.close(); // idempotent
    assertThat(store.delegate.load(id, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(3));
    assertThatThrownBy(() -> t.markSent(id, 4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> t.reconcile(id)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(t::flush).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> t.openBatch(id, 10)).isInstanceOf(IllegalStateException.class);
  }

  // Completion, queries, purge, in-flight ---------------------------------------------------------

  @Test
  void complete_batch_records_its_completion_once_its_marks_are_durable() {
    tracker.openBatch(id, 10);
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.markProcessed(id, RecordRange.of(0, 9));
    clock.advance(Duration.ofMinutes(3));
    assertThat(tracker.reconcile(id).isComplete()).isTrue();
    assertThat(tracker.batch(id).orElseThrow().completedAt()).isEmpty(); // marks not durable yet

    tracker.flush();
    assertThat(tracker.reconcile(id).isComplete()).isTrue();
    assertThat(tracker.batch(id).orElseThrow().completedAt())
        .contains(T0.plus(Duration.ofMinutes(3)));
  }

  @Test
  void a_completion_the_store_cannot_record_now_is_recorded_by_a_later_reconcile() {
    AtomicInteger tries = new AtomicInteger();
    ForwardingTrackerStore locked =
        new ForwardingTrackerStore(store) {
          @Override
          public boolean tryRecordCompletion(BatchId batch, Instant at) {
            // The first try finds the batch locked by another transaction.
            return tries.incrementAndGet() > 1 && super.tryRecordCompletion(batch, at);
          }
        };
    try (RecordTracker t = RecordTracker.builder().store(locked).clock(clock).build()) {
      t.openBatch(id, 10);
      t.markSent(id, RecordRange.of(0, 9));
      t.markProcessed(id, RecordRange.of(0, 9));
      t.flush();

      Reconciliation first = t.reconcile(id); // does not fail
      assertThat(first.isComplete()).isTrue();
      assertThat(first.missing()).isEmpty();
      assertThat(tries.get()).isEqualTo(1);
      assertThat(t.batch(id).orElseThrow().completedAt()).isEmpty();

      clock.advance(Duration.ofMinutes(1));
      assertThat(t.reconcile(id).isComplete()).isTrue();
      assertThat(tries.get()).isEqualTo(2);
      assertThat(t.batch(id).orElseThrow().completedAt()).contains(T0.plus(Duration.ofMinutes(1)));

      t.reconcile(id); // recorded: not tried again
      assertThat(tries.get()).isEqualTo(2);
    }
  }

  @Test
  void purge_deletes_only_complete_batches_unless_told_otherwise() {
    BatchId done = BatchId.of("done");
    BatchId open = BatchId.of("open");
    tracker.openBatch(done, 1);
    tracker.openBatch(open, 1);
    tracker.markSent(done, 0);
    tracker.markProcessed(done, 0);
    tracker.markSent(open, 0);
    tracker.flush();
    tracker.reconcile(done);
    tracker.reconcile(open);

    assertThat(tracker.purge(BatchQuery.all())).isEqualTo(1);
    assertThat(tracker.batch(done)).isEmpty();
    assertThat(tracker.batch(open)).isPresent();
    assertThatThrownBy(() -> tracker.reconcile(done)).isInstanceOf(UnknownBatchException.class);

    assertThat(tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build()))
        .isEqualTo(1);
    assertThat(tracker.batch(open)).isEmpty();
  }

  @Test
  void in_flight_lists_recently_marked_incomplete_batches() {
    BatchId busy = BatchId.of("busy");
    BatchId done = BatchId.of("done");
    BatchId stale = BatchId.of("stale");
    for (BatchId b : List.of(busy, done, stale)) {
      tracker.openBatch(b, 10);
    }
    tracker.markSent(stale, RecordRange.of(0, 9));
    tracker.flush();
    clock.advance(Duration.ofHours(1));
    tracker.markSent(busy, RecordRange.of(0, 9));
    tracker.markProcessed(busy, RecordRange.of(0, 4));
    tracker.markSent(done, RecordRange.of(0, 9));
    tracker.markProcessed(done, RecordRange.of(0, 9));
    tracker.flush();

    assertThat(tracker.inFlight(Duration.ofMinutes(10)))
        .extracting(BatchInfo::id)
        .containsExactly(busy);
    assertThatThrownBy(() -> tracker.inFlight(Duration.ZERO))
        .hasMessage("window must be positive: PT0S");
  }

  // JSON ------------------------------------------------------------------------------------------

  @Test
  void json_report_has_the_documented_schema() throws Exception {
    tracker.openBatch(id, 10);
    tracker.markSent(id, RecordRange.of(0, 7));
    tracker.markProcessed(id, new int[] {0, 1, 5, 9});
    Reconciliation r = tracker.reconcile(id);

    String expected =
        "{\"schemaVersion\":1,\"batch\":\"edi-customers-2019-06-07\","
            + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
            + "\"expected\":10,\"sealed\":true,\"complete\":false,"
            + "\"counts\":{\"missing\":5,\"absentUpstream\":2,\"unexpected\":1,"
            + "\"repeated\":0},"
            + "\"ranges\":{\"missing\":[[2,4],[6,7]],\"absentUpstream\":[[8,9]],"
            + "\"unexpected\":[[9,9]],\"repeated\":[]},\"repeatsCounted\":true}";
    assertThat(r.toJson()).isEqualTo(expected);
    StringWriter out = new StringWriter();
    r.writeJson(out);
    assertThat(out).hasToString(expected);
    assertThat(r.toString())
        .isEqualTo(
            "Reconciliation{batch=edi-customers-2019-06-07, sent->processed, expected=10,"
                + " missing=5, absentUpstream=2, unexpected=1, missingRanges=[2-4, 6-7]}");
  }

  // Helpers ---------------------------------------------------------------------------------------

  private static RoaringBitmap rangeBitmap(long from, long toExclusive) {
    RoaringBitmap b = new RoaringBitmap();
    b.add(from, toExclusive);
    return b;
  }

  static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(10);
    }
  }
}
