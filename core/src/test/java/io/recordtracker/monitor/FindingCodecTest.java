package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import io.recordtracker.TestTrackers;
import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A reported finding stored in an alert row reads back as the finding that was reported. */
class FindingCodecTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00.123456789Z");
  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker =
      TestTrackers.flushingOnRequest(TrackerStore.inMemory(), clock);

  @AfterEach
  void close() {
    tracker.close();
  }

  private static void assertSame(Finding decoded, Finding f) {
    assertThat(decoded.kind()).isEqualTo(f.kind());
    assertThat(decoded.batchId()).isEqualTo(f.batchId());
    assertThat(decoded.upstream()).isEqualTo(f.upstream());
    assertThat(decoded.downstream()).isEqualTo(f.downstream());
    assertThat(decoded.overdueSince()).isEqualTo(f.overdueSince());
    assertThat(decoded.cause()).isEqualTo(f.cause());
    assertThat(decoded.batch().attributes()).isEqualTo(f.batch().attributes());
    assertThat(decoded.batch().openedAt()).isEqualTo(f.batch().openedAt());
    assertThat(decoded.batch().isSealed()).isEqualTo(f.batch().isSealed());
    assertThat(decoded.reconciliation().expectedRecords())
        .isEqualTo(f.reconciliation().expectedRecords());
    assertThat(decoded.reconciliation().isSealed()).isEqualTo(f.reconciliation().isSealed());
    assertThat(decoded.reconciliation().missing()).isEqualTo(f.reconciliation().missing());
    assertThat(decoded.reconciliation().missingCount())
        .isEqualTo(f.reconciliation().missingCount());
    assertThat(decoded.reconciliation().absentUpstream())
        .isEqualTo(f.reconciliation().absentUpstream());
  }

  private static Finding roundTrip(Finding f) {
    return FindingCodec.decode(FindingCodec.encode(f), f.batchId(), f.upstream(), f.downstream());
  }

  @Test
  void overdue_finding_reads_back_with_its_exact_ranges() {
    BatchId id = BatchId.of("EDI-20200823-0001");
    tracker.openBatch(id, 486_000, Map.of("file", "customers.edi", "customer", "AES CIS"));
    tracker.markSent(id, RecordRange.of(0, 479_999));
    tracker.markProcessed(id, RecordRange.of(0, 299_999));
    tracker.markProcessed(id, RecordRange.of(300_100, 399_999));
    tracker.markProcessed(id, new int[] {450_001, 450_003});
    tracker.flush();
    BatchInfo batch = tracker.batch(id).orElseThrow();
    Finding f = Finding.overdue(batch, tracker.reconcile(id), T0.plusSeconds(900));

    Finding decoded = roundTrip(f);

    assertSame(decoded, f);
    assertThat(decoded.reconciliation().missing())
        .contains(RecordRange.of(300_000, 300_099), RecordRange.of(400_000, 450_000));
    assertThat(decoded.reconciliation().absentUpstream())
        .containsExactly(RecordRange.of(480_000, 485_999));
  }

  @Test
  void stalled_finding_of_an_unsealed_batch_reads_back_unsealed() {
    BatchId id = BatchId.of("U-1");
    tracker.openBatch(id);
    tracker.markSent(id, RecordRange.of(0, 9));
    tracker.flush();
    BatchInfo batch = tracker.batch(id).orElseThrow();
    Finding f = Finding.stalled(batch, tracker.reconcile(id), T0.plus(Duration.ofHours(1)));

    assertSame(roundTrip(f), f);
    assertThat(roundTrip(f).reconciliation().missing()).containsExactly(RecordRange.of(0, 9));
  }

  @Test
  void unreadable_finding_reads_back_with_its_cause() {
    BatchId id = BatchId.of("BAD-1");
    tracker.openBatch(id, 100, Map.of("file", "corrupt.edi"));
    Finding f =
        Finding.unreadable(
            tracker.batch(id).orElseThrow(),
            Stage.SENT,
            Stage.PROCESSED,
            T0,
            "stored marks of batch BAD-1, stage sent are corrupt (row id 4 of rt_marks, 5 bytes)");

    assertSame(roundTrip(f), f);
  }

  @Test
  void bytes_that_are_no_finding_are_refused_naming_the_batch() {
    assertThatThrownBy(
            () ->
                FindingCodec.decode(
                    new byte[] {1, 0}, BatchId.of("B"), Stage.SENT, Stage.PROCESSED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stored finding of batch B sent->processed is corrupt");
  }
}
