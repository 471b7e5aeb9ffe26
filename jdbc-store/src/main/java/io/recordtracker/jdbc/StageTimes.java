package io.recordtracker.jdbc;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
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
 */
final class StageTimes implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StageTimes.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final long CLOSE_WAIT_SECONDS = 10;

  private final Consumer<Map<Compactor.Key, Instant>> write;
  private final ConcurrentHashMap<Compactor.Key, Instant> pending = new ConcurrentHashMap<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ThreadPoolExecutor executor;
  private volatile boolean closed;

  /**
   * A writer of stage times with no thread yet; one is started on the first {@link #advance}.
   *
   * @param write upserts the given times, each a stage's latest, in one short transaction; throws
   *     if it fails
   */
  StageTimes(Consumer<Map<Compactor.Key, Instant>> write) {
    this.write = write;
    this.executor =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            runnable -> {
              Thread t =
                  new Thread(
                      runnable, "record-tracker-jdbc-stage-times-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.executor.allowCoreThreadTimeOut(true); // no idle thread in stores that never markWithin
  }

  /** Notes that {@code key} was marked at {@code at}, and has it written soon. */
  void advance(Compactor.Key key, Instant at) {
    pending.merge(key, at, (a, b) -> a.isAfter(b) ? a : b);
    if (closed) {
      writePending(); // a store used after close() has no writer thread left
      return;
    }
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(
            () -> {
              scheduled.set(false);
              writePending();
            });
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

  /** Writes what is pending and stops the thread, never interrupting a write in progress. */
  @Override
  public void close() {
    closed = true;
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
