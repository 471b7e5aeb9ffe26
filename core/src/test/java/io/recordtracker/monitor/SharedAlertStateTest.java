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
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.TestTrackers;
import io.recordtracker.spi.AlertRecord;
import io.recordtracker.spi.AlertStore;
import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Monitors sharing one store's alert state: several instances and restarts tell each event once, a
 * claim left by a monitor that died is taken over once it expires, and listeners get a key to
 * deduplicate with.
 */
class SharedAlertStateTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private final SettableClock clock = new SettableClock(T0);
  private final TrackerStore store = TrackerStore.inMemory();
  private final RecordTracker tracker = TestTrackers.flushingOnRequest(store, clock);
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    tracker.close();
  }

  /** A monitor instance of its own (as on another host) on the shared store. */
  private CompletenessMonitor instance(RecordTracker on) {
    return CompletenessMonitor.builder(on).listener("slack", events::add).build();
  }

  /** A batch of 1000 records, all sent, 100-199 never processed. */
  private BatchId lossyBatch(String name) {
    BatchId id = BatchId.of(name);
    tracker.openBatch(id, 1_000, Map.of("file", name + ".edi"));
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(200, 999));
    tracker.flush();
    return id;
  }

  private void resend(BatchId id) {
    tracker.markProcessed(id, RecordRange.of(100, 199));
    tracker.flush();
  }

  @Test
  void three_instances_tell_each_event_once_between_them() {
    BatchId a = lossyBatch("A");
    BatchId b = lossyBatch("B");
    List<CompletenessMonitor> monitors =
        List.of(instance(tracker), instance(tracker), instance(tracker));
    clock.advance(Duration.ofMinutes(16));

    for (int round = 0; round < 3; round++) {
      monitors.forEach(CompletenessMonitor::runOnce);
    }
    resend(a);
    for (int round = 0; round < 3; round++) {
      monitors.forEach(CompletenessMonitor::runOnce);
    }
    clock.advance(Duration.ofHours(4)); // a reminder is due for b
    for (int round = 0; round < 3; round++) {
      monitors.forEach(CompletenessMonitor::runOnce);
    }

    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
        .containsExactly(tuple(NEW, b), tuple(NEW, a), tuple(RESOLVED, a), tuple(REMINDER, b));
    // Each instance found both until a was resolved: the findings are everyone's, the events one's.
    assertThat(monitors.get(2).lastFindings()).extracting(Finding::batchId).containsExactly(b);
  }

  @Test
  void restarted_monitor_continues_where_the_last_one_stopped() {
    BatchId id = lossyBatch("A");
    clock.advance(Duration.ofMinutes(16));
    instance(tracker).runOnce();
    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW);

    // A restart: a new tracker and monitor on the same store.
    try (RecordTracker restarted = TestTrackers.flushingOnRequest(store, clock)) {
      CompletenessMonitor again = instance(restarted);
      clock.advance(Duration.ofMinutes(1));
      assertThat(again.runOnce()).extracting(Finding::batchId).containsExactly(id);
      assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW);

      resend(id);
      clock.advance(Duration.ofMinutes(1));
      again.runOnce();
      again.runOnce();
    }

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, RESOLVED);
    // The resolution, made by the instance that did not report the finding, says what was missing.
    Finding resolved = events.get(1).finding();
    assertThat(resolved.reconciliation().missing()).containsExactly(RecordRange.of(100, 199));
    assertThat(resolved.reconciliation().missingCount()).isEqualTo(100);
    assertThat(resolved.batch().attributes()).containsExactly(Map.entry("file", "A.edi"));
    assertThat(resolved.overdueSince()).isEqualTo(events.get(0).finding().overdueSince());
    assertThat(events.get(1).idempotencyKey()).isEqualTo(events.get(0).idempotencyKey());
  }

  @Test
  void idempotency_key_names_batch_pair_and_finding_epoch() {
    BatchId id = lossyBatch("A");
    CompletenessMonitor monitor = instance(tracker);
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    resend(id);
    monitor.runOnce();

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, RESOLVED);
    DiscrepancyEvent first = events.get(0);
    assertThat(first.findingEpoch()).isEqualTo(T0.plus(Duration.ofMinutes(16)).toEpochMilli());
    assertThat(first.idempotencyKey()).isEqualTo("A/sent/processed/" + first.findingEpoch());
    assertThat(events)
        .extracting(DiscrepancyEvent::idempotencyKey)
        .containsOnly(first.idempotencyKey());
    assertThat(DiscrepancyEvent.newFinding(first.finding(), T0).findingEpoch()).isZero();
  }

  @Test
  void finding_that_reappears_after_its_resolution_is_a_new_finding_with_a_larger_epoch() {
    BatchId id = BatchId.of("U");
    tracker.openBatch(id); // unsealed: stalled once nothing is marked for the deadline
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.flush();
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker)
            .deadline(Duration.ofMinutes(30))
            .listener("slack", events::add)
            .build();
    clock.advance(Duration.ofMinutes(31));
    monitor.runOnce(); // NEW stalled
    tracker.markSent(id, RecordRange.of(10, 19));
    tracker.flush();
    monitor.runOnce(); // marked again: resolved
    clock.advance(Duration.ofMinutes(31));
    monitor.runOnce(); // stalled again: a new finding

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, RESOLVED, NEW);
    assertThat(events.get(1).findingEpoch()).isEqualTo(events.get(0).findingEpoch());
    assertThat(events.get(2).findingEpoch()).isGreaterThan(events.get(1).findingEpoch());
    assertThat(events.get(2).idempotencyKey()).isNotEqualTo(events.get(0).idempotencyKey());
  }

  @Test
  void claim_of_a_monitor_that_died_mid_delivery_is_taken_over_once_it_expires() {
    BatchId id = lossyBatch("A");
    clock.advance(Duration.ofMinutes(16));
    // A monitor claimed the NEW and died while telling it: its listener never returned.
    CompletenessMonitor dying =
        CompletenessMonitor.builder(tracker)
            .listener(
                "slack",
                e -> {
                  events.add(e);
                  throw new Died();
                })
            .build();
    try {
      dying.runOnce();
    } catch (Died expected) {
      // the monitor's thread is gone, its claim left behind
    }
    CompletenessMonitor survivor = instance(tracker);
    clock.advance(Duration.ofMinutes(1));
    survivor.runOnce(); // the claim holds for 2 minutes: nothing told
    assertThat(events).hasSize(1);

    clock.advance(Duration.ofMinutes(1));
    survivor.runOnce(); // expired: told again, as the same finding
    survivor.runOnce();

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, NEW);
    assertThat(events.get(1).idempotencyKey()).isEqualTo(events.get(0).idempotencyKey());

    resend(id);
    survivor.runOnce();
    survivor.runOnce();
    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, NEW, RESOLVED);
  }

  @Test
  void failing_listener_releases_its_claim_so_another_instance_tells_the_event_next() {
    lossyBatch("A");
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor failing =
        CompletenessMonitor.builder(tracker)
            .listener(
                "slack",
                e -> {
                  throw new IllegalStateException("endpoint down");
                })
            .build();
    failing.runOnce();

    instance(tracker).runOnce(); // no waiting for the claim to expire

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW);
  }

  @Test
  void listeners_of_other_names_are_told_on_their_own() {
    lossyBatch("A");
    List<DiscrepancyEvent> pager = new CopyOnWriteArrayList<>();
    CompletenessMonitor one =
        CompletenessMonitor.builder(tracker)
            .listener("slack", events::add)
            .listener("pager", pager::add)
            .build();
    CompletenessMonitor other =
        CompletenessMonitor.builder(tracker)
            .listener("slack", events::add)
            .listener("pager", pager::add)
            .build();
    clock.advance(Duration.ofMinutes(16));
    one.runOnce();
    other.runOnce();

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW);
    assertThat(pager).extracting(DiscrepancyEvent::kind).containsExactly(NEW);
  }

  @Test
  void grown_finding_is_told_once_by_whichever_instance_sees_it_first() {
    BatchId id = BatchId.of("G");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 499));
    tracker.markProcessed(id, RecordRange.of(0, 399));
    tracker.flush();
    CompletenessMonitor one = instance(tracker);
    CompletenessMonitor two = instance(tracker);
    clock.advance(Duration.ofMinutes(16));
    one.runOnce();
    tracker.markSent(id, RecordRange.of(500, 999)); // more sent, none processed
    tracker.flush();
    clock.advance(Duration.ofMinutes(16));
    two.runOnce();
    one.runOnce();

    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().reconciliation().missingCount())
        .containsExactly(tuple(NEW, 100L), tuple(GROWN, 600L));
  }

  @Test
  void monitor_deciding_on_a_scan_older_than_a_resolution_tells_no_new() {
    BatchId id = lossyBatch("A");
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor fast = instance(tracker);
    // The slow instance's store: right after its scan (it found A overdue), the fast instance
    // reports A, the records are resent and the fast instance resolves A, all before the slow one
    // reads the rows of what it found.
    boolean[] once = {false};
    TrackerStore slowStore =
        new ForwardingTrackerStore(store) {
          @Override
          public Optional<AlertStore> alertStore() {
            AlertStore shared = super.alertStore().orElseThrow();
            return Optional.of(
                new ForwardingAlertStore(shared) {
                  @Override
                  public List<AlertRecord> find(Collection<BatchId> batches) {
                    if (!once[0]) {
                      once[0] = true;
                      fast.runOnce();
                      resend(id);
                      fast.runOnce();
                    }
                    return super.find(batches);
                  }
                });
          }
        };
    try (RecordTracker slowTracker = TestTrackers.flushingOnRequest(slowStore, clock)) {
      List<Finding> found = instance(slowTracker).runOnce();

      assertThat(found).extracting(Finding::batchId).containsExactly(id); // its scan was older
    }
    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, RESOLVED);
  }

  @Test
  void batch_purged_and_opened_again_before_its_finding_was_resolved_has_a_new_finding() {
    lossyBatch("A");
    CompletenessMonitor monitor = instance(tracker);
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
    BatchId again = lossyBatch("A"); // the same id, another batch, losing the same records
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    resend(again);
    monitor.runOnce();
    monitor.runOnce();

    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW, NEW, RESOLVED);
    assertThat(events.get(1).findingEpoch()).isGreaterThan(events.get(0).findingEpoch());
    assertThat(events.get(2).idempotencyKey()).isEqualTo(events.get(1).idempotencyKey());
  }

  @Test
  void batch_purged_and_opened_again_complete_resolves_nothing_of_the_old_one() {
    BatchId id = lossyBatch("A");
    CompletenessMonitor monitor = instance(tracker);
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
    tracker.openBatch(id, 10);
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.markProcessed(id, RecordRange.of(0, 9));
    tracker.flush();
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    monitor.runOnce();

    // The old finding went with its batch ("purged before its finding was resolved").
    assertThat(events).extracting(DiscrepancyEvent::kind).containsExactly(NEW);
    assertThat(store.alertStore().orElseThrow().find(List.of(id))).isEmpty();
  }

  /** A listener of a named class, as a team writes one. */
  private static final class TeamsListener implements DiscrepancyListener {
    final List<DiscrepancyEvent> heard = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(DiscrepancyEvent event) {
      heard.add(event);
    }
  }

  private List<String> listenerNames(BatchId id) {
    return store.alertStore().orElseThrow().find(List.of(id)).stream()
        .map(r -> r.key().listener())
        .sorted()
        .toList();
  }

  @Test
  void listeners_are_named_by_class_and_position_unless_named() {
    BatchId id = lossyBatch("A");
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor.builder(tracker)
        .listener(new TeamsListener())
        .listener(events::add)
        .listener(new TeamsListener())
        .listener("ops", events::add)
        .listener(e -> {})
        .build()
        .runOnce();
    CompletenessMonitor.builder(tracker).build().runOnce(); // the default log listener

    assertThat(listenerNames(id))
        .containsExactly(
            "Slf4jDiscrepancyListener-1",
            "TeamsListener-1",
            "TeamsListener-2",
            "listener-1",
            "listener-2",
            "ops");
  }

  @Test
  void instances_adding_the_same_listener_classes_in_order_share_their_state() {
    lossyBatch("A");
    TeamsListener first = new TeamsListener();
    TeamsListener second = new TeamsListener();
    clock.advance(Duration.ofMinutes(16));
    CompletenessMonitor.builder(tracker).listener(first).build().runOnce();
    CompletenessMonitor.builder(tracker).listener(second).build().runOnce();

    assertThat(first.heard).extracting(DiscrepancyEvent::kind).containsExactly(NEW);
    assertThat(second.heard).isEmpty();
  }

  @Test
  void listener_names_and_claim_time_are_checked_when_set() {
    CompletenessMonitor.Builder b = CompletenessMonitor.builder(tracker).listener("ops", e -> {});
    assertThatThrownBy(() -> b.listener("ops", e -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("listener name taken: ops");
    assertThatThrownBy(() -> b.listener("ops slack", e -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "listener name must be 1 to 64 letters, digits, '.', '_' or '-': \"ops slack\"");
    assertThatThrownBy(() -> b.listener("", e -> {})).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.listener("x".repeat(65), e -> {}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.listener(null, e -> {}))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("name");
    assertThatThrownBy(() -> b.claimFor(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("claimFor");
  }

  @Test
  void finding_whose_stored_report_is_corrupt_is_settled_untold_and_the_others_are_told() {
    BatchId a = lossyBatch("A");
    BatchId b = lossyBatch("B");
    clock.advance(Duration.ofMinutes(16));
    instance(tracker).runOnce();
    AlertStore alerts = store.alertStore().orElseThrow();
    AlertRecord row = alerts.find(List.of(a)).get(0);
    alerts.compareAndSet(
        row.version(),
        new AlertRecord(
            row.key(),
            row.version() + 1,
            row.epoch(),
            true,
            row.findingKind(),
            row.incarnation(),
            row.missingRecords(),
            row.absentRecords(),
            row.reportedAt(),
            null,
            null,
            new byte[] {42}));
    resend(a);
    resend(b);

    try (RecordTracker restarted = TestTrackers.flushingOnRequest(store, clock)) {
      instance(restarted).runOnce();
      instance(restarted).runOnce();
    }

    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
        .containsExactly(tuple(NEW, b), tuple(NEW, a), tuple(RESOLVED, b));
    assertThat(alerts.find(List.of(a))).extracting(AlertRecord::open).containsExactly(false);
  }

  /** What a thread that dies mid-call throws. */
  private static final class Died extends Error {}

  /** An alert store that forwards every call; tests override one. */
  private static class ForwardingAlertStore implements AlertStore {
    private final AlertStore target;

    ForwardingAlertStore(AlertStore target) {
      this.target = target;
    }

    @Override
    public List<AlertRecord> unsettled() {
      return target.unsettled();
    }

    @Override
    public List<AlertRecord> find(Collection<BatchId> batches) {
      return target.find(batches);
    }

    @Override
    public boolean compareAndSet(long expectedVersion, AlertRecord next) {
      return target.compareAndSet(expectedVersion, next);
    }

    @Override
    public boolean remove(AlertRecord.Key key, long expectedVersion) {
      return target.remove(key, expectedVersion);
    }

    @Override
    public int removeSettledOfGoneBatches() {
      return target.removeSettledOfGoneBatches();
    }
  }
}
