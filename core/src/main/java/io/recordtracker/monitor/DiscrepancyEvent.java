package io.recordtracker.monitor;

import java.time.Instant;
import java.util.Objects;

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

  DiscrepancyEvent(Kind kind, Finding finding, Instant at) {
    this.kind = Objects.requireNonNull(kind);
    this.finding = Objects.requireNonNull(finding);
    this.at = Objects.requireNonNull(at);
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

  @Override
  public String toString() {
    return "DiscrepancyEvent{" + kind + " at " + at + ": " + finding + "}";
  }
}
