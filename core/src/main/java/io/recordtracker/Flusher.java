package io.recordtracker;

import io.recordtracker.spi.StoreClock;
import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a tracker's buffered marks to its store: on a background thread every {@code
 * flushInterval}, sooner once {@code flushThreshold} records are buffered or a marker waits for
 * room, and on the caller's thread in {@link #flush()}.
 *
 * <ol>
 *   <li>One flush runs at a time, under a fair lock: a {@link #flush()} caller queued behind the
 *       background thread's store call goes next, so its wait is bounded even while the store
 *       fails.
 *   <li>A failed flush keeps its marks buffered; the background thread retries with a backoff that
 *       doubles from {@value #MIN_RETRY_BACKOFF_MILLIS} ms to {@link
 *       RecordTracker#MAX_RETRY_BACKOFF_MILLIS}. The first failure of an outage and the recovery
 *       are logged once each.
 *   <li>Marks the store rejects (their batch is gone) are set aside by {@link RejectedMarks}; the
 *       rest are merged again.
 *   <li>The background thread also resyncs a store-following clock, so that no marking thread ever
 *       waits for that store call.
 * </ol>
 */
final class Flusher {

  private static final long MIN_RETRY_BACKOFF_MILLIS = 50;
  private static final AtomicInteger FLUSHERS = new AtomicInteger();

  // The tracker's logger, so that users' logging configuration keeps applying to these lines.
  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);

  private final TrackerStore store;
  private final Clock clock;

  /** The clock to resync when it follows the store's; null otherwise. */
  private final StoreClock storeClock;

  private final Duration flushInterval;
  private final int flushThreshold;
  private final MarkBuffers buffers;
  private final TrackerCounters counters;
  private final RejectedMarks rejected;

  // Fair, so that a flush() caller queued behind the flusher's store call goes next: the flusher,
  // woken by a mark at the buffer bound, would otherwise barge in again and again while the store
  // is failing, and the caller's wait would have no bound.
  private final ReentrantLock flushLock = new ReentrantLock(true);
  private final ReentrantLock wakeLock = new ReentrantLock();
  private final Condition wake = wakeLock.newCondition();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile boolean flushRequested;

  // Outage state; failingSinceNanos is guarded by flushLock.
  private volatile boolean failing;
  private long failingSinceNanos;

  Flusher(
      TrackerStore store,
      Clock clock,
      StoreClock storeClock,
      Duration flushInterval,
      int flushThreshold,
      MarkBuffers buffers,
      TrackerCounters counters) {
    this.store = store;
    this.clock = clock;
    this.storeClock = storeClock;
    this.flushInterval = flushInterval;
    this.flushThreshold = flushThreshold;
    this.buffers = buffers;
    this.counters = counters;
    this.rejected = new RejectedMarks(store, buffers, counters);
    this.thread = new Thread(this::run, "record-tracker-flusher-" + FLUSHERS.incrementAndGet());
    thread.setDaemon(true);
  }

  /** Starts the background thread. */
  void start() {
    thread.start();
  }

  /** False while the store is failing flushes. */
  boolean storeHealthy() {
    return !failing;
  }

  /** Counts {@code added} newly buffered records; crossing the threshold wakes the thread. */
  void added(long added) {
    long total = buffers.added(added);
    if (total >= flushThreshold && total - added < flushThreshold) {
      requestFlush();
    }
  }

  /** Wakes the background thread to flush now. */
  void requestFlush() {
    flushRequested = true;
    wakeLock.lock();
    try {
      wake.signal();
    } finally {
      wakeLock.unlock();
    }
  }

  /**
   * Tells the background thread to stop at its next wake-up; {@link #awaitStopped(Duration)} wakes
   * it. A flush it has begun completes.
   */
  void stop() {
    stopped = true;
  }

  /**
   * Wakes the stopped background thread and waits up to {@code timeout} for it to end. It is woken
   * rather than interrupted: an interrupt can break a store's I/O mid-write (H2, for one, closes
   * its file channel when its thread is interrupted).
   */
  void awaitStopped(Duration timeout) {
    requestFlush();
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes every queued mark now, on the caller's thread, after the flush in progress if any.
   *
   * @throws TrackerStoreException if the store fails; the marks are kept for the next try
   */
  void flush() {
    flushLock.lock();
    try {
      flushLocked();
    } finally {
      flushLock.unlock();
    }
  }

  /** Where rejections stand now; pass it to {@link #reportRejected(long)} after flushing. */
  long rejectionMark() {
    return rejected.mark();
  }

  /**
   * Throws for marks set aside since {@code since} (a {@link #rejectionMark()} taken before the
   * caller's flush), and for any not reported to any caller yet.
   *
   * @throws MarksRejectedException if there are such marks
   */
  void reportRejected(long since) {
    rejected.report(since);
  }

  /** Drains and writes every queued buffer; caller holds flushLock. */
  private void flushLocked() {
    MarkBuffers.Drained drained = buffers.drain(clock.instant());
    if (drained.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          store.merge(drained.deltas);
          break;
        } catch (MarksRejectedException e) {
          drained = rejected.setAside(drained, e, attempt);
          if (drained.isEmpty()) {
            noteSuccess();
            return;
          }
        }
      }
    } catch (RuntimeException | Error e) {
      buffers.failed(drained);
      counters.flushFailed();
      noteFailure(e);
      if (e instanceof TrackerStoreException) {
        throw (TrackerStoreException) e;
      }
      throw new TrackerStoreException(
          "flush failed; " + buffers.bufferedRecords() + " records kept for retry: " + e, e);
    }
    counters.flushSucceeded(System.nanoTime() - start);
    for (var delta : drained.deltas) {
      counters.flushed(delta.stage(), delta.marks().getLongCardinality());
    }
    buffers.committed(drained);
    noteSuccess();
    buffers.evictIdle();
  }

  private void noteFailure(Throwable e) {
    if (!failing) {
      failing = true;
      failingSinceNanos = System.nanoTime();
      log.warn(
          "Store {} is failing; {} marked records are buffered and will be retried every {} ms at"
              + " most, none is dropped: {}",
          store,
          buffers.bufferedRecords(),
          RecordTracker.MAX_RETRY_BACKOFF_MILLIS,
          e.toString(),
          e);
    }
  }

  private void noteSuccess() {
    if (failing) {
      failing = false;
      log.warn(
          "Store {} is back after {} ms; buffered marks flushed ({} failed attempts so far)",
          store,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSinceNanos),
          counters.flushFailures());
    }
  }

  private void run() {
    long backoffMillis = MIN_RETRY_BACKOFF_MILLIS;
    while (!stopped) {
      try {
        long waitNanos =
            failing ? TimeUnit.MILLISECONDS.toNanos(backoffMillis) : flushInterval.toNanos();
        wakeLock.lock();
        try {
          while (!stopped && !flushRequested && waitNanos > 0) {
            waitNanos = wake.awaitNanos(waitNanos);
          }
        } finally {
          wakeLock.unlock();
        }
        flushRequested = false;
        if (stopped) {
          return;
        }
        if (storeClock != null) {
          storeClock.resyncIfDue(); // one store call a minute, off the marking threads
        }
        if (!buffers.hasQueued()) {
          buffers.evictIdle(); // a tracker that only reads: its cache must not grow forever
          continue;
        }
        try {
          flush();
          backoffMillis = MIN_RETRY_BACKOFF_MILLIS;
        } catch (TrackerStoreException e) {
          backoffMillis = Math.min(backoffMillis * 2, RecordTracker.MAX_RETRY_BACKOFF_MILLIS);
          log.debug("Background flush failed; retrying in {} ms", backoffMillis, e);
        }
      } catch (InterruptedException e) {
        if (stopped) {
          return;
        }
      } catch (Throwable t) {
        // Never let the flusher die: marks would pile up silently.
        log.error("Unexpected error in flusher; it keeps running", t);
      }
    }
  }
}
