package io.recordtracker.spi;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link io.recordtracker.monitor.CompletenessMonitor} reported to one listener about one
 * finding, as an {@link AlertStore} keeps it: one row per {@link Key}. Every monitor instance on
 * the store reads and writes these rows, so that each event is told once between them. A store
 * keeps every field as given and compares nothing but {@link #key()} and {@link #version()}.
 *
 * @param key which listener, batch, stage pair and kind of finding
 * @param version incremented by every write; the first stored version is 1
 * @param epoch which finding of the key this is: a new one gets a larger epoch than any before it
 * @param open whether a finding was reported to the listener and not yet resolved
 * @param findingKind the kind of the finding last reported (or being reported)
 * @param incarnation the {@linkplain io.recordtracker.BatchInfo#incarnation() incarnation} of the
 *     batch the finding was about: a batch purged and opened again under the same id is another
 *     batch, whose findings are new
 * @param missingRecords records missing when last reported (or fewer, after a partial resend)
 * @param absentRecords records never marked upstream when last reported
 * @param reportedAt when the round that last told the listener ran (or, before it was ever told,
 *     the round that first claimed it)
 * @param claimed the event a monitor is telling the listener now; null when none
 * @param claimedUntil until when that monitor holds the claim: once past, another takes it over as
 *     if it had died; null when none
 * @param finding the finding last reported, encoded by the monitor; opaque to the store
 */
public record AlertRecord(
    Key key,
    long version,
    long epoch,
    boolean open,
    Finding.Kind findingKind,
    long incarnation,
    long missingRecords,
    long absentRecords,
    Instant reportedAt,
    DiscrepancyEvent.Kind claimed,
    Instant claimedUntil,
    byte[] finding) {

  /**
   * Checks the fields.
   *
   * @throws NullPointerException if a required field is null
   * @throws IllegalArgumentException if {@code version} is below 1, or only one of {@code claimed}
   *     and {@code claimedUntil} is null
   */
  public AlertRecord {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(findingKind, "findingKind must not be null");
    Objects.requireNonNull(reportedAt, "reportedAt must not be null");
    Objects.requireNonNull(finding, "finding must not be null");
    if (version < 1) {
      throw new IllegalArgumentException("version must be at least 1: " + version);
    }
    if ((claimed == null) != (claimedUntil == null)) {
      throw new IllegalArgumentException(
          "claimed and claimedUntil must both be set or both be null: "
              + claimed
              + ", "
              + claimedUntil);
    }
  }

  /**
   * Whether a monitor holds a claim that has not expired at {@code now}.
   *
   * @param now the time to judge the claim at
   * @return true if another monitor must leave the row alone now
   */
  public boolean claimedAt(Instant now) {
    return claimed != null && now.isBefore(claimedUntil);
  }

  /** Equal when every field is, {@link #finding()} by its bytes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof AlertRecord r
        && key.equals(r.key)
        && version == r.version
        && epoch == r.epoch
        && open == r.open
        && findingKind == r.findingKind
        && incarnation == r.incarnation
        && missingRecords == r.missingRecords
        && absentRecords == r.absentRecords
        && reportedAt.equals(r.reportedAt)
        && claimed == r.claimed
        && Objects.equals(claimedUntil, r.claimedUntil)
        && Arrays.equals(finding, r.finding);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, version);
  }

  @Override
  public String toString() {
    return "AlertRecord{"
        + key
        + ", v"
        + version
        + ", epoch="
        + epoch
        + (open ? ", open " : ", settled ")
        + findingKind
        + ", incarnation="
        + incarnation
        + ", missing="
        + missingRecords
        + ", absent="
        + absentRecords
        + ", reportedAt="
        + reportedAt
        + (claimed == null ? "" : ", claimed " + claimed + " until " + claimedUntil)
        + "}";
  }

  /**
   * Which row: the listener (by the name the monitor gives it), the batch, the stage pair, and
   * whether the row is about the pair's marks (overdue, stalled) or their being unreadable.
   *
   * @param listener the listener's name, 1 to 64 characters
   * @param batch the batch
   * @param upstream the upstream stage of the pair
   * @param downstream the downstream stage of the pair
   * @param unreadable whether the row is about the marks being unreadable
   */
  public record Key(
      String listener, BatchId batch, Stage upstream, Stage downstream, boolean unreadable) {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if a field is null
     * @throws IllegalArgumentException if {@code listener} is empty or longer than 64 characters
     */
    public Key {
      Objects.requireNonNull(listener, "listener must not be null");
      Objects.requireNonNull(batch, "batch must not be null");
      Objects.requireNonNull(upstream, "upstream must not be null");
      Objects.requireNonNull(downstream, "downstream must not be null");
      if (listener.isEmpty() || listener.length() > 64) {
        throw new IllegalArgumentException(
            "listener must be 1 to 64 characters: \"" + listener + "\"");
      }
    }

    @Override
    public String toString() {
      return listener
          + ":"
          + batch
          + " "
          + upstream
          + "->"
          + downstream
          + (unreadable ? " (unreadable)" : "");
    }
  }
}
