package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/** An in-memory store whose batch listing fails on demand and records the queries it gets. */
final class FlakyStore implements TrackerStore {
  private final TrackerStore delegate = TrackerStore.inMemory();
  final AtomicInteger failNextListings = new AtomicInteger();
  final List<BatchQuery> queries = new CopyOnWriteArrayList<>();

  @Override
  public BatchInfo openBatch(BatchInfo batch) {
    return delegate.openBatch(batch);
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    return delegate.findBatch(id);
  }

  @Override
  public void merge(List<MarkDelta> deltas) {
    delegate.merge(deltas);
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    return delegate.load(batch, stage);
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    queries.add(query);
    if (failNextListings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new TrackerStoreException("database unreachable (simulated)");
    }
    return delegate.batches(query);
  }

  @Override
  public void recordCompletion(BatchId batch, Instant at) {
    delegate.recordCompletion(batch, at);
  }

  @Override
  public int delete(Collection<BatchId> batches) {
    return delegate.delete(batches);
  }
}
