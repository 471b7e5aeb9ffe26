package io.recordtracker.monitor;

import static io.recordtracker.monitor.DiscrepancyEvent.Kind.GROWN;
import static io.recordtracker.monitor.DiscrepancyEvent.Kind.NEW;
import static io.recordtracker.monitor.DiscrepancyEvent.Kind.REMINDER;
import static io.recordtracker.monitor.DiscrepancyEvent.Kind.RESOLVED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.FlakyStore;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CompletenessMonitorTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private final SettableClock clock = new SettableClock(T0);
  private final FlakyStore store = new FlakyStore();
  private final RecordTracker tracker =
      RecordTracker.builder().store(store).clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  /** Asserts the kinds of the events the listener heard, exactly and in order. */
  private void assertEventKinds(DiscrepancyEvent.Kind... kinds) {
    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(kinds);
  }

  @AfterEach
  void close() {
    tracker.close();
  }

  private CompletenessMonitor.Builder monitor() {
    return CompletenessMonitor.builder(tracker).listener(events::add);
  }

  /** A batch of 10,000 records, all sent, all processed but 1000-1002 and 5000-5999. */
  private BatchId batchLosingRecords() {
    BatchId id = BatchId.of("B-1");
    tracker.openBatch(id, 10_000, Map.of("file", "customers.edi"));
    tracker.markSent(id, RecordRange.of(0, 9_999));
    tracker.markProcessed(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(1_003, 4_999));
    tracker.markProcessed(id, RecordRange.of(6_000, 9_999));
    tracker.flush();
    return id;
  }

  /**
   * A batch of 100 records, all sent and processed (complete if it could be read), whose marks fail
   * to load as a corrupt stored row does.
   */
  private BatchId corruptBatch(String name) {
    BatchId id = BatchId.of(name);
    tracker.openBatch(id, 100, Map.of("file", "corrupt.edi"));
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(0, 99));
    tracker.flush();
    store.unreadable.add(id);
    return id;
  }

  @Test
  void unreadable_batch_is_a_finding_of_its_own_and_the_others_are_still_reported() {
    BatchId lossy = batchLosingRecords();
    clock.advance(Duration.ofMinutes(1));
    BatchId corrupt = corruptBatch("B-2");
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));

    List<Finding> findings = m.runOnce();

    assertThat(findings)
        .extracting(Finding::kind, Finding::batchId)
        .containsExactly(
            tuple(Finding.Kind.UNREADABLE, corrupt), tuple(Finding.Kind.OVERDUE, lossy));
    Finding unreadable = findings.get(0);
    assertThat(unreadable.cause())
        .contains("stored marks of batch B-2, stage sent are corrupt (simulated)");
    assertThat(unreadable.upstream()).isEqualTo(Stage.SENT);
    assertThat(unreadable.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(unreadable.reconciliation().missing()).isEmpty();
    assertThat(unreadable.reconciliation().missingCount()).isZero();
    assertThat(unreadable.reconciliation().expectedRecords()).isEqualTo(100);
    assertThat(unreadable.overdueSince()).isEqualTo(T0.plus(Duration.ofMinutes(16)));
    assertThat(unreadable.batch().attributes()).containsExactly(Map.entry("file", "corrupt.edi"));
    Finding overdue = findings.get(1);
    assertThat(overdue.reconciliation().missing())
        .containsExactly(RecordRange.of(1_000, 1_002), RecordRange.of(5_000, 5_999));
    assertThat(overdue.cause()).isEmpty();
    assertThat(events)
        .extracting(e -> e.kind(), e -> e.finding())
        .containsExactly(
            tuple(DiscrepancyEvent.Kind.NEW, unreadable),
            tuple(DiscrepancyEvent.Kind.NEW, overdue));
    assertThat(m.lastFindings()).containsExactlyElementsOf(findings);
    assertThat(m.lastIncompleteBatches()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(1));
    assertThat(m.runOnce()).containsExactlyElementsOf(findings); // unchanged: not reported again
    assertThat(events).hasSize(2);
  }

  @Test
  void unreadable_finding_is_resolved_once_when_the_batch_can_be_read_again() {
    BatchId corrupt = corruptBatch("B-2");
    CompletenessMonitor m = monitor().renotifyAfter(Duration.ofMinutes(30)).build();
    clock.advance(Duration.ofMinutes(16));
    assertThat(m.runOnce()).extracting(Finding::kind).containsExactly(Finding.Kind.UNREADABLE);
    clock.advance(Duration.ofMinutes(30));
    assertThat(m.runOnce()).extracting(Finding::kind).containsExactly(Finding.Kind.UNREADABLE);

    store.unreadable.clear(); // the row was restored from a backup
    clock.advance(Duration.ofMinutes(1));

    assertThat(m.runOnce()).isEmpty();
    assertThat(events)
        .extracting(e -> e.kind(), e -> e.finding().kind(), e -> e.finding().batchId())
        .containsExactly(
            tuple(DiscrepancyEvent.Kind.NEW, Finding.Kind.UNREADABLE, corrupt),
            tuple(DiscrepancyEvent.Kind.REMINDER, Finding.Kind.UNREADABLE, corrupt),
            tuple(DiscrepancyEvent.Kind.RESOLVED, Finding.Kind.UNREADABLE, corrupt));
    assertThat(tracker.batch(corrupt).orElseThrow().isComplete()).isTrue();
    clock.advance(Duration.ofHours(5));
    m.runOnce();
    assertThat(events).hasSize(3);
  }

  @Test
  void unreadable_batch_that_is_purged_is_resolved() {
    BatchId corrupt = corruptBatch("B-2");
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();

    store.target().delete(List.of(corrupt));
    clock.advance(Duration.ofMinutes(1));

    assertThat(m.runOnce()).isEmpty();
    assertThat(events)
        .extracting(e -> e.kind(), e -> e.finding().kind())
        .containsExactly(
            tuple(DiscrepancyEvent.Kind.NEW, Finding.Kind.UNREADABLE),
            tuple(DiscrepancyEvent.Kind.RESOLVED, Finding.Kind.UNREADABLE));
    m.runOnce();
    assertThat(events).hasSize(2);
  }

  @Test
  void reported_overdue_finding_stays_open_while_its_batch_is_unreadable() {
    BatchId id = batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();

    // A write lands that leaves the marks unreadable (a corrupt row): the batch changed, so the
    // monitor reads it again (an unchanged batch is read again only once a reminder is due).
    clock.advance(Duration.ofMinutes(1));
    tracker.markSent(id, 0);
    tracker.flush();
    store.unreadable.add(id);
    assertThat(m.runOnce()).extracting(Finding::kind).containsExactly(Finding.Kind.UNREADABLE);

    store.unreadable.clear();
    // Readable again, and quiet for the grace since the write.
    clock.advance(Duration.ofMinutes(16));
    assertThat(m.runOnce()).extracting(Finding::kind).containsExactly(Finding.Kind.OVERDUE);

    // Neither resolved nor reported anew as overdue: nothing was known to change it.
    assertThat(events)
        .extracting(e -> e.kind(), e -> e.finding().kind())
        .containsExactly(
            tuple(DiscrepancyEvent.Kind.NEW, Finding.Kind.OVERDUE),
            tuple(DiscrepancyEvent.Kind.NEW, Finding.Kind.UNREADABLE),
            tuple(DiscrepancyEvent.Kind.RESOLVED, Finding.Kind.UNREADABLE));
  }

  @Test
  void store_going_away_mid_round_fails_the_round_rather_than_call_every_batch_unreadable() {
    batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    store.readsDown = true; // the listing still answers, nothing after it does

    assertThatThrownBy(m::runOnce)
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("database went away (simulated)");
    assertThat(events).isEmpty();

    store.readsDown = false;
    assertThat(m.runOnce()).extracting(Finding::kind).containsExactly(Finding.Kind.OVERDUE);
    assertEventKinds(NEW);
  }

  @Test
  void batch_within_grace_is_not_reported() {
    batchLosingRecords();
    CompletenessMonitor m = monitor().grace(Duration.ofMinutes(15)).build();
    clock.advance(Duration.ofMinutes(14).plusSeconds(59));

    assertThat(m.runOnce()).isEmpty();
    assertThat(events).isEmpty();
    assertThat(m.lastIncompleteBatches()).isEqualTo(1);
  }

  @Test
  void batch_missing_records_after_grace_is_reported_once_with_exact_ranges() {
    BatchId id = batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));

    List<Finding> findings = m.runOnce();

    assertThat(findings).hasSize(1);
    Finding f = findings.get(0);
    assertThat(f.kind()).isEqualTo(Finding.Kind.OVERDUE);
    assertThat(f.batchId()).isEqualTo(id);
    assertThat(f.upstream()).isEqualTo(Stage.SENT);
    assertThat(f.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(f.reconciliation().missing())
        .containsExactly(RecordRange.of(1_000, 1_002), RecordRange.of(5_000, 5_999));
    assertThat(f.reconciliation().missingCount()).isEqualTo(1_003);
    assertThat(f.overdueSince()).isEqualTo(T0.plus(Duration.ofMinutes(15)));
    assertThat(f.overdueFor(clock.instant())).isEqualTo(Duration.ofMinutes(1));
    assertThat(f.batch().attributes()).containsExactly(Map.entry("file", "customers.edi"));
    assertEventKinds(NEW);
    assertThat(events.get(0).finding()).isEqualTo(f);
    assertThat(m.lastFindings()).containsExactly(f);

    clock.advance(Duration.ofMinutes(1));
    assertThat(m.runOnce()).hasSize(1);
    assertThat(events).hasSize(1); // unchanged: not reported again
  }

  @Test
  void resend_resolves_the_finding_in_the_next_round() {
    BatchId id = batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();

    // The sender resends exactly the missing ranges; the processor commits them.
    tracker.markSent(id, RecordRange.of(1_000, 1_002));
    tracker.markSent(id, RecordRange.of(5_000, 5_999));
    tracker.markProcessed(id, RecordRange.of(1_000, 1_002));
    tracker.markProcessed(id, RecordRange.of(5_000, 5_999));
    tracker.flush();
    clock.advance(Duration.ofMinutes(1));

    assertThat(m.runOnce()).isEmpty();
    assertEventKinds(NEW, RESOLVED);
    DiscrepancyEvent resolved = events.get(1);
    assertThat(resolved.finding().reconciliation().missing())
        .containsExactly(RecordRange.of(1_000, 1_002), RecordRange.of(5_000, 5_999));
    assertThat(resolved.at()).isEqualTo(T0.plus(Duration.ofMinutes(17)));
    assertThat(tracker.batch(id).orElseThrow().isComplete()).isTrue();

    clock.advance(Duration.ofHours(5));
    m.runOnce();
    assertThat(events).hasSize(2); // resolved once, then forgotten
  }

  @Test
  void resend_in_progress_is_neither_reminded_nor_resolved_until_complete() {
    BatchId id = batchLosingRecords();
    CompletenessMonitor m = monitor().renotifyAfter(Duration.ofMinutes(30)).build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();

    tracker.markSent(id, RecordRange.of(1_000, 1_002)); // resent, not processed yet
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));
    assertThat(m.runOnce()).isEmpty(); // within grace of the resend
    assertThat(events).hasSize(1);

    tracker.markProcessed(id, RecordRange.of(1_000, 1_002));
    tracker.flush();
    clock.advance(Duration.ofMinutes(20));
    assertThat(m.runOnce())
        .singleElement()
        .satisfies(
            f ->
                assertThat(f.reconciliation().missing())
                    .containsExactly(RecordRange.of(5_000, 5_999)));
    // Fewer missing, and renotifyAfter passed since the NEW: a reminder with the current ranges.
    assertEventKinds(NEW, REMINDER);
  }

  @Test
  void more_missing_records_are_reported_as_grown() {
    BatchId id = BatchId.of("B-2");
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 49));
    tracker.markProcessed(id, RecordRange.of(0, 39));
    tracker.flush();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(20));
    m.runOnce();
    assertThat(events.get(0).finding().reconciliation().missing())
        .containsExactly(RecordRange.of(40, 49));
    assertThat(events.get(0).finding().reconciliation().absentUpstream())
        .containsExactly(RecordRange.of(50, 99));

    tracker.markSent(id, RecordRange.of(50, 99)); // the rest sent, never processed
    tracker.flush();
    clock.advance(Duration.ofMinutes(20));
    m.runOnce();

    assertEventKinds(NEW, GROWN);
    assertThat(events.get(1).finding().reconciliation().missing())
        .containsExactly(RecordRange.of(40, 99));
    assertThat(events.get(1).finding().reconciliation().absentUpstream()).isEmpty();
  }

  @Test
  void unchanged_finding_is_reported_again_after_renotify_after() {
    batchLosingRecords();
    CompletenessMonitor m = monitor().renotifyAfter(Duration.ofHours(1)).build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();
    clock.advance(Duration.ofMinutes(59));
    m.runOnce();
    assertThat(events).hasSize(1);

    clock.advance(Duration.ofMinutes(1));
    m.runOnce();

    assertEventKinds(NEW, REMINDER);
  }

  @Test
  void batch_open_past_deadline_with_nothing_sent_is_stalled() {
    BatchId id = BatchId.of("B-3");
    tracker.openBatch(id, 486_000);
    CompletenessMonitor m = monitor().deadline(Duration.ofMinutes(30)).build();
    clock.advance(Duration.ofMinutes(29));
    assertThat(m.runOnce()).isEmpty();

    clock.advance(Duration.ofMinutes(2));
    Finding f = m.runOnce().get(0);

    assertThat(f.kind()).isEqualTo(Finding.Kind.STALLED);
    assertThat(f.reconciliation().absentUpstream()).containsExactly(RecordRange.of(0, 485_999));
    assertThat(f.reconciliation().missingCount()).isZero();
    assertThat(f.overdueSince()).isEqualTo(T0.plus(Duration.ofMinutes(30)));
  }

  @Test
  void sender_stopping_midway_makes_the_batch_overdue_with_absent_ranges() {
    BatchId id = BatchId.of("B-4");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 599));
    tracker.markProcessed(id, RecordRange.of(0, 599));
    tracker.flush();
    clock.advance(Duration.ofMinutes(15));

    Finding f = monitor().build().runOnce().get(0);

    assertThat(f.kind()).isEqualTo(Finding.Kind.OVERDUE);
    assertThat(f.reconciliation().missing()).isEmpty();
    assertThat(f.reconciliation().absentUpstream()).containsExactly(RecordRange.of(600, 999));
  }

  @Test
  void watched_custom_stage_pair_reports_where_records_disappeared() {
    Stage received = Stage.of("received");
    BatchId id = BatchId.of("B-5");
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.mark(id, received, RecordRange.of(0, 89));
    tracker.markProcessed(id, RecordRange.of(0, 79));
    tracker.flush();
    clock.advance(Duration.ofMinutes(16));

    List<Finding> findings =
        monitor().watch(Stage.SENT, received).watch(received, Stage.PROCESSED).build().runOnce();

    assertThat(findings).hasSize(2);
    assertThat(findings.get(0).upstream()).isEqualTo(Stage.SENT);
    assertThat(findings.get(0).reconciliation().missing()).containsExactly(RecordRange.of(90, 99));
    assertThat(findings.get(1).upstream()).isEqualTo(received);
    assertThat(findings.get(1).reconciliation().missing()).containsExactly(RecordRange.of(80, 89));
  }

  @Test
  void pages_through_more_incomplete_batches_than_one_page() {
    int batches = CompletenessMonitor.PAGE_SIZE * 2 + 1;
    for (int i = 0; i < batches; i++) {
      BatchId id = BatchId.of("P-" + i);
      tracker.openBatch(id, 10);
      tracker.markSent(id, RecordRange.of(0, 9));
      tracker.markProcessed(id, RecordRange.of(0, 6));
      if (i % 3 == 0) {
        tracker.markProcessed(id, RecordRange.of(7, 9)); // complete: leaves the incomplete list
      }
    }
    tracker.flush();
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor m = monitor().build();
    store.queries.clear();

    List<Finding> findings = m.runOnce();

    int incomplete = batches - (batches + 2) / 3;
    assertThat(findings).hasSize(incomplete);
    assertThat(findings)
        .allSatisfy(
            f -> assertThat(f.reconciliation().missing()).containsExactly(RecordRange.of(7, 9)));
    assertThat(findings.stream().map(Finding::batchId).distinct().count()).isEqualTo(incomplete);
    assertThat(store.queries)
        .isNotEmpty()
        .allSatisfy(
            q -> {
              assertThat(q.limit()).isEqualTo(CompletenessMonitor.PAGE_SIZE);
              assertThat(q.completion()).isEqualTo(BatchQuery.Completion.INCOMPLETE);
            });
    // Every batch seen complete was recorded so; the next round lists only the incomplete ones.
    assertThat(m.lastIncompleteBatches()).isEqualTo(batches);
    m.runOnce();
    assertThat(m.lastIncompleteBatches()).isEqualTo(incomplete);
  }

  @Test
  void failing_listener_gets_the_event_again_next_round_and_does_not_hold_back_others() {
    batchLosingRecords();
    AtomicInteger calls = new AtomicInteger();
    DiscrepancyListener flaky =
        e -> {
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("chat is down");
          }
        };
    List<DiscrepancyEvent> flakyGot = new CopyOnWriteArrayList<>();
    CompletenessMonitor m =
        CompletenessMonitor.builder(tracker)
            .listener(
                e -> {
                  flaky.onEvent(e);
                  flakyGot.add(e);
                })
            .listener(events::add)
            .build();
    clock.advance(Duration.ofMinutes(16));

    assertThat(m.runOnce()).hasSize(1);
    assertThat(flakyGot).isEmpty();
    assertEventKinds(NEW);

    clock.advance(Duration.ofMinutes(1));
    m.runOnce();
    assertThat(flakyGot)
        .extracting(DiscrepancyEvent::kind)
        .containsExactly(DiscrepancyEvent.Kind.NEW);
    assertThat(events).hasSize(1);
  }

  @Test
  void failing_store_fails_the_round_and_the_next_round_reports() {
    batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    store.failNextListings.set(1);

    assertThatThrownBy(m::runOnce)
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("database unreachable");
    assertThat(events).isEmpty();

    assertThat(m.runOnce()).hasSize(1);
    assertEventKinds(NEW);
  }

  @Test
  void scheduled_rounds_survive_store_and_listener_failures() throws Exception {
    batchLosingRecords();
    clock.advance(Duration.ofMinutes(16));
    store.failNextListings.set(2);
    CountDownLatch delivered = new CountDownLatch(1);
    AtomicInteger listenerCalls = new AtomicInteger();
    CompletenessMonitor m =
        CompletenessMonitor.builder(tracker)
            .listener(
                e -> {
                  if (listenerCalls.incrementAndGet() == 1) {
                    throw new IllegalStateException("listener fails once");
                  }
                  events.add(e);
                  delivered.countDown();
                })
            .build();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      ScheduledFuture<?> running = m.start(scheduler, Duration.ofMillis(5));

      assertThat(delivered.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(running.isDone()).isFalse(); // no failure cancelled the schedule
      running.cancel(false);
    } finally {
      scheduler.shutdownNow();
    }
    assertThat(store.failNextListings.get()).isZero();
    assertThat(listenerCalls.get()).isEqualTo(2);
    assertEventKinds(NEW);
  }

  @Test
  void scheduled_round_swallows_even_an_error() {
    batchLosingRecords();
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor m =
        CompletenessMonitor.builder(tracker)
            .listener(
                e -> {
                  throw new AssertionError("a listener bug");
                })
            .build();

    m.runScheduled(); // must not throw
    m.runScheduled();
  }

  @Test
  void purged_batch_with_open_finding_is_forgotten_without_resolution() {
    BatchId id = batchLosingRecords();
    CompletenessMonitor m = monitor().build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();

    assertThat(
            tracker.purge(
                BatchQuery.builder().completion(BatchQuery.Completion.INCOMPLETE).build()))
        .isEqualTo(1);
    assertThat(tracker.batch(id)).isEmpty();
    m.runOnce();

    assertEventKinds(NEW);
    assertThat(m.lastFindings()).isEmpty();
  }

  @Test
  void builder_rejects_bad_settings_naming_the_value() {
    CompletenessMonitor.Builder b = CompletenessMonitor.builder(tracker);
    assertThatThrownBy(() -> b.grace(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("grace must be positive: PT-1S");
    assertThatThrownBy(() -> b.deadline(Duration.ZERO))
        .hasMessage("deadline must be positive: PT0S");
    assertThatThrownBy(() -> b.renotifyAfter(null)).hasMessage("renotifyAfter must not be null");
    assertThatThrownBy(() -> b.watch(Stage.SENT, Stage.SENT))
        .hasMessage("upstream and downstream must differ: sent -> sent");
    b.watch(Stage.SENT, Stage.PROCESSED);
    assertThatThrownBy(() -> b.watch(Stage.SENT, Stage.PROCESSED))
        .hasMessage("stage pair watched twice: sent->processed");
    assertThatThrownBy(() -> b.listener(null)).hasMessage("listener must not be null");
    assertThatThrownBy(() -> CompletenessMonitor.builder(null))
        .hasMessage("tracker must not be null");
    assertThatThrownBy(() -> b.build().start(null, Duration.ofMinutes(1)))
        .hasMessage("scheduler must not be null");
  }

  @Test
  void a_watched_custom_stage_no_batch_reached_yet_reports_every_record_missing_not_a_typo() {
    Stage received = Stage.of("received-by-cis");
    BatchId id = BatchId.of("LOST-ALL");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.flush();
    clock.advance(Duration.ofMinutes(30));

    List<Finding> findings = monitor().watch(Stage.SENT, received).build().runOnce();

    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).reconciliation().missing()).containsExactly(RecordRange.of(0, 999));
    assertEventKinds(DiscrepancyEvent.Kind.NEW);
  }
}
