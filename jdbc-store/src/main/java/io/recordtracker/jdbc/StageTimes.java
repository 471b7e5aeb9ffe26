package io.recordtracker.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advances the last-marked times of stages marked by {@code markWithin}, off the caller's thread
 * and outside the caller's transaction.
 *
 * <p>Upserting the shared per-(batch, stage) row inside the caller's transaction would hold its row
 * lock until the caller commits: every worker marking the batch would then queue behind the longest
 * open business transaction, could deadlock with its row locks, and the flusher's merge of that
 * stage would wait too. Instead the time is noted here (the latest per stage) and written by one
 * background daemon thread in short transactions of its own, several stages at once. It is best
 * effort: a failed write is logged and kept for the next one, and a rollback of the caller's
 * transaction leaves the time advanced without marks, which only means "marked at about then".
 *
 * <p>Writes are at most one per {@link #MIN_WRITE_INTERVAL}: the first time noted after a quiet
 * spell is written at once, later ones wait for the interval to pass since the previous write
 * began, and are written together, each stage's latest. A CIS committing thousands of one-record
 * transactions a second then costs one short transaction (and one pooled connection) per interval,
 * not one per transaction contending with the others on the stage's row.
 */
final class StageTimes implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StageTimes.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final long CLOSE_WAIT_SECONDS = 10;

  /** The shortest time between the starts of two writes of noted times. */
  static final Duration MIN_WRITE_INTERVAL = Duration.ofMillis(200);

  private final Consumer<Map<Compactor.Key, Instant>> write;
  private final ConcurrentHashMap<Compactor.Key, Instant> pending = new ConcurrentHashMap<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ScheduledThreadPoolExecutor executor;
  private final long minIntervalNanos;
  private volatile long lastWriteNanos;
  private volatile boolean closed;

  /**
   * A writer of stage times with no thread yet; one is started on the first {@link #advance}.
   *
   * @param write upserts the given times, each a stage's latest, in one short transaction; throws
   *     if it fails
   */
  StageTimes(Consumer<Map<Compactor.Key, Instant>> write) {
    this.write = write;
    this.minIntervalNanos = MIN_WRITE_INTERVAL.toNanos();
    this.lastWriteNanos = System.nanoTime() - minIntervalNanos;
    this.executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t =
                  new Thread(
                      runnable, "record-tracker-jdbc-stage-times-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.executor.setKeepAliveTime(30, TimeUnit.SECONDS);
    this.executor.allowCoreThreadTimeOut(true); // no idle thread in stores that never markWithin
  }

  /**
   * Notes that {@code key} was marked at {@code at}, and has it written within {@link
   * #MIN_WRITE_INTERVAL} (at once after a quiet spell).
   */
  void advance(Compactor.Key key, Instant at) {
    Instant noted = pending.get(key);
    if (noted == null || at.isAfter(noted)) { // most calls: a plain read, no lock
      pending.merge(key, at, (a, b) -> a.isAfter(b) ? a : b);
    }
    if (closed) {
      writePending(); // a store used after close() has no writer thread left
      return;
    }
    if (scheduled.compareAndSet(false, true)) {
      long wait = Math.max(0, lastWriteNanos + minIntervalNanos - System.nanoTime());
      try {
        executor.schedule(
            () -> {
              scheduled.set(false);
              writePending();
            },
            wait,
            TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // closing: close() writes what is pending
      }
    }
  }

  /**
   * Writes every pending time now, on the calling thread; a failure is logged and kept. One write
   * at a time, so that when this returns, times noted before the call are written even if the
   * background thread had already taken them.
   */
  synchronized void writePending() {
    lastWriteNanos = System.nanoTime();
    Map<Compactor.Key, Instant> batch = new TreeMap<>(); // a fixed lock order for the upserts
    for (Compactor.Key key : pending.keySet()) {
      Instant at = pending.remove(key);
      if (at != null) {
        batch.put(key, at);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    try {
      write.accept(batch);
    } catch (RuntimeException e) {
      batch.forEach((key, at) -> pending.merge(key, at, (a, b) -> a.isAfter(b) ? a : b));
      log.warn(
          "Could not advance the last-marked time of {} stages marked within callers'"
              + " transactions (their marks are unaffected); retried with the next mark: {}",
          batch.size(),
          e.getMessage());
    }
  }

  /**
   * Writes what is pending and stops the thread, never interrupting a write in progress (a write
   * waiting for its interval is run at once).
   */
  @Override
  public void close() {
    closed = true;
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // close() writes them below
    executor.shutdown();
    try {
      executor.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    writePending();
  }
}
