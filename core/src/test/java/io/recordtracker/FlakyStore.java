package io.recordtracker;

import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.roaringbitmap.RoaringBitmap;

/**
 * For tests: an in-memory store that fails on demand, each way a real one does, and counts and
 * records what it is asked.
 *
 * <ul>
 *   <li>while {@link #down} is set, merges fail (the tracker's flushes), reads still answer;
 *   <li>while {@link #readsDown} is set, every read but the batch listing fails, as when the
 *       database goes away in the middle of a monitor round;
 *   <li>the marks of the batches in {@link #unreadable} fail to load, as a corrupt row does;
 *   <li>the next {@link #failNextListings} batch listings fail;
 *   <li>the next {@link #answersLost} merges store their deltas, then fail.
 * </ul>
 */
public final class FlakyStore extends ForwardingTrackerStore {

  /** The in-memory store behind this one, to look at what reached it without failing. */
  public final TrackerStore delegate = target();

  /** Merges fail while set. */
  public volatile boolean down;

  /** Finding a batch and loading marks fail while set; listing batches does not. */
  public volatile boolean readsDown;

  /** Batches whose marks fail to load, as corrupt stored marks do. */
  public final Set<BatchId> unreadable = ConcurrentHashMap.newKeySet();

  /** How many of the next batch listings fail. */
  public final AtomicInteger failNextListings = new AtomicInteger();

  /** How many merges failed. */
  public final AtomicInteger failedMerges = new AtomicInteger();

  /** How many merges reached the store behind. */
  public final AtomicInteger merges = new AtomicInteger();

  /** Every batch listing asked for, in order. */
  public final List<BatchQuery> queries = new CopyOnWriteArrayList<>();

  /**
   * How many of the next merges store their deltas and then fail, as a commit whose answer the
   * network lost does.
   */
  public final AtomicInteger answersLost = new AtomicInteger();

  @Override
  public void merge(List<MarkDelta> deltas) {
    if (down) {
      failedMerges.incrementAndGet();
      throw new TrackerStoreException("store is down (test)");
    }
    merges.incrementAndGet();
    super.merge(deltas);
    if (answersLost.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      failedMerges.incrementAndGet();
      throw new TrackerStoreException("connection lost before the commit was acknowledged (test)");
    }
  }

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
    if (readsDown) {
      throw new TrackerStoreException("database went away (simulated)");
    }
    return super.findBatch(id);
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    if (readsDown) {
      throw new TrackerStoreException("database went away (simulated)");
    }
    if (unreadable.contains(batch)) {
      throw new TrackerStoreException(
          "stored marks of batch " + batch + ", stage " + stage + " are corrupt (simulated)");
    }
    return super.load(batch, stage);
  }
}
