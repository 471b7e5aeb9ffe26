package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A monitor finds nothing in an abandoned batch, and resolves what it reported of one once, at the
 * next round after the abandon.
 */
class AbandonedBatchMonitorTest {

  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker =
      RecordTracker.builder().clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    tracker.close();
  }

  private CompletenessMonitor monitor() {
    return CompletenessMonitor.builder(tracker)
        .grace(Duration.ofMinutes(5))
        .deadline(Duration.ofHours(1))
        .listener(events::add)
        .build();
  }

  /** 100 records sent, 0-59 processed, at T0. */
  private BatchId losing(String name) {
    BatchId id = BatchId.of(name);
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(0, 59));
    tracker.flush();
    return id;
  }

  @Test
  void an_open_finding_is_resolved_once_when_its_batch_is_abandoned_and_nothing_follows() {
    BatchId id = losing("CANCELLED");
    BatchId other = losing("STILL-LOSING");
    CompletenessMonitor m = monitor();
    clock.advance(Duration.ofMinutes(5));
    assertThat(m.runOnce()).extracting(Finding::batchId).containsExactly(other, id);
    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
        .containsExactlyInAnyOrder(
            tuple(DiscrepancyEvent.Kind.NEW, id), tuple(DiscrepancyEvent.Kind.NEW, other));
    events.clear();

    tracker.abandon(id, "cancelled send");
    clock.advance(Duration.ofMinutes(1));
    assertThat(m.runOnce()).extracting(Finding::batchId).containsExactly(other);

    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
        .containsExactly(tuple(DiscrepancyEvent.Kind.RESOLVED, id));
    assertThat(events.get(0).finding().reconciliation().missingCount()).isEqualTo(40);
    assertThat(m.lastIncompleteBatches()).isEqualTo(1);

    events.clear();
    clock.advance(Duration.ofHours(5)); // past the reminder interval and the deadline
    assertThat(m.runOnce()).extracting(Finding::batchId).containsExactly(other);
    assertThat(events)
        .extracting(DiscrepancyEvent::kind, e -> e.finding().batchId())
        .containsExactly(tuple(DiscrepancyEvent.Kind.REMINDER, other));
  }

  @Test
  void a_batch_abandoned_before_it_is_overdue_is_never_reported() {
    BatchId id = losing("TEST-FILE");
    CompletenessMonitor m = monitor();
    tracker.abandon(id, "test file");

    clock.advance(Duration.ofHours(2));
    assertThat(m.runOnce()).isEmpty();
    assertThat(m.lastIncompleteBatches()).isZero();
    assertThat(events).isEmpty();
  }
}
