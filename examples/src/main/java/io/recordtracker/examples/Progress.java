package io.recordtracker.examples;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * One progress line per quarter of a long phase ("processing: 50% (243,000 of 486,000 records)"),
 * whatever the number of threads counting: enough to see it move, never spam.
 */
final class Progress {
  private static final int STEPS = 4;

  private final Logger log;
  private final String phase;
  private final long total;
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong nextStep = new AtomicLong(1);
  private final long startNanos = System.nanoTime();

  Progress(Logger log, String phase, long total) {
    this.log = log;
    this.phase = phase;
    this.total = total;
  }

  /** Counts {@code n} more records done, logging when a quarter is crossed. */
  void add(long n) {
    long now = done.addAndGet(n);
    if (now * STEPS >= nextStep.get() * total && nextStep.get() < STEPS) {
      logCrossed(); // rare: at most STEPS - 1 times per phase
    }
  }

  private synchronized void logCrossed() {
    long now = done.get();
    long crossed = 0;
    // One line for the highest quarter crossed: a chunk that crosses two would log the same
    // count twice ("25% (10,000 of 20,000)", "50% (10,000 of 20,000)").
    for (long step = nextStep.get(); step < STEPS && now * STEPS >= step * total; ) {
      crossed = step;
      step = nextStep.incrementAndGet();
    }
    if (crossed > 0) {
      log.info(
          "{}: {}% ({} of {} records, {} ms)",
          phase,
          100 * crossed / STEPS,
          IncidentReplay.count(now),
          IncidentReplay.count(total),
          (System.nanoTime() - startNanos) / 1_000_000);
    }
  }

  long done() {
    return done.get();
  }
}
