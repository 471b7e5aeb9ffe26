package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hosts whose clocks disagree by minutes still agree on last-marked times, grace periods and the
 * gate's window: a tracker built without an explicit clock follows the store's clock.
 */
class ClockSkewTest {

  private static final Instant T0 = Instant.parse("2026-11-30T02:00:00Z");

  /** The database server's clock. */
  private final SettableClock database = new SettableClock(T0);

  private final TrackerStore shared = TrackerStore.inMemory();
  private final List<RecordTracker> trackers = new ArrayList<>();
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void closeTrackers() {
    trackers.forEach(RecordTracker::close);
  }

  /** A tracker on a host whose clock is {@code skew} off the database's, with no clock set. */
  private RecordTracker onHost(Duration skew) {
    TrackerStore store =
        new ForwardingTrackerStore(shared) {
          @Override
          public Optional<Instant> currentTime() {
            return Optional.of(database.instant());
          }

          @Override
          public void close() {} // shared by every host
        };
    RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .hostClock(new Skewed(database, skew))
            .flushInterval(Duration.ofHours(1))
            .build();
    trackers.add(tracker);
    return tracker;
  }

  @Test
  void a_sender_ten_minutes_ahead_is_alerted_after_grace_by_the_databases_clock() {
    RecordTracker sender = onHost(Duration.ofMinutes(10));
    RecordTracker monitorHost = onHost(Duration.ofMinutes(-10));
    BatchId id = BatchId.of("SKEW-AHEAD");
    sender.openBatch(id, 1_000);
    sender.markSent(id, RecordRange.of(0, 999));
    sender.flush();

    BatchInfo stored = monitorHost.batch(id).orElseThrow();
    assertThat(stored.openedAt()).isEqualTo(T0);
    assertThat(stored.lastMarkedAt(Stage.SENT)).contains(T0);

    CompletenessMonitor monitor =
        CompletenessMonitor.builder(monitorHost)
            .grace(Duration.ofMinutes(5))
            .listener(events::add)
            .build();
    database.advance(Duration.ofMinutes(4).plusSeconds(59));
    assertThat(monitor.runOnce()).isEmpty();

    database.advance(Duration.ofSeconds(2));
    List<Finding> findings = monitor.runOnce();
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).kind()).isEqualTo(Finding.Kind.OVERDUE);
    assertThat(findings.get(0).reconciliation().missing()).containsExactly(RecordRange.of(0, 999));
    assertThat(findings.get(0).overdueSince()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    assertThat(events)
        .extracting(DiscrepancyEvent::kind)
        .containsExactly(DiscrepancyEvent.Kind.NEW);
  }

  @Test
  void a_sender_ten_minutes_behind_raises_no_false_alert_within_grace() {
    RecordTracker sender = onHost(Duration.ofMinutes(-10));
    RecordTracker monitorHost = onHost(Duration.ofMinutes(3));
    BatchId id = BatchId.of("SKEW-BEHIND");
    sender.openBatch(id, 1_000);
    sender.markSent(id, RecordRange.of(0, 999));
    sender.flush();

    CompletenessMonitor monitor =
        CompletenessMonitor.builder(monitorHost)
            .grace(Duration.ofMinutes(5))
            .listener(events::add)
            .build();
    assertThat(monitor.runOnce()).isEmpty();
    database.advance(Duration.ofMinutes(4));
    assertThat(monitor.runOnce()).isEmpty();
    assertThat(events).isEmpty();
  }

  @Test
  void the_gate_sees_a_batch_marked_by_a_host_fifteen_minutes_behind() {
    RecordTracker opener = onHost(Duration.ZERO);
    RecordTracker worker = onHost(Duration.ofMinutes(-15));
    RecordTracker gateHost = onHost(Duration.ofMinutes(2));
    BatchId id = BatchId.of("SKEW-GATE");
    opener.openBatch(id, 1_000);
    opener.markSent(id, RecordRange.of(0, 999));
    opener.flush();
    database.advance(Duration.ofMinutes(30)); // opened long ago; only the worker's marks are fresh

    worker.markProcessed(id, RecordRange.of(0, 499));
    worker.flush();
    database.advance(Duration.ofMinutes(3));

    assertThat(gateHost.inFlight(Duration.ofMinutes(10)))
        .extracting(BatchInfo::id)
        .containsExactly(id);
    database.advance(Duration.ofMinutes(8));
    assertThat(gateHost.inFlight(Duration.ofMinutes(10))).isEmpty();
  }

  @Test
  void an_explicit_clock_is_used_as_given() {
    SettableClock own = new SettableClock(T0.plus(Duration.ofHours(1)));
    TrackerStore store =
        new ForwardingTrackerStore(shared) {
          @Override
          public Optional<Instant> currentTime() {
            return Optional.of(database.instant());
          }
        };
    try (RecordTracker tracker = RecordTracker.builder().store(store).clock(own).build()) {
      assertThat(tracker.clock()).isSameAs(own);
      BatchId id = BatchId.of("OWN-CLOCK");
      assertThat(tracker.openBatch(id, 1).openedAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
    }
  }

  /** A host clock: the database's plus a fixed skew. */
  private static final class Skewed extends Clock {
    private final Clock base;
    private final Duration skew;

    Skewed(Clock base, Duration skew) {
      this.base = base;
      this.skew = skew;
    }

    @Override
    public Instant instant() {
      return base.instant().plus(skew);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
