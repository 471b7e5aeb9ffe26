package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The public factories a user builds findings with to test a listener of their own. */
class FindingTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private static final Instant SINCE = T0.plus(Duration.ofMinutes(15));

  private final RecordTracker tracker =
      RecordTracker.builder().clock(new SettableClock(T0)).build();

  @AfterEach
  void close() {
    tracker.close();
  }

  /** A batch of 100 records, all sent, 50-99 never processed. */
  private BatchId halfProcessed() {
    BatchId id = BatchId.of("B-HALF");
    tracker.openBatch(id, 100, Map.of("file", "half.edi"));
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(0, 49));
    tracker.flush();
    return id;
  }

  @Test
  void overdue_finding_carries_its_batch_reconciliation_and_time() {
    BatchId id = halfProcessed();
    BatchInfo batch = tracker.batch(id).orElseThrow();
    Reconciliation r = tracker.reconcile(id);

    Finding f = Finding.overdue(batch, r, SINCE);

    assertThat(f.kind()).isEqualTo(Finding.Kind.OVERDUE);
    assertThat(f.batch()).isSameAs(batch);
    assertThat(f.batchId()).isEqualTo(id);
    assertThat(f.upstream()).isEqualTo(Stage.SENT);
    assertThat(f.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(f.reconciliation()).isSameAs(r);
    assertThat(f.reconciliation().missing()).containsExactly(RecordRange.of(50, 99));
    assertThat(f.overdueSince()).isEqualTo(SINCE);
    assertThat(f.cause()).isEmpty();
    assertThat(f.overdueFor(SINCE.plus(Duration.ofMinutes(5)))).isEqualTo(Duration.ofMinutes(5));
    assertThat(f.overdueFor(T0)).isEqualTo(Duration.ZERO);
    assertThat(f).isEqualTo(Finding.overdue(batch, r, SINCE));
    assertThat(f).hasSameHashCodeAs(Finding.overdue(batch, r, SINCE));
    assertThat(f).isNotEqualTo(Finding.stalled(batch, r, SINCE));
    assertThat(f.toString())
        .isEqualTo(
            "Finding{OVERDUE, overdueSince=2020-08-23T11:15:00Z, Reconciliation{batch=B-HALF,"
                + " sent->processed, expected=100, missing=50, absentUpstream=0, unexpected=0,"
                + " missingRanges=[50-99]}}");
  }

  @Test
  void stalled_finding_carries_records_never_sent() {
    BatchId id = BatchId.of("B-STALL");
    tracker.openBatch(id, 10);
    BatchInfo batch = tracker.batch(id).orElseThrow();
    Reconciliation r = tracker.reconcile(id);

    Finding f = Finding.stalled(batch, r, T0.plus(Duration.ofHours(1)));

    assertThat(f.kind()).isEqualTo(Finding.Kind.STALLED);
    assertThat(f.batch()).isSameAs(batch);
    assertThat(f.batchId()).isEqualTo(id);
    assertThat(f.upstream()).isEqualTo(Stage.SENT);
    assertThat(f.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(f.reconciliation()).isSameAs(r);
    assertThat(f.reconciliation().absentUpstream()).containsExactly(RecordRange.of(0, 9));
    assertThat(f.overdueSince()).isEqualTo(T0.plus(Duration.ofHours(1)));
    assertThat(f.cause()).isEmpty();
    assertThat(f.overdueFor(T0.plus(Duration.ofMinutes(90)))).isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void unreadable_finding_carries_the_cause_and_an_empty_reconciliation() {
    BatchInfo batch = BatchInfo.of(BatchId.of("B-BAD"), 100, T0, Map.of("file", "bad.edi"));

    Finding f =
        Finding.unreadable(batch, Stage.SENT, Stage.PROCESSED, SINCE, "stored marks are corrupt");

    assertThat(f.kind()).isEqualTo(Finding.Kind.UNREADABLE);
    assertThat(f.batch()).isSameAs(batch);
    assertThat(f.batchId()).isEqualTo(BatchId.of("B-BAD"));
    assertThat(f.upstream()).isEqualTo(Stage.SENT);
    assertThat(f.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(f.reconciliation().batch()).isEqualTo(BatchId.of("B-BAD"));
    assertThat(f.reconciliation().expectedRecords()).isEqualTo(100);
    assertThat(f.reconciliation().missing()).isEmpty();
    assertThat(f.reconciliation().absentUpstream()).isEmpty();
    assertThat(f.reconciliation().missingCount()).isZero();
    assertThat(f.overdueSince()).isEqualTo(SINCE);
    assertThat(f.cause()).contains("stored marks are corrupt");
    assertThat(f.toString())
        .isEqualTo(
            "Finding{UNREADABLE, batch=B-BAD, sent->processed,"
                + " overdueSince=2020-08-23T11:15:00Z, cause=stored marks are corrupt}");
  }

  @Test
  void factories_reject_null_naming_the_argument() {
    BatchId id = halfProcessed();
    BatchInfo batch = tracker.batch(id).orElseThrow();
    Reconciliation r = tracker.reconcile(id);

    assertThatThrownBy(() -> Finding.overdue(null, r, SINCE))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("batch must not be null");
    assertThatThrownBy(() -> Finding.overdue(batch, null, SINCE))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("reconciliation must not be null");
    assertThatThrownBy(() -> Finding.stalled(batch, r, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("overdueSince must not be null");
    assertThatThrownBy(() -> Finding.unreadable(null, Stage.SENT, Stage.PROCESSED, SINCE, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("batch must not be null");
    assertThatThrownBy(() -> Finding.unreadable(batch, null, Stage.PROCESSED, SINCE, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("upstream must not be null");
    assertThatThrownBy(() -> Finding.unreadable(batch, Stage.SENT, null, SINCE, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("downstream must not be null");
    assertThatThrownBy(() -> Finding.unreadable(batch, Stage.SENT, Stage.PROCESSED, null, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("dueSince must not be null");
    assertThatThrownBy(() -> Finding.unreadable(batch, Stage.SENT, Stage.PROCESSED, SINCE, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("cause must not be null");
    Finding f = Finding.overdue(batch, r, SINCE);
    assertThatThrownBy(() -> f.overdueFor(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("now must not be null");
  }

  @Test
  void factories_reject_a_finding_that_cannot_be_naming_the_value() {
    BatchId id = halfProcessed();
    BatchInfo batch = tracker.batch(id).orElseThrow();
    BatchId other = BatchId.of("B-OTHER");
    tracker.openBatch(other, 100);
    Reconciliation ofOther = tracker.reconcile(other);
    tracker.markProcessed(id, RecordRange.of(50, 99));
    tracker.flush();
    Reconciliation complete = tracker.reconcile(id);

    assertThatThrownBy(() -> Finding.overdue(batch, ofOther, SINCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reconciliation is of batch B-OTHER, not of batch B-HALF");
    assertThatThrownBy(() -> Finding.stalled(batch, complete, SINCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "a STALLED finding needs records missing or absent upstream: Reconciliation{"
                + "batch=B-HALF, sent->processed, expected=100, missing=0, absentUpstream=0,"
                + " unexpected=0}");
    assertThatThrownBy(
            () -> Finding.unreadable(batch, Stage.SENT, Stage.SENT, SINCE, "stored marks corrupt"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("upstream and downstream must differ: sent -> sent");
  }
}
