package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One discrepancy a {@link CompletenessMonitor} round found: a batch that, for one watched stage
 * pair, is {@linkplain Kind#OVERDUE overdue} or {@linkplain Kind#STALLED stalled}. Immutable.
 */
public final class Finding {

  /** What is wrong with the batch. */
  public enum Kind {
    /**
     * The upstream stage was last marked longer ago than the grace period and records are still
     * missing downstream or were never marked upstream.
     */
    OVERDUE,
    /** The batch has been open longer than the deadline and its upstream stage was never marked. */
    STALLED
  }

  private final Kind kind;
  private final BatchInfo batch;
  private final Reconciliation reconciliation;
  private final Instant overdueSince;

  Finding(Kind kind, BatchInfo batch, Reconciliation reconciliation, Instant overdueSince) {
    this.kind = Objects.requireNonNull(kind);
    this.batch = Objects.requireNonNull(batch);
    this.reconciliation = Objects.requireNonNull(reconciliation);
    this.overdueSince = Objects.requireNonNull(overdueSince);
  }

  /** Overdue or stalled. */
  public Kind kind() {
    return kind;
  }

  /** The batch as the store knew it when the finding was made (id, attributes, times). */
  public BatchInfo batch() {
    return batch;
  }

  /** The batch's id, as {@code batch().id()}. */
  public BatchId batchId() {
    return batch.id();
  }

  /** The stage records should have reached first. */
  public Stage upstream() {
    return reconciliation.upstream();
  }

  /** The stage records should have reached next. */
  public Stage downstream() {
    return reconciliation.downstream();
  }

  /** The reconciliation of the stage pair that made the finding: missing ranges, counts. */
  public Reconciliation reconciliation() {
    return reconciliation;
  }

  /**
   * Since when the batch is overdue: its last upstream mark plus the grace period, or for a stalled
   * batch its opening plus the deadline.
   */
  public Instant overdueSince() {
    return overdueSince;
  }

  /** How long the batch has been overdue at {@code now}; zero if {@code now} is earlier. */
  public Duration overdueFor(Instant now) {
    Duration d = Duration.between(overdueSince, now);
    return d.isNegative() ? Duration.ZERO : d;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Finding)) {
      return false;
    }
    Finding f = (Finding) o;
    return kind == f.kind
        && batch.equals(f.batch)
        && reconciliation.upstream().equals(f.reconciliation.upstream())
        && reconciliation.downstream().equals(f.reconciliation.downstream())
        && reconciliation.missing().equals(f.reconciliation.missing())
        && reconciliation.absentUpstream().equals(f.reconciliation.absentUpstream())
        && overdueSince.equals(f.overdueSince);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, batch.id(), upstream(), downstream(), overdueSince);
  }

  /** A one-line summary for logs. */
  @Override
  public String toString() {
    return "Finding{" + kind + ", overdueSince=" + overdueSince + ", " + reconciliation + "}";
  }
}
