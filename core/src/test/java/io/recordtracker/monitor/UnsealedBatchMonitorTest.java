package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An unsealed batch is stalled once nothing of it was marked for the deadline. */
class UnsealedBatchMonitorTest {

  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");
  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker =
      RecordTracker.builder().clock(clock).flushInterval(Duration.ofHours(1)).build();

  @AfterEach
  void close() {
    tracker.close();
  }

  @Test
  void an_unsealed_batch_not_marked_for_the_deadline_is_stalled_and_marking_again_resolves_it() {
    BatchId id = BatchId.of("STREAM-IDLE");
    tracker.openBatch(id);
    clock.advance(Duration.ofMinutes(10));
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 999));
    tracker.flush(); // last marked at T0+10min
    CompletenessMonitor m =
        CompletenessMonitor.builder(tracker)
            .grace(Duration.ofMinutes(5))
            .deadline(Duration.ofMinutes(30))
            .build();

    clock.advance(Duration.ofMinutes(29));
    assertThat(m.runOnce()).isEmpty();

    clock.advance(Duration.ofMinutes(1));
    List<Finding> findings = m.runOnce();

    assertThat(findings).hasSize(1);
    Finding f = findings.get(0);
    assertThat(f.kind()).isEqualTo(Finding.Kind.STALLED);
    assertThat(f.batchId()).isEqualTo(id);
    assertThat(f.overdueSince()).isEqualTo(T0.plus(Duration.ofMinutes(40)));
    assertThat(f.reconciliation().isSealed()).isFalse();
    assertThat(f.reconciliation().missingCount()).isZero();
    assertThat(f.reconciliation().absentUpstreamCount()).isZero();

    tracker.markSent(id, RecordRange.of(1_000, 1_999));
    tracker.flush();

    assertThat(m.runOnce()).isEmpty();
  }
}
