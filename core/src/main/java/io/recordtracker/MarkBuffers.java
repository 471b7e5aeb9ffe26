package io.recordtracker;

import io.recordtracker.spi.MarkDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.roaringbitmap.RoaringBitmap;

/**
 * A tracker's write buffers: the cache of batch states, the queue of buffers that hold marks, and
 * the count of buffered records that bounds memory.
 *
 * <p>Buffered records are counted as they become newly buffered, so marking a record twice costs
 * nothing against the bound. When the count reaches {@code maxBufferedRecords}, {@link
 * #awaitRoom()} blocks markers until a flush drains it: marks are never dropped.
 */
final class MarkBuffers {

  private final ConcurrentHashMap<BatchId, BatchState> batches = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<StageBuffer> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong buffered = new AtomicLong();
  private final long maxBufferedRecords;
  private final int maxCachedBatches;
  private final Object room = new Object();
  private long pass;

  MarkBuffers(long maxBufferedRecords, int maxCachedBatches) {
    this.maxBufferedRecords = maxBufferedRecords;
    this.maxCachedBatches = maxCachedBatches;
  }

  /** The cached state of {@code id}, loading it with {@code loader} on a miss. */
  BatchState state(BatchId id, Function<BatchId, BatchInfo> loader) {
    BatchState state = batches.get(id);
    if (state != null) {
      return state;
    }
    BatchInfo info = loader.apply(id);
    return cache(info);
  }

  /** Caches {@code info} unless the batch is cached already; returns the cached state. */
  BatchState cache(BatchInfo info) {
    BatchState state = batches.computeIfAbsent(info.id(), id -> new BatchState(info));
    if (batches.size() > maxCachedBatches) {
      evictIdle();
    }
    return state;
  }

  /** The cached state of {@code id}, or null. */
  BatchState cached(BatchId id) {
    return batches.get(id);
  }

  /** Forgets {@code id} if it holds no marks (after a purge). */
  void forget(BatchId id) {
    BatchState state = batches.get(id);
    if (state != null && state.evictIfEmpty()) {
      batches.remove(id, state);
    }
  }

  private void evictIdle() {
    int excess = batches.size() - maxCachedBatches / 2;
    for (Iterator<BatchState> it = batches.values().iterator(); it.hasNext() && excess > 0; ) {
      BatchState state = it.next();
      if (state.evictIfEmpty()) {
        it.remove();
        excess--;
      }
    }
  }

  void enqueue(StageBuffer buffer) {
    queue.add(buffer);
  }

  /** Counts {@code added} newly buffered records; returns the new total. */
  long added(long added) {
    return added == 0 ? buffered.get() : buffered.addAndGet(added);
  }

  /** The number of records buffered and not yet known durable. */
  long bufferedRecords() {
    return buffered.get();
  }

  /**
   * Blocks while the buffered count is at its bound. Returns at once when it is below, which is the
   * only case on the marking fast path.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  void awaitRoom(java.util.function.BooleanSupplier closed) throws InterruptedException {
    if (buffered.get() < maxBufferedRecords) {
      return;
    }
    synchronized (room) {
      while (buffered.get() >= maxBufferedRecords) {
        if (closed.getAsBoolean()) {
          throw new IllegalStateException("tracker closed while waiting for buffer room");
        }
        room.wait(100);
      }
    }
  }

  /** The buffers drained by one flush, with the deltas to hand to the store. */
  static final class Drained {
    final List<StageBuffer> buffers = new ArrayList<>();
    final List<MarkDelta> deltas = new ArrayList<>();

    boolean isEmpty() {
      return deltas.isEmpty();
    }
  }

  /**
   * Moves the pending marks of every queued buffer to inflight. A buffer queued again while the
   * drain runs (marks keep coming) is left for the next flush: every buffer queued before the call
   * is ahead of it in the queue, so all marks made before the call are drained. Only one drain runs
   * at a time (the caller holds the flush lock).
   */
  Drained drain(Instant now) {
    long thisPass = ++pass;
    Drained drained = new Drained();
    StageBuffer buffer;
    while ((buffer = queue.poll()) != null) {
      RoaringBitmap marks = buffer.drain(thisPass);
      if (marks == StageBuffer.ALREADY_DRAINED) {
        queue.add(buffer);
        break;
      }
      if (marks != null) {
        drained.buffers.add(buffer);
        drained.deltas.add(new MarkDelta(buffer.batch.info.id(), buffer.stage, marks, now));
      }
    }
    return drained;
  }

  /** The store took the drained marks. */
  void committed(Drained drained) {
    long n = 0;
    for (StageBuffer b : drained.buffers) {
      n += b.committed();
    }
    release(n);
  }

  /** The store failed: keep the drained marks for the next flush. */
  void failed(Drained drained) {
    long n = 0;
    for (StageBuffer b : drained.buffers) {
      n += b.failed(this);
    }
    release(n);
  }

  private void release(long n) {
    if (n == 0) {
      return;
    }
    long after = buffered.addAndGet(-n);
    if (after + n >= maxBufferedRecords) {
      synchronized (room) {
        room.notifyAll();
      }
    }
  }

  /** Whether any buffer is queued for a flush. */
  boolean hasQueued() {
    return !queue.isEmpty();
  }
}
