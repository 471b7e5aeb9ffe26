package io.recordtracker.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of a {@link CompletenessMonitor}'s rounds since it was built, for metrics and health
 * checks: how many succeeded and failed, how long they took, and when the last one succeeded. See
 * {@link CompletenessMonitor#stats()}. Immutable.
 *
 * @param rounds rounds that completed (a listener failing does not fail a round)
 * @param failedRounds rounds that failed because the store did (or anything else threw)
 * @param roundTime total time the completed rounds took
 * @param lastSuccessAt when the last completed round ran, by the tracker's clock; empty before the
 *     first
 */
public record MonitorStats(
    long rounds, long failedRounds, Duration roundTime, Optional<Instant> lastSuccessAt) {

  /**
   * Checks the arguments.
   *
   * @throws NullPointerException if {@code roundTime} or {@code lastSuccessAt} is null
   */
  public MonitorStats {
    java.util.Objects.requireNonNull(roundTime, "roundTime must not be null");
    java.util.Objects.requireNonNull(lastSuccessAt, "lastSuccessAt must not be null");
  }

  /**
   * How long ago, at {@code now}, the last round completed; empty before the first. Zero if {@code
   * now} is earlier.
   *
   * @throws NullPointerException if {@code now} is null
   */
  public Optional<Duration> sinceLastSuccess(Instant now) {
    java.util.Objects.requireNonNull(now, "now must not be null");
    return lastSuccessAt.map(
        at -> {
          Duration d = Duration.between(at, now);
          return d.isNegative() ? Duration.ZERO : d;
        });
  }
}
