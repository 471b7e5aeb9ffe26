package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireNonNull;

import java.time.Instant;

/**
 * What a {@link CompletenessMonitor} tells its {@link DiscrepancyListener}s about one finding: that
 * it appeared, grew, is still there, or was resolved. Immutable.
 */
public final class DiscrepancyEvent {

  /** Why the listener is told. */
  public enum Kind {
    /** The finding appeared this round. */
    NEW,
    /** More records are missing downstream than when the finding was last reported. */
    GROWN,
    /** The finding is unchanged and was last reported {@code renotifyAfter} or longer ago. */
    REMINDER,
    /** The batch is now complete for the stage pair; the finding is the one last reported. */
    RESOLVED
  }

  private final Kind kind;
  private final Finding finding;
  private final Instant at;
  private final long epoch;

  DiscrepancyEvent(Kind kind, Finding finding, Instant at) {
    this(kind, finding, at, 0);
  }

  DiscrepancyEvent(Kind kind, Finding finding, Instant at, long epoch) {
    this.kind = requireNonNull(kind, "kind");
    this.finding = requireNonNull(finding, "finding");
    this.at = requireNonNull(at, "at");
    this.epoch = epoch;
  }

  /**
   * An event of {@code kind} about {@code finding}, raised by the round that ran {@code at}: the
   * factory the others call, for tests that go through every kind.
   *
   * @throws NullPointerException if an argument is null
   */
  public static DiscrepancyEvent of(Kind kind, Finding finding, Instant at) {
    return new DiscrepancyEvent(kind, finding, at);
  }

  /**
   * A {@link Kind#NEW} event: {@code finding} appeared in the round that ran {@code at}.
   *
   * @throws NullPointerException if an argument is null
   */
  public static DiscrepancyEvent newFinding(Finding finding, Instant at) {
    return of(Kind.NEW, finding, at);
  }

  /**
   * A {@link Kind#GROWN} event: {@code finding} has more records missing than when it was last
   * reported.
   *
   * @throws NullPointerException if an argument is null
   */
  public static DiscrepancyEvent grown(Finding finding, Instant at) {
    return of(Kind.GROWN, finding, at);
  }

  /**
   * A {@link Kind#REMINDER} event: {@code finding} is unchanged and due to be reported again.
   *
   * @throws NullPointerException if an argument is null
   */
  public static DiscrepancyEvent reminder(Finding finding, Instant at) {
    return of(Kind.REMINDER, finding, at);
  }

  /**
   * A {@link Kind#RESOLVED} event: the batch of {@code finding}, the finding last reported, is
   * complete (or readable again) for its stage pair.
   *
   * @throws NullPointerException if an argument is null
   */
  public static DiscrepancyEvent resolved(Finding finding, Instant at) {
    return of(Kind.RESOLVED, finding, at);
  }

  /** Why the listener is told. */
  public Kind kind() {
    return kind;
  }

  /**
   * The finding: the current one, or for {@link Kind#RESOLVED} the one last reported (so a message
   * can say what was resolved).
   */
  public Finding finding() {
    return finding;
  }

  /** When the monitor round that raised the event ran, by the tracker's clock. */
  public Instant at() {
    return at;
  }

  /**
   * Which finding of its batch and stage pair this is: every finding a monitor opens on a pair (its
   * {@link Kind#NEW}) gets an epoch larger than the pair's earlier findings had, and every event
   * about that finding, from any monitor instance, carries the same epoch. 0 for an event made with
   * the public factories, which belongs to no monitor.
   */
  public long findingEpoch() {
    return epoch;
  }

  /**
   * A key that names the finding across monitor instances, restarts and repeated deliveries: batch,
   * stage pair, whether the finding is about the marks being unreadable, and {@link
   * #findingEpoch()}, as in {@code B-1/sent/processed/1598180400000} or {@code
   * B-2/sent/processed/unreadable/1598180460000}. At most 255 characters.
   *
   * <p>Listeners are told at least once: an event may be told again when a monitor died (or its
   * store failed) after telling it and before recording that it did. A listener that must not act
   * twice deduplicates on this key and {@link #kind()}: a finding has one {@link Kind#NEW} and one
   * {@link Kind#RESOLVED}; {@link Kind#GROWN} and {@link Kind#REMINDER} may come several times per
   * finding by design. PagerDuty's {@code dedup_key} is such a key.
   */
  public String idempotencyKey() {
    return finding.batchId().value()
        + "/"
        + finding.upstream()
        + "/"
        + finding.downstream()
        + (finding.kind() == Finding.Kind.UNREADABLE ? "/unreadable" : "")
        + "/"
        + epoch;
  }

  @Override
  public String toString() {
    return "DiscrepancyEvent{" + kind + " at " + at + ": " + finding + "}";
  }
}
