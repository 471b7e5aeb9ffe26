package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.FlakyStore;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.TestTrackers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Grace follows progress: downstream marks restart it, the deadline bounds a batch that keeps
 * progressing, and the monitor and the gate never call one batch overdue and in flight at the same
 * instant.
 */
class GraceFollowsProgressTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private static final Duration GRACE = Duration.ofMinutes(15);
  private static final Duration DEADLINE = Duration.ofMinutes(30);

  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker = TestTrackers.flushingOnRequest(new FlakyStore(), clock);
  private final List<DiscrepancyEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    tracker.close();
  }

  private static Instant at(int minutes, int seconds) {
    return T0.plus(Duration.ofMinutes(minutes).plusSeconds(seconds));
  }

  /**
   * What one instant looks like: the monitor's finding kind for the batch (or "-"), and whether a
   * gate with a 10-minute window and one with a window equal to the grace see it in flight.
   */
  private record State(String finding, boolean inFlightWindow10m, boolean inFlightWindowGrace) {}

  @Test
  void batch_still_being_processed_is_never_overdue_and_in_flight_at_the_same_instant() {
    BatchId id = BatchId.of("EDI-BIG");
    tracker.openBatch(id, 100_000, Map.of("file", "customers.edi"));
    tracker.markSent(id, RecordRange.of(0, 99_999));
    tracker.flush();
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker)
            .grace(GRACE)
            .deadline(DEADLINE)
            .listener(events::add)
            .build();
    MaintenanceGate gate10 =
        MaintenanceGate.builder(tracker).window(Duration.ofMinutes(10)).build();
    MaintenanceGate gateGrace = MaintenanceGate.builder(tracker).window(GRACE).build();

    // CIS works through the file: 5,000 records every 4 minutes until 40m, then stops at half.
    // At 70m the rest is processed (the resend).
    List<Map.Entry<Instant, State>> transitions = new ArrayList<>();
    State last = null;
    for (Instant now = T0; !now.isAfter(at(90, 0)); now = now.plusSeconds(30)) {
      clock.set(now);
      long minute = Duration.between(T0, now).toMinutes();
      boolean onTheMinute = Duration.between(T0, now).toSecondsPart() == 0;
      if (onTheMinute && minute > 0 && minute <= 40 && minute % 4 == 0) {
        int from = (int) (minute / 4 - 1) * 5_000;
        tracker.markProcessed(id, RecordRange.of(from, from + 4_999));
        tracker.flush();
      }
      if (onTheMinute && minute == 70) {
        tracker.markProcessed(id, RecordRange.of(50_000, 99_999));
        tracker.flush();
      }

      List<Finding> findings = monitor.runOnce();
      boolean in10 = gate10.inFlight().stream().map(BatchInfo::id).anyMatch(id::equals);
      boolean inGrace = gateGrace.inFlight().stream().map(BatchInfo::id).anyMatch(id::equals);
      String kind = findings.isEmpty() ? "-" : findings.get(0).kind().name();
      assertThat(findings).hasSizeLessThanOrEqualTo(1);
      if (kind.equals("OVERDUE")) {
        assertThat(in10 || inGrace).as("overdue and in flight at %s", now).isFalse();
      }
      State state = new State(kind, in10, inGrace);
      if (!state.equals(last)) {
        transitions.add(Map.entry(now, state));
        last = state;
      }
    }

    assertThat(transitions)
        .containsExactly(
            // opened and sent at T0: in flight, within grace and deadline
            Map.entry(at(0, 0), new State("-", true, true)),
            // still progressing at the deadline: late, and rightly still in flight
            Map.entry(at(30, 0), new State("PAST_DEADLINE", true, true)),
            // last mark at 40m: out of the 10-minute window at 50m, of the 15-minute one at 55m,
            // which is exactly when it becomes overdue
            Map.entry(at(50, 0), new State("PAST_DEADLINE", false, true)),
            Map.entry(at(55, 0), new State("OVERDUE", false, false)),
            // the rest processed at 70m: complete, resolved, not in flight
            Map.entry(at(70, 0), new State("-", false, false)));
    assertThat(events)
        .extracting(e -> e.kind(), e -> e.finding().kind(), DiscrepancyEvent::at)
        .containsExactly(
            tuple(DiscrepancyEvent.Kind.NEW, Finding.Kind.PAST_DEADLINE, at(30, 0)),
            tuple(DiscrepancyEvent.Kind.RESOLVED, Finding.Kind.PAST_DEADLINE, at(70, 0)));
    Finding late = events.get(0).finding();
    assertThat(late.overdueSince()).isEqualTo(T0.plus(DEADLINE));
    assertThat(late.reconciliation().missing()).containsExactly(RecordRange.of(35_000, 99_999));
  }

  @Test
  void downstream_progress_restarts_the_grace_that_the_last_send_started() {
    BatchId id = BatchId.of("EDI-1");
    tracker.openBatch(id, 1_000);
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.flush();
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker).grace(GRACE).listener(events::add).build();

    clock.set(at(14, 0));
    tracker.markProcessed(id, RecordRange.of(0, 499));
    tracker.flush();
    clock.set(at(28, 59));
    assertThat(monitor.runOnce()).isEmpty(); // 16 minutes after the send, 14:59 after progress

    clock.set(at(29, 0));
    Finding f = monitor.runOnce().get(0);
    assertThat(f.kind()).isEqualTo(Finding.Kind.OVERDUE);
    assertThat(f.overdueSince()).isEqualTo(at(29, 0));
    assertThat(f.reconciliation().missing()).containsExactly(RecordRange.of(500, 999));
  }

  @Test
  void deadline_defaults_to_one_hour_or_the_grace_if_longer_and_may_not_be_shorter() {
    assertThat(CompletenessMonitor.builder(tracker).build().toString())
        .contains("grace=PT15M, deadline=PT1H,");
    assertThat(CompletenessMonitor.builder(tracker).grace(Duration.ofHours(2)).build().toString())
        .contains("grace=PT2H, deadline=PT2H,");
    assertThat(CompletenessMonitor.builder(tracker).grace(GRACE).deadline(GRACE).build().toString())
        .contains("grace=PT15M, deadline=PT15M,");
    assertThatThrownBy(
            () ->
                CompletenessMonitor.builder(tracker)
                    .deadline(Duration.ofMinutes(10))
                    .grace(GRACE)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadline must be at least grace: deadline=PT10M, grace=PT15M");
  }
}
