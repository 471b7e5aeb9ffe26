package io.recordtracker;

import org.roaringbitmap.RoaringBitmap;

/**
 * The not-yet-durable marks of one (batch, stage) in one tracker. Guarded by {@code this}.
 *
 * <p>{@code pending} takes new marks; a flush moves it to {@code inflight} while the store writes
 * it, then drops it on success or folds it back into {@code pending} on failure. Because both live
 * under one lock, a reader that takes {@link #snapshot()} and then loads the store can never miss a
 * mark: at every instant a mark is in {@code pending}, in {@code inflight} or already in the store.
 */
final class StageBuffer {

  final BatchState batch;
  final Stage stage;

  private RoaringBitmap pending = new RoaringBitmap();
  private RoaringBitmap inflight;

  /** Whether this buffer is on the tracker's queue of buffers to flush. */
  private boolean queued;

  /** The flush pass that last drained this buffer; see {@link MarkBuffers#drain()}. */
  private long drainedInPass;

  StageBuffer(BatchState batch, Stage stage) {
    this.batch = batch;
    this.stage = stage;
  }

  /**
   * Adds one record; returns how many records became newly buffered (0 or 1), or -1 if the batch
   * batch state was retired (evicted, or the tracker closed) and the caller must look it up again.
   */
  synchronized long add(int record, MarkBuffers owner) {
    if (batch.retired) {
      return -1;
    }
    if (!pending.checkedAdd(record)) {
      return 0;
    }
    enqueue(owner);
    return 1;
  }

  /** Adds records {@code first..last}; see {@link #add(int, MarkBuffers)}. */
  synchronized long add(int first, int last, MarkBuffers owner) {
    if (first == last) {
      return add(first, owner);
    }
    if (batch.retired) {
      return -1;
    }
    long end = (long) last + 1;
    // Within one container, not rangeCardinality: on a bitmap container it ranks from the
    // container's start (up to 1,024 popcounts, ~300 ns, whatever the range's size), while
    // intersecting with the range costs what the add itself costs. A range spanning containers
    // pays those ranks only at its two ends, less than intersecting every container it covers.
    long present =
        (first >>> 16) == (last >>> 16)
            ? RoaringBitmap.andCardinality(pending, RoaringBitmap.bitmapOfRange(first, end))
            : pending.rangeCardinality(first, end);
    pending.add((long) first, end);
    enqueue(owner);
    return end - first - present;
  }

  /** Adds the records of {@code records}; see {@link #add(int, MarkBuffers)}. */
  synchronized long add(RoaringBitmap records, MarkBuffers owner) {
    if (batch.retired) {
      return -1;
    }
    long before = pending.getLongCardinality();
    pending.or(records);
    enqueue(owner);
    return pending.getLongCardinality() - before;
  }

  private void enqueue(MarkBuffers owner) {
    if (!queued) {
      queued = true;
      owner.enqueue(this);
    }
  }

  /**
   * Moves pending marks to inflight and returns them run-optimised, or null if there are none.
   * Returns {@code ALREADY_DRAINED} (and leaves the buffer queued) if this pass drained it before.
   */
  synchronized RoaringBitmap drain(long pass) {
    if (drainedInPass == pass) {
      return ALREADY_DRAINED;
    }
    drainedInPass = pass;
    queued = false;
    if (pending.isEmpty()) {
      return null;
    }
    pending.runOptimize();
    inflight = pending;
    pending = new RoaringBitmap();
    return inflight;
  }

  static final RoaringBitmap ALREADY_DRAINED = new RoaringBitmap();

  /** Queues this buffer again after a drain failed part-way through it. */
  synchronized void requeue(MarkBuffers owner) {
    enqueue(owner);
  }

  /**
   * Forgets the inflight marks at or beyond {@code size}, the size their batch was sealed with
   * since they were checked, so that a failed flush does not put them back. Returns how many.
   */
  synchronized long dropInflightFrom(long size) {
    if (inflight == null) {
      return 0;
    }
    long before = inflight.getLongCardinality();
    inflight.remove(size, 0x1_0000_0000L);
    return before - inflight.getLongCardinality();
  }

  /** The store took the inflight marks: forget them. Returns how many records they were. */
  synchronized long committed() {
    long n = inflight.getLongCardinality();
    inflight = null;
    return n;
  }

  /**
   * The store failed: fold inflight back into pending and queue again. Returns how many records
   * were both inflight and re-marked meanwhile, which the buffered count had counted twice.
   */
  synchronized long failed(MarkBuffers owner) {
    long before = pending.getLongCardinality() + inflight.getLongCardinality();
    pending.or(inflight);
    inflight = null;
    if (!pending.isEmpty()) {
      enqueue(owner);
    }
    return before - pending.getLongCardinality();
  }

  /** A copy of every mark not yet known durable: pending plus inflight. */
  synchronized RoaringBitmap snapshot() {
    RoaringBitmap copy = pending.clone();
    if (inflight != null) {
      copy.or(inflight);
    }
    return copy;
  }

  /** Whether nothing is pending or inflight. */
  synchronized boolean isEmpty() {
    return pending.isEmpty() && inflight == null;
  }
}
