package io.recordtracker;

import io.recordtracker.internal.Arguments;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps maintenance (a patch script, a deploy) from starting while records are being processed:
 * {@link #awaitQuiet(Duration)} waits until {@link RecordTracker#inFlight(Duration)} is empty.
 *
 * <pre>{@code
 * MaintenanceGate gate = MaintenanceGate.builder(tracker).window(Duration.ofMinutes(10)).build();
 * if (!gate.awaitQuiet(Duration.ofMinutes(30))) {
 *   throw new IllegalStateException("still processing: " + gate.status());
 * }
 * applyPatch();
 * }</pre>
 *
 * <p>The gate only reports: it does not stop new batches from starting after it opened. Pause the
 * senders first when that matters. Marks that a tracker has buffered but not flushed yet are not
 * seen, so a window of several flush intervals is wise.
 *
 * <p>The gate fails safe: when the store fails it throws rather than open, and a batch whose marks
 * cannot be read (corrupt or inconsistent stored marks) counts as in flight, so the gate stays
 * closed and {@link #status()} names the batch and why ("batch X unreadable: ..."). A batch purged
 * meanwhile is not in flight. Thread-safe.
 *
 * <p>The gate and a {@link io.recordtracker.monitor.CompletenessMonitor} agree when the window is
 * no longer than the monitor's grace (the defaults: 10 and 15 minutes): a batch in flight (a stage
 * marked within the window) is never overdue (no stage marked for the grace) at the same instant.
 */
public final class MaintenanceGate {

  /** The window of recent marks when none is set: 10 minutes. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);

  /** How often the gate asks the store while it waits, when none is set: 5 seconds. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(MaintenanceGate.class);

  /** Waits between polls; tests replace it to advance a clock instead of sleeping. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final RecordTracker tracker;
  private final Duration window;
  private final Duration pollInterval;
  private final Sleeper sleeper;

  private MaintenanceGate(Builder b) {
    this.tracker = b.tracker;
    this.window = b.window;
    this.pollInterval = b.pollInterval;
    this.sleeper = b.sleeper;
  }

  /**
   * A builder for a gate over {@code tracker}'s store.
   *
   * @throws NullPointerException if {@code tracker} is null
   */
  public static Builder builder(RecordTracker tracker) {
    return new Builder(Arguments.requireNonNull(tracker, "tracker"));
  }

  /**
   * The batches in flight now, as {@code tracker.inFlight(window)}.
   *
   * @throws TrackerStoreException if the store fails
   */
  public List<BatchInfo> inFlight() {
    return tracker.inFlight(window);
  }

  /**
   * The batches in flight now and which of them are unreadable, with why, as {@code
   * tracker.inFlightReport(window)}.
   *
   * @throws TrackerStoreException if the store fails
   */
  public InFlightReport inFlightReport() {
    return tracker.inFlightReport(window);
  }

  /**
   * Asks the store now and says what keeps the gate closed: "nothing in flight", or the batches in
   * flight with, for each unreadable one, "batch X unreadable: why".
   *
   * @throws TrackerStoreException if the store fails
   */
  public String status() {
    return inFlightReport().describe();
  }

  /**
   * Waits until no batch is in flight, asking the store every {@code pollInterval}; time is read
   * from the tracker's clock. Returns at once if none is in flight now.
   *
   * @param timeout how long to wait at most; zero asks once
   * @return true when nothing is in flight; false if something still was when {@code timeout} ran
   *     out (never throws for a timeout: the caller decides what a busy system means). A batch that
   *     cannot be read keeps it false until it is repaired or purged; {@link #status()} says which
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if the thread is interrupted while waiting
   * @throws TrackerStoreException if the store fails: the gate cannot tell, so it does not open
   */
  public boolean awaitQuiet(Duration timeout) throws InterruptedException {
    Arguments.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be null or negative: " + timeout);
    }
    Instant deadline = tracker.clock().instant().plus(timeout);
    boolean logged = false;
    while (true) {
      InFlightReport report = inFlightReport();
      List<BatchInfo> busy = report.batches();
      if (busy.isEmpty()) {
        if (logged) {
          log.info("No batch in flight any more: maintenance may start");
        }
        return true;
      }
      Duration left = Duration.between(tracker.clock().instant(), deadline);
      if (left.isNegative() || left.isZero()) {
        log.warn("Still in flight after waiting {}: {}", timeout, report.describe());
        return false;
      }
      if (!logged) {
        log.info("Waiting up to {} for {}", timeout, report.describe());
        logged = true;
      }
      sleeper.sleep(left.compareTo(pollInterval) < 0 ? left : pollInterval);
    }
  }

  @Override
  public String toString() {
    return "MaintenanceGate{window=" + window + ", pollInterval=" + pollInterval + "}";
  }

  /**
   * Builds a {@link MaintenanceGate}. Each setter rejects a bad argument at once: null with a
   * {@link NullPointerException} naming the setting, a bad value with an {@link
   * IllegalArgumentException} naming the setting and the value.
   */
  public static final class Builder {
    private final RecordTracker tracker;
    private Duration window = DEFAULT_WINDOW;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    private Builder(RecordTracker tracker) {
      this.tracker = tracker;
    }

    /**
     * A batch counts as in flight if some stage was marked within this window and it is not
     * complete; default 10 minutes. Keep it no longer than the monitor's {@linkplain
     * io.recordtracker.monitor.CompletenessMonitor.Builder#grace grace}, so that no batch is in
     * flight and overdue at once.
     *
     * @throws NullPointerException if {@code window} is null
     * @throws IllegalArgumentException if {@code window} is not positive
     */
    public Builder window(Duration window) {
      this.window = Arguments.requirePositive(window, "window");
      return this;
    }

    /**
     * How often to ask the store while waiting; default 5 seconds.
     *
     * @throws NullPointerException if {@code pollInterval} is null
     * @throws IllegalArgumentException if {@code pollInterval} is not positive
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = Arguments.requirePositive(pollInterval, "pollInterval");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    /** The gate. */
    public MaintenanceGate build() {
      return new MaintenanceGate(this);
    }
  }
}
