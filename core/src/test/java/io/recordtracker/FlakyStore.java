package io.recordtracker;

import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Forwards to an in-memory store; merges fail while {@link #down} is set. */
final class FlakyStore extends ForwardingTrackerStore {

  final TrackerStore delegate = target();
  volatile boolean down;
  final AtomicInteger failedMerges = new AtomicInteger();
  final AtomicInteger merges = new AtomicInteger();

  @Override
  public void merge(List<MarkDelta> deltas) {
    if (down) {
      failedMerges.incrementAndGet();
      throw new TrackerStoreException("store is down (test)");
    }
    merges.incrementAndGet();
    super.merge(deltas);
  }
}
