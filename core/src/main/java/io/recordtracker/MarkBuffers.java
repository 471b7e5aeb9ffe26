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

/**
 * A tracker's write buffers: the cache of batch states, the queue of buffers that hold marks, and
 * the count of buffered records that bounds memory.
 *
 * <p>Buffered records are counted as they become newly buffered, so marking a record twice costs
 * nothing against the bound. When the count reaches {@code maxBufferedRecords}, {@link
 * #awaitRoom(Runnable)} blocks markers until a flush drains it: marks are never dropped.
 */
final class MarkBuffers {

  private final ConcurrentHashMap<BatchId, BatchState> batches = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<StageBuffer> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong buffered = new AtomicLong();
  private final long maxBufferedRecords;
  private final long publishEvery;
  private final int maxCachedBatches;
  private final Object room = new Object();
  private long pass;
  private volatile boolean closed;

  MarkBuffers(long maxBufferedRecords, long flushThreshold, int maxCachedBatches) {
    this.maxBufferedRecords = maxBufferedRecords;
    // The stripes of one buffer hold back at most 1/64 of the bound and of the flush threshold.
    long limit = Math.min(maxBufferedRecords, flushThreshold);
    this.publishEvery = Math.max(1, Math.min(1024, limit / (64L * StageBuffer.STRIPES)));
    this.maxCachedBatches = maxCachedBatches;
  }

  /** How many newly buffered records a stripe counts before it adds them to the shared total. */
  long publishEvery() {
    return publishEvery;
  }

  /**
   * The cached, live state of {@code id}, loading the batch with {@code loader} on a miss.
   *
   * @throws IllegalStateException if the buffers are closed
   */
  BatchState state(BatchId id, Function<BatchId, BatchInfo> loader) {
    while (true) {
      BatchState state = batches.get(id);
      if (state == null) {
        state = cache(loader.apply(id));
      }
      if (!state.retired) {
        return state;
      }
      if (closed) {
        throw new IllegalStateException("tracker is closed");
      }
      batches.remove(id, state); // evicted meanwhile: load it again
    }
  }

  /**
   * Caches {@code info} unless a live state of the batch is cached already (which then takes the
   * seal {@code info} may carry, see {@link BatchState#refresh}); returns the cached state (retired
   * at once if the buffers are closed meanwhile).
   */
  BatchState cache(BatchInfo info) {
    BatchState[] replaced = new BatchState[1];
    BatchState state =
        batches.compute(
            info.id(),
            (id, old) -> {
              if (old == null || old.retired) {
                return new BatchState(info);
              }
              if (old.info.incarnation() != info.incarnation()) {
                replaced[0] = old; // purged and opened again: the old state is another batch's
                return new BatchState(info);
              }
              old.refresh(info); // sealed since it was cached
              return old;
            });
    if (replaced[0] != null) {
      // Its queued marks still get flushed, and the store rejects them: they were made for the
      // batch that was purged.
      replaced[0].retire();
    }
    if (closed) {
      state.retire();
    }
    return state;
  }

  /**
   * Retires {@code state} and drops it from the cache, whatever it holds (the store no longer has
   * its batch): the next use of the id loads the batch again. Marks it still holds are flushed and
   * rejected by the store.
   */
  void drop(BatchState state) {
    state.retire();
    batches.remove(state.info.id(), state);
  }

  /** Forgets {@code id} if it holds no marks (after a purge). */
  void forget(BatchId id) {
    BatchState state = batches.get(id);
    if (state != null && state.retireIfEmpty()) {
      batches.remove(id, state);
    }
  }

  /**
   * Whether the cache holds more than twice {@code maxCachedBatches}: a reader loading many batches
   * between two flush intervals; the caller should wake the flusher to evict.
   */
  boolean overfull() {
    return batches.size() > 2L * maxCachedBatches;
  }

  /**
   * Whether the cache holds more than four times {@code maxCachedBatches}: the flusher has not
   * evicted since it was asked to; the reader loading batches should evict itself.
   */
  boolean farOverfull() {
    return batches.size() > 4L * maxCachedBatches;
  }

  /** How many batch states are cached. */
  int cachedBatches() {
    return batches.size();
  }

  /**
   * Evicts states that hold no marks while more than {@code maxCachedBatches} are cached, down to
   * half of it. Runs on the flusher (after a flush, and at every interval with nothing to flush, so
   * that a process that only reads keeps a bounded cache), and on a thread loading a batch when the
   * cache is {@linkplain #farOverfull() far over} the bound; never on a marking fast path.
   */
  void evictIdle() {
    int excess = batches.size() - maxCachedBatches / 2;
    if (batches.size() <= maxCachedBatches) {
      return;
    }
    for (Iterator<BatchState> it = batches.values().iterator(); it.hasNext() && excess > 0; ) {
      BatchState state = it.next();
      if (state.retireIfEmpty() && batches.remove(state.info.id(), state)) {
        excess--;
      }
    }
  }

  /** The cached batches whose buffers hold marks not yet known durable. */
  List<BatchInfo> batchesWithMarks() {
    List<BatchInfo> out = new ArrayList<>();
    for (BatchState state : batches.values()) {
      if (!state.retired && state.hasMarks()) {
        out.add(state.info);
      }
    }
    return out;
  }

  /**
   * Retires every cached state, so that no mark can be added once this returns; queued marks stay
   * queued for a final {@link #drain}.
   */
  void close() {
    closed = true;
    for (BatchState state : batches.values()) {
      state.retire();
    }
  }

  void enqueue(StageBuffer buffer) {
    queue.add(buffer);
  }

  /** Counts {@code added} newly buffered records; returns the new total. */
  long added(long added) {
    return added == 0 ? buffered.get() : buffered.addAndGet(added);
  }

  /**
   * The number of records buffered and not yet known durable, counting those the stripes have not
   * yet published: exact when one thread marks, and after every drain.
   */
  long bufferedRecords() {
    long n = buffered.get();
    for (StageBuffer buffer : queue) {
      n += buffer.unpublished();
    }
    return n;
  }

  /**
   * Blocks while the buffered count is at its bound. Returns at once when it is below, which is the
   * only case on the marking fast path.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  void awaitRoom(Runnable requestFlush) throws InterruptedException {
    if (buffered.get() < maxBufferedRecords) {
      return;
    }
    requestFlush.run(); // the threshold may have been crossed long ago: ask again
    synchronized (room) {
      while (buffered.get() >= maxBufferedRecords) {
        if (closed) {
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
    StageBuffer buffer = null;
    try {
      while ((buffer = queue.poll()) != null) {
        StageBuffer.Drain drain = buffer.drain(thisPass);
        if (drain == StageBuffer.ALREADY_DRAINED) {
          queue.add(buffer);
          break;
        }
        adjust(drain.countChange);
        if (drain.marks != null) {
          drained.buffers.add(buffer);
          BatchInfo info = buffer.batch.info;
          drained.deltas.add(
              new MarkDelta(
                  info.id(),
                  buffer.stage,
                  drain.marks,
                  now,
                  info.incarnation(),
                  drain.repeats,
                  drain.token));
        }
      }
    } catch (RuntimeException | Error e) {
      failed(drained); // put back what was drained before the failure
      if (buffer != null) {
        buffer.requeue(this); // the buffer that failed keeps its marks; flush it next time
      }
      throw e;
    }
    return drained;
  }

  /**
   * Takes the buffers whose deltas {@code rejected} picks out of {@code drained}: their marks are
   * forgotten and no longer count against the bound. Returns what is left to merge.
   */
  Drained reject(Drained drained, java.util.function.Predicate<MarkDelta> rejected) {
    Drained rest = new Drained();
    Drained gone = new Drained();
    for (int i = 0; i < drained.deltas.size(); i++) {
      Drained to = rejected.test(drained.deltas.get(i)) ? gone : rest;
      to.buffers.add(drained.buffers.get(i));
      to.deltas.add(drained.deltas.get(i));
    }
    committed(gone);
    return rest;
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

  /** Forgets {@code n} buffered records taken out of inflight marks (beyond a seal). */
  void dropped(long n) {
    release(n);
  }

  private void release(long n) {
    adjust(-n);
  }

  /** Changes the shared total by {@code n}, waking markers waiting for room if it went down. */
  private void adjust(long n) {
    if (n == 0) {
      return;
    }
    long after = buffered.addAndGet(n);
    if (n > 0) {
      return;
    }
    n = -n;
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
