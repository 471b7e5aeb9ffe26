package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireNonNull;

import io.recordtracker.Reconciliation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs each event as one line to the logger {@code io.recordtracker.monitor.Discrepancies}: a WARN
 * line per new, grown or reminded finding, with the batch id, its attributes, the stage pair, the
 * counts and the first ranges; an ERROR line per new or reminded {@linkplain
 * Finding.Kind#UNREADABLE unreadable} batch, with the cause; an INFO line when a finding is
 * resolved. The default listener of a {@link CompletenessMonitor}.
 */
public final class Slf4jDiscrepancyListener implements DiscrepancyListener {

  /** The name of the logger events go to. */
  public static final String LOGGER_NAME = "io.recordtracker.monitor.Discrepancies";

  private static final int RANGES_SHOWN = 5;

  private final Logger log;

  /** A listener logging to {@value #LOGGER_NAME}. */
  public Slf4jDiscrepancyListener() {
    this(LoggerFactory.getLogger(LOGGER_NAME));
  }

  Slf4jDiscrepancyListener(Logger log) {
    this.log = requireNonNull(log, "log");
  }

  /**
   * Logs the event as the class documentation says.
   *
   * @throws NullPointerException if {@code event} is null
   */
  @Override
  public void onEvent(DiscrepancyEvent event) {
    requireNonNull(event, "event");
    Finding f = event.finding();
    Reconciliation r = f.reconciliation();
    if (f.kind() == Finding.Kind.UNREADABLE) {
      logUnreadable(event, f);
      return;
    }
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      log.info(
          "Resolved: batch {} {}->{} is complete ({}; {} were missing when last reported)"
              + " attributes={}",
          f.batchId(),
          f.upstream(),
          f.downstream(),
          r.isSealed() ? r.expectedRecords() + " records" : "unsealed, marked again",
          r.missingCount(),
          f.batch().attributes());
      return;
    }
    log.warn(
        "{} {}: batch {} {}->{} {} {}: missing={} absentUpstream={} unexpected={} of {};"
            + " missing ranges: {}; absent upstream: {}; attributes={}",
        event.kind(),
        f.kind(),
        f.batchId(),
        f.upstream(),
        f.downstream(),
        f.kind() == Finding.Kind.PAST_DEADLINE
            ? "still being processed, past its deadline by"
            : "overdue by",
        AlertText.duration(f.overdueFor(event.at())),
        r.missingCount(),
        r.absentUpstreamCount(),
        r.unexpectedCount(),
        AlertText.size(r),
        AlertText.firstRanges(r.missing(), RANGES_SHOWN),
        AlertText.firstRanges(r.absentUpstream(), RANGES_SHOWN),
        f.batch().attributes());
  }

  private void logUnreadable(DiscrepancyEvent event, Finding f) {
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      log.info(
          "Resolved: batch {} {}->{} is no longer unreadable (it can be read again, or was purged)"
              + " attributes={}",
          f.batchId(),
          f.upstream(),
          f.downstream(),
          f.batch().attributes());
      return;
    }
    log.error(
        "{} UNREADABLE: batch {} {}->{} cannot be read, so whether records are missing is unknown:"
            + " {}; attributes={}",
        event.kind(),
        f.batchId(),
        f.upstream(),
        f.downstream(),
        f.cause().orElse("unknown cause"),
        f.batch().attributes());
  }

  @Override
  public String toString() {
    return "Slf4jDiscrepancyListener{" + log.getName() + "}";
  }
}
