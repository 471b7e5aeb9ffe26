package io.recordtracker.monitor;

import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.ForwardingTrackerStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory store whose batch listing fails on demand and records the queries it gets. */
final class FlakyStore extends ForwardingTrackerStore {
  final AtomicInteger failNextListings = new AtomicInteger();
  final List<BatchQuery> queries = new CopyOnWriteArrayList<>();

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    queries.add(query);
    if (failNextListings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new TrackerStoreException("database unreachable (simulated)");
    }
    return super.batches(query);
  }
}
