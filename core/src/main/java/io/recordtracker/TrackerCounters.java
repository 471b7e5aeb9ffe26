package io.recordtracker;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link RecordTracker#stats()}; each is safe to bump from any thread. */
final class TrackerCounters {

  private final ConcurrentHashMap<Stage, LongAdder> flushedRecords = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Stage, LongAdder> rejectedRecords = new ConcurrentHashMap<>();
  private final AtomicLong flushes = new AtomicLong();
  private final AtomicLong flushFailures = new AtomicLong();
  private final AtomicLong flushNanos = new AtomicLong();
  private final AtomicLong reconciles = new AtomicLong();
  private final AtomicLong reconcileNanos = new AtomicLong();

  void flushed(Stage stage, long records) {
    flushedRecords.computeIfAbsent(stage, s -> new LongAdder()).add(records);
  }

  void rejected(Stage stage, long records) {
    rejectedRecords.computeIfAbsent(stage, s -> new LongAdder()).add(records);
  }

  void flushSucceeded(long nanos) {
    flushNanos.addAndGet(nanos);
    flushes.incrementAndGet();
  }

  void flushFailed() {
    flushFailures.incrementAndGet();
  }

  long flushFailures() {
    return flushFailures.get();
  }

  void reconciled(long nanos) {
    reconcileNanos.addAndGet(nanos);
    reconciles.incrementAndGet();
  }

  TrackerStats snapshot(long bufferedRecords, boolean storeHealthy) {
    return new TrackerStats(
        sums(flushedRecords),
        sums(rejectedRecords),
        bufferedRecords,
        flushes.get(),
        flushFailures.get(),
        Duration.ofNanos(flushNanos.get()),
        reconciles.get(),
        Duration.ofNanos(reconcileNanos.get()),
        storeHealthy);
  }

  private static Map<Stage, Long> sums(Map<Stage, LongAdder> counts) {
    Map<Stage, Long> sums = new TreeMap<>();
    counts.forEach((stage, n) -> sums.put(stage, n.sum()));
    return sums;
  }
}
