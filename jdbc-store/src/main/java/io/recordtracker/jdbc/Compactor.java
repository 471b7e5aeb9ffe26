package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when a (batch, stage) has enough delta rows to fold, and folds it on one background
 * daemon thread of the store, never on a caller's thread. The counts are only a trigger kept per
 * store instance; correctness never depends on them (a load that sees many rows triggers a fold
 * too, and folds by several stores at once are safe).
 *
 * <p>Folds of one (batch, stage) start at most once per {@link #MIN_FOLD_INTERVAL}: a trigger
 * sooner after the previous fold's start waits for the rest of the interval, and the fold then
 * takes every row appended meanwhile. Under a stream of one-record {@code markWithin} transactions
 * (thousands a second) a fold per {@code threshold} rows would be a transaction of its own every
 * few milliseconds, each rewriting the stage's bitmap, costing the database about as much as the
 * transactions it folds; in bulk, a few folds a second keep the rows bounded (by the rows appended
 * in one interval plus one fold's time) for a small share of that.
 */
final class Compactor implements AutoCloseable {

  /** A (batch, stage) whose delta rows may be folded; sorted by batch, then stage. */
  record Key(BatchId batch, Stage stage) implements Comparable<Key> {
    private static final Comparator<Key> ORDER =
        Comparator.comparing(Key::batch).thenComparing(Key::stage);

    @Override
    public int compareTo(Key other) {
      return ORDER.compare(this, other);
    }
  }

  private static final int MAX_TRACKED_KEYS = 100_000;
  private static final int MAX_QUEUED = 10_000;
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final long CLOSE_WAIT_SECONDS = 10;
  private static final Logger log = LoggerFactory.getLogger(Compactor.class);

  /** The shortest time between the starts of two folds of one (batch, stage). */
  static final Duration MIN_FOLD_INTERVAL = Duration.ofMillis(100);

  private final int threshold;
  private final Consumer<Key> fold;
  private final ConcurrentHashMap<Key, AtomicInteger> appended = new ConcurrentHashMap<>();

  /** Keys whose last fold gained nothing (their rows are at most the size cap), by row count. */
  private final ConcurrentHashMap<Key, Integer> settled = new ConcurrentHashMap<>();

  /** When the last fold of each key started, by {@link System#nanoTime()}. */
  private final ConcurrentHashMap<Key, Long> lastFold = new ConcurrentHashMap<>();

  private final Set<Key> queued = ConcurrentHashMap.newKeySet();
  private final long minIntervalNanos = MIN_FOLD_INTERVAL.toNanos();
  private final ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;

  Compactor(int threshold, Consumer<Key> fold) {
    this.threshold = threshold;
    this.fold = fold;
    this.executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t =
                  new Thread(
                      runnable, "record-tracker-jdbc-compactor-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a fold is optional
  }

  /** Notes that {@code rows} delta rows were appended to {@code key}. */
  void appended(Key key, int rows) {
    if (appended.size() > MAX_TRACKED_KEYS) {
      appended.clear(); // only a trigger: losing counts delays a fold, never loses marks
    }
    AtomicInteger count = appended.computeIfAbsent(key, k -> new AtomicInteger());
    if (count.addAndGet(rows) >= threshold) {
      appended.remove(key, count);
      schedule(key);
    }
  }

  /** Notes that a read found {@code rows} delta rows for {@code key}. */
  void seen(Key key, int rows) {
    if (rows >= threshold && !Integer.valueOf(rows).equals(settled.get(key))) {
      schedule(key);
    }
  }

  /**
   * Notes that folding {@code key}'s {@code rows} rows would write as many rows again (each row is
   * a size-capped part of one large bitmap), so reads seeing that many rows need not fold again.
   */
  void settled(Key key, int rows) {
    if (settled.size() > MAX_TRACKED_KEYS) {
      settled.clear();
    }
    settled.put(key, rows);
  }

  private void schedule(Key key) {
    if (closed || queued.size() >= MAX_QUEUED || !queued.add(key)) {
      return; // queue full: a later append or load schedules it again
    }
    Long last = lastFold.get(key);
    long wait = last == null ? 0 : Math.max(0, last + minIntervalNanos - System.nanoTime());
    try {
      executor.schedule(
          () -> {
            queued.remove(key);
            if (!closed) {
              if (lastFold.size() > MAX_TRACKED_KEYS) {
                lastFold.clear();
              }
              lastFold.put(key, System.nanoTime());
              fold.accept(key);
            }
          },
          wait,
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      queued.remove(key); // queue full or closing: a later append or load schedules it again
    }
  }

  /**
   * Stops folding: queued folds are skipped, and a running one is left to finish (bounded by the
   * store's query timeout), waiting for it up to 10 s. The fold thread is never interrupted: an
   * interrupt during JDBC I/O makes H2 close its file channel, breaking an embedded database for
   * every user in the JVM.
   */
  @Override
  public void close() {
    closed = true;
    executor.shutdown();
    try {
      if (!executor.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        log.warn(
            "A compaction was still running {} s after close; it finishes on its daemon thread",
            CLOSE_WAIT_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
