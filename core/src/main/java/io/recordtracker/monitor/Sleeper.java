package io.recordtracker.monitor;

import java.time.Duration;

/**
 * Waits between attempts: the monitor package's one way to pause, so that tests replace it to see
 * the waits without waiting.
 */
@FunctionalInterface
interface Sleeper {

  /** Sleeps on the calling thread. */
  Sleeper THREAD = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

  /**
   * Waits for {@code duration}.
   *
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  void sleep(Duration duration) throws InterruptedException;
}
