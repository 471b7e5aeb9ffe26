package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.ForwardingTrackerStore;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/**
 * An in-memory store whose batch listing fails on demand and records the queries it gets; the marks
 * of the batches in {@link #unreadable} fail to load as a corrupt row does, and while {@link #down}
 * is set every call but the listing fails, as when the database goes away mid-round.
 */
final class FlakyStore extends ForwardingTrackerStore {
  final AtomicInteger failNextListings = new AtomicInteger();
  final List<BatchQuery> queries = new CopyOnWriteArrayList<>();
  final Set<BatchId> unreadable = ConcurrentHashMap.newKeySet();
  volatile boolean down;

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    queries.add(query);
    if (failNextListings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new TrackerStoreException("database unreachable (simulated)");
    }
    return super.batches(query);
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    if (down) {
      throw new TrackerStoreException("database went away (simulated)");
    }
    return super.findBatch(id);
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    if (down) {
      throw new TrackerStoreException("database went away (simulated)");
    }
    if (unreadable.contains(batch)) {
      throw new TrackerStoreException(
          "stored marks of batch " + batch + ", stage " + stage + " are corrupt (simulated)");
    }
    return super.load(batch, stage);
  }
}
