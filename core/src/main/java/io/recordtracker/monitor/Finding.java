package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireNonNull;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One discrepancy a {@link CompletenessMonitor} round found: a batch that, for one watched stage
 * pair, is {@linkplain Kind#OVERDUE overdue}, {@linkplain Kind#STALLED stalled} or {@linkplain
 * Kind#PAST_DEADLINE past its deadline}, or whose marks cannot be read at all ({@linkplain
 * Kind#UNREADABLE unreadable}). Immutable.
 */
public final class Finding {

  /** What is wrong with the batch. */
  public enum Kind {
    /**
     * No stage of the batch (neither stage of the pair, nor any other) was marked for the grace
     * period and records are still missing downstream or were never marked upstream: processing
     * stopped. A batch whose downstream stage is still being marked is never overdue.
     */
    OVERDUE,
    /** The batch has been open longer than the deadline and its upstream stage was never marked. */
    STALLED,
    /**
     * The batch was due to be checked but its marks could not be read (corrupt or inconsistent
     * stored marks), while the store answered for the batch itself: {@link #cause()} says why. Its
     * {@link #reconciliation()} is {@linkplain Reconciliation#empty empty}: nothing is known about
     * its records until it can be read again.
     */
    UNREADABLE,
    /**
     * The batch is still progressing (a stage of it was marked within the grace period) but has
     * been incomplete for longer than the deadline since it was opened: it will not be done in
     * time. Never reported for a batch not sealed yet.
     */
    PAST_DEADLINE
  }

  private final Kind kind;
  private final BatchInfo batch;
  private final Reconciliation reconciliation;
  private final Instant overdueSince;
  private final String cause;

  private Finding(
      Kind kind,
      BatchInfo batch,
      Reconciliation reconciliation,
      Instant overdueSince,
      String cause) {
    this.kind = kind;
    this.batch = batch;
    this.reconciliation = reconciliation;
    this.overdueSince = overdueSince;
    this.cause = cause;
  }

  /**
   * An {@link Kind#OVERDUE} finding, as a monitor makes it: no stage of {@code batch} was marked
   * for a grace period before {@code overdueSince}, and {@code reconciliation} still finds records
   * missing downstream or never marked upstream. For tests of a {@link DiscrepancyListener}; a
   * {@link io.recordtracker.RecordTracker} with the in-memory store gives the reconciliation.
   *
   * @param batch the batch as the store knows it
   * @param reconciliation the batch's reconciliation of the stage pair watched
   * @param overdueSince since when the batch is overdue
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reconciliation} is not of {@code batch}, or is
   *     complete (nothing missing, nothing absent upstream: no finding)
   */
  public static Finding overdue(
      BatchInfo batch, Reconciliation reconciliation, Instant overdueSince) {
    return discrepancy(Kind.OVERDUE, batch, reconciliation, overdueSince);
  }

  /**
   * A {@link Kind#STALLED} finding, as a monitor makes it: {@code batch} was opened a deadline
   * before {@code overdueSince} and its upstream stage was never marked, so {@code reconciliation}
   * finds its records never marked upstream; or {@code batch} is unsealed ({@link
   * BatchInfo#isSealed()}) and no stage of it was marked for a deadline before {@code
   * overdueSince}, whatever its reconciliation finds. For tests of a {@link DiscrepancyListener}.
   *
   * @param batch the batch as the store knows it
   * @param reconciliation the batch's reconciliation of the stage pair watched
   * @param overdueSince since when the batch is stalled: its opening (or, unsealed, its last mark)
   *     plus the deadline
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reconciliation} is not of {@code batch}, or is of a
   *     sealed batch and complete (nothing missing, nothing absent upstream: no finding)
   */
  public static Finding stalled(
      BatchInfo batch, Reconciliation reconciliation, Instant overdueSince) {
    return discrepancy(Kind.STALLED, batch, reconciliation, overdueSince);
  }

  /**
   * A {@link Kind#PAST_DEADLINE} finding, as a monitor makes it: {@code batch} was opened a
   * deadline before {@code overdueSince}, is still being marked, and {@code reconciliation} still
   * finds records missing downstream or never marked upstream. For tests of a {@link
   * DiscrepancyListener}.
   *
   * @param batch the batch as the store knows it
   * @param reconciliation the batch's reconciliation of the stage pair watched
   * @param overdueSince since when the batch is past its deadline: its opening plus the deadline
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reconciliation} is not of {@code batch}, or is
   *     complete (nothing missing, nothing absent upstream: no finding)
   */
  public static Finding pastDeadline(
      BatchInfo batch, Reconciliation reconciliation, Instant overdueSince) {
    return discrepancy(Kind.PAST_DEADLINE, batch, reconciliation, overdueSince);
  }

  /**
   * An {@link Kind#UNREADABLE} finding: reading {@code batch}'s marks of the stage pair failed with
   * {@code cause}. Its {@link #reconciliation()} is {@linkplain Reconciliation#empty empty}.
   *
   * @param batch the batch as the store knows it
   * @param upstream the stage records should have reached first
   * @param downstream the stage records should have reached next
   * @param dueSince since when the batch was due to be checked
   * @param cause why the marks could not be read: the store's message
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code upstream} and {@code downstream} are the same
   */
  public static Finding unreadable(
      BatchInfo batch, Stage upstream, Stage downstream, Instant dueSince, String cause) {
    requireNonNull(batch, "batch");
    requireNonNull(upstream, "upstream");
    requireNonNull(downstream, "downstream");
    requireNonNull(dueSince, "dueSince");
    requireNonNull(cause, "cause");
    if (upstream.equals(downstream)) {
      throw new IllegalArgumentException(
          "upstream and downstream must differ: " + upstream + " -> " + downstream);
    }
    return new Finding(
        Kind.UNREADABLE,
        batch,
        Reconciliation.empty(batch.id(), upstream, downstream, batch.expectedRecords()),
        dueSince,
        cause);
  }

  private static Finding discrepancy(
      Kind kind, BatchInfo batch, Reconciliation reconciliation, Instant overdueSince) {
    requireNonNull(batch, "batch");
    requireNonNull(reconciliation, "reconciliation");
    requireNonNull(overdueSince, "overdueSince");
    if (!reconciliation.batch().equals(batch.id())) {
      throw new IllegalArgumentException(
          "reconciliation is of batch " + reconciliation.batch() + ", not of batch " + batch.id());
    }
    // An unsealed batch is stalled by time alone: its sender stopped before sealing it.
    boolean unsealedStall = kind == Kind.STALLED && !reconciliation.isSealed();
    if (reconciliation.missingCount() == 0
        && reconciliation.absentUpstreamCount() == 0
        && !unsealedStall) {
      throw new IllegalArgumentException(
          "a " + kind + " finding needs records missing or absent upstream: " + reconciliation);
    }
    return new Finding(kind, batch, reconciliation, overdueSince, null);
  }

  /** Overdue, stalled, past its deadline or unreadable. */
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

  /**
   * The reconciliation of the stage pair that made the finding: missing ranges, counts. For an
   * {@link Kind#UNREADABLE} finding an {@linkplain Reconciliation#empty empty} one, since none
   * could be made.
   */
  public Reconciliation reconciliation() {
    return reconciliation;
  }

  /**
   * Since when the batch is overdue: its last mark (at any stage) plus the grace period; for a
   * stalled batch its opening plus the deadline (unsealed: its last mark plus the deadline); for a
   * batch past its deadline, its opening plus the deadline. For an unreadable batch, the same:
   * since when it was due to be checked.
   */
  public Instant overdueSince() {
    return overdueSince;
  }

  /**
   * Why the batch's marks could not be read (the store's message, naming the batch, stage and row
   * where it can) for an {@link Kind#UNREADABLE} finding; empty for the other kinds.
   */
  public Optional<String> cause() {
    return Optional.ofNullable(cause);
  }

  /**
   * How long the batch has been overdue at {@code now}; zero if {@code now} is earlier.
   *
   * @throws NullPointerException if {@code now} is null
   */
  public Duration overdueFor(Instant now) {
    requireNonNull(now, "now");
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
        && overdueSince.equals(f.overdueSince)
        && Objects.equals(cause, f.cause);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, batch.id(), upstream(), downstream(), overdueSince);
  }

  /** A one-line summary for logs. */
  @Override
  public String toString() {
    if (cause != null) {
      return "Finding{"
          + kind
          + ", batch="
          + batch.id()
          + ", "
          + upstream()
          + "->"
          + downstream()
          + ", overdueSince="
          + overdueSince
          + ", cause="
          + cause
          + "}";
    }
    return "Finding{" + kind + ", overdueSince=" + overdueSince + ", " + reconciliation + "}";
  }
}
