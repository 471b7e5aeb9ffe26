package io.recordtracker.monitor;

import io.recordtracker.RecordTrackerException;

/**
 * A round's events delivered only in part: the first {@link #delivered()} were taken, the rest were
 * not. Thrown by this package's listeners from {@link RoundDiscrepancyListener#onRound}, so that
 * the monitor offers again only the events not taken, as it does for a listener it calls one event
 * at a time. Its message and cause are those of the failure that stopped delivery.
 */
final class PartialDeliveryException extends RecordTrackerException {

  private static final long serialVersionUID = 1L;

  private final int delivered;

  PartialDeliveryException(int delivered, RuntimeException failure) {
    super(failure.getMessage(), failure.getCause());
    this.delivered = delivered;
  }

  /** How many events, from the first, were delivered before the failure. */
  int delivered() {
    return delivered;
  }
}
