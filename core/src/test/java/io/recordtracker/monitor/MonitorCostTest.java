package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.StageMarks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A monitor round costs one paged listing plus one reconcile per batch that changed. */
class MonitorCostTest {

  private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");

  /** Counts the marks reads (one per reconcile) by batch, and the batch listings. */
  static final class CountingStore extends ForwardingTrackerStore {
    final Map<BatchId, AtomicInteger> reads = new ConcurrentHashMap<>();
    final AtomicInteger listings = new AtomicInteger();
    volatile boolean completionsHeld;

    @Override
    public Optional<StageMarks> read(BatchId batch, Set<Stage> stages) {
      reads.computeIfAbsent(batch, b -> new AtomicInteger()).incrementAndGet();
      return target().read(batch, stages);
    }

    @Override
    public List<io.recordtracker.BatchInfo> batches(BatchQuery query) {
      listings.incrementAndGet();
      return super.batches(query);
    }

    @Override
    public boolean tryRecordCompletion(BatchId batch, Instant at) {
      // As a caller's open transaction holding the batch row makes a JDBC store answer.
      return !completionsHeld && super.tryRecordCompletion(batch, at);
    }

    /** The batches read since the last call, with how many times each. */
    Map<String, Integer> takeReads() {
      Map<String, Integer> taken = new TreeMap<>();
      reads.forEach((b, n) -> taken.put(b.value(), n.get()));
      reads.clear();
      return taken;
    }
  }

  private final SettableClock clock = new SettableClock(T0);
  private final CountingStore store = new CountingStore();
  private final RecordTracker tracker =
      RecordTracker.builder().store(store).clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    tracker.close();
  }

  private CompletenessMonitor monitor() {
    return CompletenessMonitor.builder(tracker).listener(events::add).build();
  }

  /** Opens {@code n} batches of 100 records, all sent, 0..89 processed: 90-99 missing. */
  private List<BatchId> lossyBatches(int n) {
    List<BatchId> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BatchId id = BatchId.of(String.format("LOSSY-%03d", i));
      tracker.openBatch(id, 100);
      tracker.markSent(id, RecordRange.of(0, 99));
      tracker.markProcessed(id, RecordRange.of(0, 89));
      ids.add(id);
    }
    tracker.flush();
    return ids;
  }

  private static Map<String, Integer> once(List<BatchId> ids) {
    Map<String, Integer> m = new TreeMap<>();
    ids.forEach(id -> m.put(id.value(), 1));
    return m;
  }

  @Test
  void round_with_nothing_changed_reconciles_nothing_and_one_with_k_changed_reconciles_those_k() {
    List<BatchId> ids = lossyBatches(40);
    CompletenessMonitor m = monitor();
    clock.advance(Duration.ofMinutes(16));
    assertThat(m.runOnce()).hasSize(40);
    assertThat(store.takeReads()).isEqualTo(once(ids));
    assertThat(events).hasSize(40);

    clock.advance(Duration.ofMinutes(1));
    int listings = store.listings.get();
    assertThat(m.runOnce()).hasSize(40);
    assertThat(store.takeReads()).isEmpty();
    assertThat(store.listings.get() - listings).isEqualTo(1);
    assertThat(events).hasSize(40);

    // Seven batches get one more record processed (still incomplete), the others nothing.
    List<BatchId> changed = List.of(ids.get(0), ids.get(3), ids.get(11), ids.get(12));
    changed = new ArrayList<>(changed);
    changed.addAll(List.of(ids.get(20), ids.get(38), ids.get(39)));
    for (BatchId id : changed) {
      tracker.markProcessed(id, 90);
    }
    tracker.flush();
    clock.advance(Duration.ofMinutes(16)); // quiet for the grace again: due

    List<Finding> findings = m.runOnce();
    assertThat(store.takeReads()).isEqualTo(once(changed));
    assertThat(findings).hasSize(40);
    for (Finding f : findings) {
      long expected = changed.contains(f.batchId()) ? 9 : 10;
      assertThat(f.reconciliation().missingCount()).as(f.batchId().value()).isEqualTo(expected);
    }
    assertThat(events).hasSize(40); // fewer missing: nothing to tell

    clock.advance(Duration.ofMinutes(1));
    assertThat(m.runOnce()).containsExactlyElementsOf(findings);
    assertThat(store.takeReads()).isEmpty();
    assertThat(m.rememberedReconciliations()).isEqualTo(40);
  }

  @Test
  void an_unchanged_finding_is_read_again_when_its_reminder_is_due() {
    List<BatchId> ids = lossyBatches(5);
    CompletenessMonitor m = monitor();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();
    store.takeReads();

    clock.advance(CompletenessMonitor.DEFAULT_RENOTIFY_AFTER.minusMinutes(1));
    m.runOnce();
    assertThat(store.takeReads()).isEmpty();

    clock.advance(Duration.ofMinutes(1));
    m.runOnce();
    assertThat(store.takeReads()).isEqualTo(once(ids));
    assertThat(events)
        .extracting(DiscrepancyEvent::kind)
        .containsExactly(
            DiscrepancyEvent.Kind.NEW,
            DiscrepancyEvent.Kind.NEW,
            DiscrepancyEvent.Kind.NEW,
            DiscrepancyEvent.Kind.NEW,
            DiscrepancyEvent.Kind.NEW,
            DiscrepancyEvent.Kind.REMINDER,
            DiscrepancyEvent.Kind.REMINDER,
            DiscrepancyEvent.Kind.REMINDER,
            DiscrepancyEvent.Kind.REMINDER,
            DiscrepancyEvent.Kind.REMINDER);
  }

  @Test
  void a_batch_being_processed_is_read_each_round_it_is_due_and_resolved_when_complete() {
    BatchId id = lossyBatches(1).get(0);
    CompletenessMonitor m = monitor();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();
    store.takeReads();

    // A resend under way: marked a minute ago, within grace, with its finding open.
    clock.advance(Duration.ofMinutes(1));
    tracker.markProcessed(id, RecordRange.of(90, 94));
    tracker.flush();
    clock.advance(Duration.ofMinutes(1));
    assertThat(m.runOnce()).isEmpty();
    assertThat(store.takeReads()).isEqualTo(Map.of(id.value(), 1));

    // Not marked since, but within grace of the last mark: a mark stamped before the last read
    // may still land, so it is read again.
    clock.advance(Duration.ofMinutes(1));
    m.runOnce();
    assertThat(store.takeReads()).isEqualTo(Map.of(id.value(), 1));

    tracker.markProcessed(id, RecordRange.of(95, 99)); // not flushed: only this tracker has it
    clock.advance(Duration.ofMinutes(20));
    assertThat(m.runOnce()).isEmpty();
    assertThat(store.takeReads()).isEqualTo(Map.of(id.value(), 1));
    assertThat(events)
        .extracting(DiscrepancyEvent::kind)
        .containsExactly(DiscrepancyEvent.Kind.NEW, DiscrepancyEvent.Kind.RESOLVED);
  }

  @Test
  void complete_batch_whose_completion_cannot_be_recorded_is_read_again_with_growing_pauses() {
    BatchId id = BatchId.of("COMPLETE");
    tracker.openBatch(id, 10);
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.markProcessed(id, RecordRange.of(0, 9));
    tracker.flush();
    store.completionsHeld = true;
    CompletenessMonitor m = monitor();
    clock.advance(Duration.ofMinutes(16));

    List<Integer> readInRounds = new ArrayList<>();
    for (int round = 1; round <= 12; round++) {
      assertThat(m.runOnce()).isEmpty();
      if (!store.takeReads().isEmpty()) {
        readInRounds.add(round);
      }
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(readInRounds).containsExactly(1, 2, 4, 7, 12);
    assertThat(tracker.batch(id).orElseThrow().isComplete()).isFalse();

    store.completionsHeld = false;
    for (int round = 13; round <= 21; round++) {
      m.runOnce();
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(tracker.batch(id).orElseThrow().isComplete()).isTrue();
    m.runOnce(); // no longer listed: forgotten
    assertThat(store.takeReads()).isEqualTo(Map.of(id.value(), 1)); // round 21's, that recorded it
    assertThat(m.rememberedReconciliations()).isZero();
    assertThat(events).isEmpty();
  }

  @Test
  void batches_no_longer_incomplete_are_forgotten() {
    tracker.declareStages(Stage.of("received"));
    List<BatchId> ids = lossyBatches(6);
    CompletenessMonitor m =
        CompletenessMonitor.builder(tracker)
            .listener(events::add)
            .watch(Stage.SENT, Stage.PROCESSED)
            .watch(Stage.SENT, Stage.of("received"))
            .build();
    clock.advance(Duration.ofMinutes(16));
    m.runOnce();
    assertThat(m.rememberedReconciliations()).isEqualTo(12);

    tracker.markProcessed(ids.get(0), RecordRange.of(90, 99));
    tracker.markProcessed(ids.get(1), RecordRange.of(90, 99));
    tracker.flush();
    tracker.reconcile(ids.get(0)); // records both completions
    tracker.reconcile(ids.get(1));
    tracker.purge(BatchQuery.builder().build());
    clock.advance(Duration.ofMinutes(1));
    m.runOnce();
    assertThat(m.lastIncompleteBatches()).isEqualTo(4);
    assertThat(m.rememberedReconciliations()).isEqualTo(8);
  }
}
