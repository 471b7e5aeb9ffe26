package io.recordtracker;

import io.recordtracker.spi.MarkDelta;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import org.roaringbitmap.RoaringBitmap;

/**
 * The not-yet-durable marks of one (batch, stage) in one tracker, striped so that threads marking
 * the same (batch, stage) do not share a lock.
 *
 * <ol>
 *   <li><b>Stripes.</b> New marks go to the {@code pending} bitmap of the calling thread's stripe
 *       (handed out round-robin as threads first mark), guarded by that stripe's monitor alone:
 *       threads with different stripes never wait for each other, nor write a shared cache line, on
 *       the fast path. Stripes are created on first use, under this buffer's monitor.
 *   <li><b>Drain.</b> A flush takes this buffer's monitor, then each stripe's in turn, and moves
 *       every stripe's pending marks into one {@code inflight} bitmap (the union) while the store
 *       writes it; on success inflight is dropped, on failure it is folded back into a stripe. A
 *       {@link #snapshot()} takes the same locks in the same order, so it sees a mark in a stripe,
 *       in inflight or, once dropped, in the store: a reader that snapshots and then loads the
 *       store can never miss one.
 *   <li><b>Counting.</b> Each stripe counts the records it newly holds exactly (a record marked
 *       twice on one stripe counts once), and publishes the count to {@link MarkBuffers}' shared
 *       total in chunks of {@link MarkBuffers#publishEvery()}, so that the shared counter is
 *       written once per chunk, not once per mark. A drain publishes the rest and corrects for
 *       records held by several stripes (marked by several threads): after a drain the total is
 *       exact, between drains it may lag by less than a chunk per stripe or exceed by such
 *       duplicates.
 *   <li><b>Queueing.</b> A buffer is on the tracker's flush queue at most once: {@code queued} is
 *       set by compare-and-set by the add that queues it, still holding its stripe (so that once an
 *       add's stripe is released, its buffer is queued), and cleared by the drain before it touches
 *       the stripes, so a mark that lands after the drain passed its stripe sees {@code queued}
 *       clear and queues the buffer again.
 *   <li><b>Repeats.</b> At a stage that {@linkplain Stage#countsRepeats() counts repeats}, a record
 *       added by one call that a stripe holds already from another is noted in the stripe's {@code
 *       repeats}, and a drain notes the records several stripes held; the delta carries them. Each
 *       drain's delta gets a new random token, except after a failed flush: the marks put back may
 *       have been stored (a commit whose answer was lost), so the next delta keeps the failed one's
 *       token and the store does not count them twice. Records marked again meanwhile are repeats
 *       all the same: the put-back finds them in its stripe, or the next drain in another.
 * </ol>
 *
 * <p>Lock order: the batch state's monitor, then this buffer's, then a stripe's. A marking thread
 * holds only its stripe's monitor while it adds, and takes this buffer's only to create its stripe,
 * before it holds the stripe.
 */
final class StageBuffer {

  /** Stripes per buffer: a power of two, four per processor, between 4 and 64. */
  static final int STRIPES =
      Integer.highestOneBit(
          Math.max(4, Math.min(64, 4 * Runtime.getRuntime().availableProcessors())) * 2 - 1);

  final BatchState batch;
  final Stage stage;

  private final AtomicReferenceArray<Stripe> stripes = new AtomicReferenceArray<>(STRIPES);

  /** Guarded by {@code this}. Marks handed to the store and not yet known durable. */
  private RoaringBitmap inflight;

  /** Guarded by {@code this}. The repeats among inflight, or null if none. */
  private RoaringBitmap inflightRepeats;

  /** Guarded by {@code this}. The token of the last drained delta. */
  private long token;

  /** Guarded by {@code this}. Whether the last drained delta's merge failed: reuse its token. */
  private boolean inDoubt;

  /**
   * Guarded by {@code this}. Records put back by failed flushes since the last success, or null:
   * the store may hold them from the failed attempt, so holding them there is no repeat.
   */
  private RoaringBitmap doubt;

  /** How many drains handed marks to the store; see {@link #drains()}. */
  private volatile long drains;

  /** Whether this buffer notes repeats: its stage counts them. */
  private final boolean countsRepeats;

  /** 1 while this buffer is on the tracker's queue of buffers to flush; set by compare-and-set. */
  private volatile int queued;

  private static final AtomicIntegerFieldUpdater<StageBuffer> QUEUED =
      AtomicIntegerFieldUpdater.newUpdater(StageBuffer.class, "queued");

  /** The stripe of the thread that last queued this buffer; see {@link #failed}. */
  private volatile int queuedBy;

  /** The flush pass that last drained this buffer; see {@link MarkBuffers#drain}. */
  private long drainedInPass;

  StageBuffer(BatchState batch, Stage stage) {
    this.batch = batch;
    this.stage = stage;
    this.countsRepeats = stage.countsRepeats();
  }

  /** One thread's share of the pending marks. Guarded by its own monitor. */
  private static final class Stripe {
    final int index;
    RoaringBitmap pending = new RoaringBitmap();

    /** Records of {@code pending} added by two separate calls, or null if none. */
    RoaringBitmap repeats;

    void repeated(int record) {
      if (repeats == null) {
        repeats = new RoaringBitmap();
      }
      repeats.add(record);
    }

    void repeated(RoaringBitmap records) {
      if (repeats == null) {
        repeats = records.clone();
      } else {
        repeats.or(records);
      }
    }

    /** Records newly added to {@code pending} since the last drain: its cardinality. */
    long counted;

    /** How many of {@code counted} are in {@link MarkBuffers}' total. */
    long published;

    Stripe(int index) {
      this.index = index;
    }

    /** Counts {@code added} new records; returns how many to publish now (0 until a chunk). */
    long count(long added, long publishEvery) {
      counted += added;
      long unpublished = counted - published;
      if (unpublished < publishEvery) {
        return 0;
      }
      published = counted;
      return unpublished;
    }
  }

  /** Stripe indexes handed to threads in the order they first mark, so that a pool spreads. */
  private static final AtomicInteger NEXT_STRIPE = new AtomicInteger();

  /**
   * The calling thread's stripe index: the first {@link #STRIPES} threads to mark get one each
   * (thread ids, hashed or masked, collide in practice: JMH's or a pool's threads are not numbered
   * 0..n).
   */
  private static final ThreadLocal<Integer> STRIPE_OF_THREAD =
      ThreadLocal.withInitial(() -> NEXT_STRIPE.getAndIncrement() & (STRIPES - 1));

  private Stripe stripe() {
    int i = STRIPE_OF_THREAD.get();
    Stripe s = stripes.get(i);
    return s != null ? s : createStripe(i);
  }

  private synchronized Stripe createStripe(int i) {
    Stripe s = stripes.get(i);
    if (s == null) {
      s = new Stripe(i);
      stripes.set(i, s);
    }
    return s;
  }

  /**
   * Adds one record; returns how many newly buffered records the caller must count now (a chunk, or
   * 0), or -1 if the batch state was retired (evicted, or the tracker closed) and the caller must
   * look it up again.
   */
  long add(int record, MarkBuffers owner) {
    Stripe s = stripe();
    long publish;
    synchronized (s) {
      if (batch.retired) {
        return -1;
      }
      if (!s.pending.checkedAdd(record)) {
        if (countsRepeats) {
          s.repeated(record);
        }
        return 0; // whoever added it queued the buffer, holding this stripe
      }
      publish = s.count(1, owner.publishEvery());
      enqueue(owner, s);
    }
    return publish;
  }

  /** Adds records {@code first..last}; see {@link #add(int, MarkBuffers)}. */
  long add(int first, int last, MarkBuffers owner) {
    if (first == last) {
      return add(first, owner);
    }
    Stripe s = stripe();
    long publish;
    synchronized (s) {
      if (batch.retired) {
        return -1;
      }
      RoaringBitmap pending = s.pending;
      long end = (long) last + 1;
      // Within one container, not rangeCardinality: on a bitmap container it ranks from the
      // container's start (up to 1,024 popcounts, ~300 ns, whatever the range's size), while
      // intersecting with the range costs what the add itself costs. A range spanning containers
      // pays those ranks only at its two ends, less than intersecting every container it covers.
      long present =
          (first >>> 16) == (last >>> 16)
              ? RoaringBitmap.andCardinality(pending, RoaringBitmap.bitmapOfRange(first, end))
              : pending.rangeCardinality(first, end);
      if (present > 0 && countsRepeats) {
        s.repeated(RoaringBitmap.and(pending, RoaringBitmap.bitmapOfRange(first, end)));
      }
      pending.add((long) first, end);
      publish = s.count(end - first - present, owner.publishEvery());
      enqueue(owner, s);
    }
    return publish;
  }

  /** Adds the records of {@code records}; see {@link #add(int, MarkBuffers)}. */
  long add(RoaringBitmap records, MarkBuffers owner) {
    Stripe s = stripe();
    long publish;
    synchronized (s) {
      if (batch.retired) {
        return -1;
      }
      if (countsRepeats && RoaringBitmap.intersects(s.pending, records)) {
        s.repeated(RoaringBitmap.and(s.pending, records));
      }
      long before = s.pending.getLongCardinality();
      s.pending.or(records);
      publish = s.count(s.pending.getLongCardinality() - before, owner.publishEvery());
      enqueue(owner, s);
    }
    return publish;
  }

  /**
   * Queues this buffer for a flush unless it is queued. Called holding stripe {@code s}, so that
   * once {@link #awaitAdds()} returns every add that succeeded has also queued its buffer.
   */
  private void enqueue(MarkBuffers owner, Stripe s) {
    if (queued == 0 && QUEUED.compareAndSet(this, 0, 1)) {
      queuedBy = s.index;
      owner.enqueue(this);
    }
  }

  /** The result of one {@link #drain}: the marks to write and the change to the buffered total. */
  static final class Drain {
    final RoaringBitmap marks;
    final long countChange;

    /** The repeats among {@code marks}, empty if none. */
    final RoaringBitmap repeats;

    /** The delta's token. */
    final long token;

    Drain(RoaringBitmap marks, long countChange, RoaringBitmap repeats, long token) {
      this.marks = marks;
      this.countChange = countChange;
      this.repeats = repeats;
      this.token = token;
    }
  }

  static final Drain ALREADY_DRAINED = new Drain(null, 0, null, 0);

  /**
   * Moves every stripe's pending marks to inflight, run-optimised. Returns them with the change the
   * buffered total needs to be exact (the unpublished counts, less the records several stripes
   * held), or {@link #ALREADY_DRAINED} (leaving the buffer queued) if this pass drained it before.
   * Returns marks of null if there were none.
   */
  synchronized Drain drain(long pass) {
    if (drainedInPass == pass) {
      return ALREADY_DRAINED;
    }
    drainedInPass = pass;
    queued = 0;
    RoaringBitmap merged = null;
    RoaringBitmap repeats = null;
    long counted = 0;
    long unpublished = 0;
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s == null) {
        continue;
      }
      synchronized (s) {
        if (s.pending.isEmpty()) {
          continue;
        }
        counted += s.counted;
        unpublished += s.counted - s.published;
        if (merged == null) {
          merged = s.pending;
        } else {
          if (countsRepeats && RoaringBitmap.intersects(merged, s.pending)) {
            // Held by two stripes: marked by two threads, in two calls.
            repeats = orInto(repeats, RoaringBitmap.and(merged, s.pending));
          }
          merged.or(s.pending);
        }
        if (s.repeats != null) {
          repeats = orInto(repeats, s.repeats);
          s.repeats = null;
        }
        s.pending = new RoaringBitmap();
        s.counted = 0;
        s.published = 0;
      }
    }
    if (merged == null) {
      return new Drain(null, 0, null, 0);
    }
    merged.runOptimize();
    inflight = merged;
    inflightRepeats = repeats;
    drains++;
    if (!inDoubt || token == MarkDelta.NO_TOKEN) {
      token = newToken();
    }
    return new Drain(
        merged,
        unpublished - (counted - merged.getLongCardinality()),
        repeats == null ? new RoaringBitmap() : repeats,
        token);
  }

  private static RoaringBitmap orInto(RoaringBitmap into, RoaringBitmap more) {
    if (into == null) {
      return more.clone();
    }
    into.or(more);
    return into;
  }

  /** A random token, never {@link MarkDelta#NO_TOKEN}. */
  static long newToken() {
    long t;
    do {
      t = ThreadLocalRandom.current().nextLong();
    } while (t == MarkDelta.NO_TOKEN);
    return t;
  }

  /** Queues this buffer again after a drain failed part-way through it. */
  void requeue(MarkBuffers owner) {
    if (QUEUED.compareAndSet(this, 0, 1)) {
      owner.enqueue(this);
    }
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
    if (inflightRepeats != null) {
      inflightRepeats.remove(size, 0x1_0000_0000L);
    }
    return before - inflight.getLongCardinality();
  }

  /** The store took the inflight marks: forget them. Returns how many records they were. */
  synchronized long committed() {
    long n = inflight.getLongCardinality();
    inflight = null;
    inflightRepeats = null;
    inDoubt = false;
    doubt = null;
    return n;
  }

  /**
   * The store failed: fold inflight back into a stripe and queue again. Returns how many records
   * were both inflight and re-marked on that stripe meanwhile, which the buffered total had counted
   * twice. The stripe is that of the thread that last queued the buffer: with one marking thread,
   * its own, so that its re-marks of failed records are not counted again.
   */
  synchronized long failed(MarkBuffers owner) {
    RoaringBitmap back = inflight;
    RoaringBitmap backRepeats = inflightRepeats;
    inflight = null;
    inflightRepeats = null;
    // The store may have taken them (a commit whose answer was lost): retry under the same token.
    inDoubt = true;
    doubt = orInto(doubt, back);
    Stripe s = createStripe(queuedBy);
    long twice;
    synchronized (s) {
      if (backRepeats != null) {
        s.repeated(backRepeats);
      }
      if (countsRepeats && RoaringBitmap.intersects(s.pending, back)) {
        // Marked again, by another call, while the failed merge ran.
        s.repeated(RoaringBitmap.and(s.pending, back));
      }
      long before = s.pending.getLongCardinality();
      s.pending.or(back);
      long added = s.pending.getLongCardinality() - before;
      twice = back.getLongCardinality() - added;
      // Inflight records were published already: they stay in the total as this stripe's.
      s.counted += added;
      s.published += added;
    }
    requeue(owner);
    return twice;
  }

  /** A copy of every mark not yet known durable: every stripe's pending plus inflight. */
  synchronized RoaringBitmap snapshot() {
    RoaringBitmap copy = inflight == null ? new RoaringBitmap() : inflight.clone();
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s != null) {
        synchronized (s) {
          copy.or(s.pending);
        }
      }
    }
    return copy;
  }

  /**
   * How many drains have handed marks to the store: a reader that sees the same count before and
   * after it read the store knows that no mark moved from this buffer to the store meanwhile.
   */
  long drains() {
    return drains;
  }

  /**
   * A copy of the pending marks (not inflight) that no failed flush put back: each is a marking not
   * yet handed to the store, so one the store holds already is a repeat.
   */
  synchronized RoaringBitmap undoubtedPending() {
    RoaringBitmap copy = new RoaringBitmap();
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s != null) {
        synchronized (s) {
          copy.or(s.pending);
        }
      }
    }
    if (doubt != null) {
      copy.andNot(doubt);
    }
    return copy;
  }

  /** A copy of the repeats noted among the marks not yet known durable. */
  synchronized RoaringBitmap repeatsSnapshot() {
    RoaringBitmap copy = inflightRepeats == null ? new RoaringBitmap() : inflightRepeats.clone();
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s != null) {
        synchronized (s) {
          if (s.repeats != null) {
            copy.or(s.repeats);
          }
        }
      }
    }
    return copy;
  }

  /** Records counted by the stripes and not yet in the shared total. */
  synchronized long unpublished() {
    long n = 0;
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s != null) {
        synchronized (s) {
          n += s.counted - s.published;
        }
      }
    }
    return n;
  }

  /** Whether nothing is pending or inflight. */
  boolean isEmpty() {
    return emptyThen(() -> true);
  }

  /**
   * Whether this buffer is empty and then, still holding every one of its locks (so no mark can be
   * added meanwhile), what {@code next} returns.
   */
  synchronized boolean emptyThen(BooleanSupplier next) {
    return inflight == null && stripesEmptyThen(0, next);
  }

  private boolean stripesEmptyThen(int i, BooleanSupplier next) {
    if (i == STRIPES) {
      return next.getAsBoolean();
    }
    Stripe s = stripes.get(i);
    if (s == null) {
      return stripesEmptyThen(i + 1, next);
    }
    synchronized (s) {
      return s.pending.isEmpty() && stripesEmptyThen(i + 1, next);
    }
  }

  /**
   * Waits for every add in progress to finish. Called after the batch state's {@code retired} flag
   * is set: an add that read the flag before holds its stripe until it is done, and a stripe
   * created after this returns reads the flag set.
   */
  synchronized void awaitAdds() {
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = stripes.get(i);
      if (s != null) {
        synchronized (s) {
          // Nothing: holding the lock once is the wait.
        }
      }
    }
  }
}
