package io.recordtracker;

import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/** Delegates to an in-memory store; merges fail while {@link #down} is set. */
final class FlakyStore implements TrackerStore {

  final TrackerStore delegate = TrackerStore.inMemory();
  volatile boolean down;
  final AtomicInteger failedMerges = new AtomicInteger();
  final AtomicInteger merges = new AtomicInteger();

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
    if (down) {
      failedMerges.incrementAndGet();
      throw new TrackerStoreException("store is down (test)");
    }
    merges.incrementAndGet();
    delegate.merge(deltas);
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    return delegate.load(batch, stage);
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
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
