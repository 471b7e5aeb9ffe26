package io.recordtracker.spi;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A clock that tells a store's time (the database server's, shared by every host that uses the
 * store) without asking the store on every call: this host's clock plus the offset to the store's
 * clock, measured when built and again by {@link #resyncIfDue()} once {@link #RESYNC_INTERVAL} has
 * passed. Hosts whose clocks disagree by minutes then stamp opened-at, last-marked and completion
 * times, and judge grace periods and deadlines, by one clock.
 *
 * <p>{@link #instant()} does no I/O; {@link #resyncIfDue()} does one store call and is meant for a
 * background thread. A measurement takes the middle of the call's round trip, so the offset is
 * exact to half a round trip. While the store cannot tell its time, the last offset is kept (0
 * before the first measurement). Thread-safe.
 */
public final class StoreClock extends Clock {

  /** How often {@link #resyncIfDue()} measures the offset again. */
  public static final Duration RESYNC_INTERVAL = Duration.ofMinutes(1);

  /** Offsets beyond this are logged at INFO when measured: a host's clock worth fixing. */
  private static final Duration NOTABLE_OFFSET = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(StoreClock.class);

  private final Supplier<Optional<Instant>> storeTime;
  private final Clock host;
  private final String storeName;
  private volatile long offsetNanos;
  private volatile long measuredAtNanos;
  private volatile boolean measured;
  private volatile boolean warned;

  private StoreClock(Supplier<Optional<Instant>> storeTime, Clock host, String storeName) {
    this.storeTime = storeTime;
    this.host = host;
    this.storeName = storeName;
  }

  /**
   * A clock following {@code store}'s {@link TrackerStore#currentTime()}, measured once now (a
   * failure is logged and leaves the offset at 0 until a later measurement succeeds).
   *
   * @param store the store whose time to follow
   * @return the clock
   * @throws NullPointerException if {@code store} is null
   */
  public static StoreClock following(TrackerStore store) {
    Objects.requireNonNull(store, "store must not be null");
    return following(store::currentTime, Clock.systemUTC(), store.toString());
  }

  /**
   * A clock following {@code storeTime}, with {@code host} as this host's clock; for stores that
   * tell their time in their own way, and for tests that skew a host's clock.
   *
   * @param storeTime the store's current time, or empty if it cannot tell
   * @param host this host's clock
   * @param storeName names the store in log lines
   * @return the clock, measured once
   * @throws NullPointerException if an argument is null
   */
  public static StoreClock following(
      Supplier<Optional<Instant>> storeTime, Clock host, String storeName) {
    StoreClock clock =
        new StoreClock(
            Objects.requireNonNull(storeTime, "storeTime must not be null"),
            Objects.requireNonNull(host, "host must not be null"),
            Objects.requireNonNull(storeName, "storeName must not be null"));
    clock.resync();
    return clock;
  }

  /**
   * Measures the offset again if the last measurement is older than {@link #RESYNC_INTERVAL}.
   *
   * @return whether it measured
   */
  public boolean resyncIfDue() {
    if (measured && System.nanoTime() - measuredAtNanos < RESYNC_INTERVAL.toNanos()) {
      return false;
    }
    resync();
    return true;
  }

  /** Measures the offset now; a store that cannot tell its time leaves it as it was. */
  public void resync() {
    measuredAtNanos = System.nanoTime();
    try {
      Instant before = host.instant();
      Optional<Instant> store = storeTime.get();
      Instant after = host.instant();
      if (store.isEmpty()) {
        measured = true; // the store has no clock of its own: the host's is the one
        return;
      }
      Instant middle = before.plus(Duration.between(before, after).dividedBy(2));
      long offset = Duration.between(middle, store.get()).toNanos();
      boolean first = !measured;
      long change = Math.abs(offset - offsetNanos);
      offsetNanos = offset;
      measured = true;
      if (Math.abs(offset) >= NOTABLE_OFFSET.toNanos()
          && (first || change >= NOTABLE_OFFSET.toNanos())) {
        log.info(
            "This host's clock is {} ms {} the clock of {}; times are taken from the store's clock",
            Math.abs(offset) / 1_000_000,
            offset < 0 ? "ahead of" : "behind",
            storeName);
      }
    } catch (RuntimeException e) {
      if (!measured && !warned) {
        warned = true;
        // Until a measurement succeeds, times are this host's: say so once, loudly.
        log.warn(
            "Could not read the time of {}; until it can be read, times are taken from this"
                + " host's clock, which may differ from other hosts': {}",
            storeName,
            e.toString());
      } else {
        log.debug(
            "Could not read the time of {}; keeping the offset of {} ns",
            storeName,
            offsetNanos,
            e);
      }
    }
  }

  /**
   * The store's clock minus this host's, as last measured.
   *
   * @return the offset; positive when this host's clock is behind
   */
  public Duration offset() {
    return Duration.ofNanos(offsetNanos);
  }

  @Override
  public Instant instant() {
    return host.instant().plusNanos(offsetNanos);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    if (ZoneOffset.UTC.equals(zone)) {
      return this;
    }
    throw new UnsupportedOperationException("a store clock is in UTC");
  }

  @Override
  public String toString() {
    return "StoreClock{store=" + storeName + ", offset=" + offset() + "}";
  }
}
