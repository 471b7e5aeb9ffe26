package io.recordtracker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * A tracker's cached view of one batch: its declared size and the buffers of its stages. Cached so
 * that marking needs no I/O after the batch's first use. The size changes at most once: from
 * unsealed to sealed, when this tracker learns of a seal ({@link #refresh}).
 *
 * <p>A state is <em>retired</em> when it leaves the cache (evicted while empty) or when the tracker
 * closes. The flag is set while holding this state's monitor, which also guards the creation of
 * custom-stage buffers, and every stripe's lock is taken after it is set: so once {@link #retire()}
 * or {@link #retireIfEmpty()} returns, no add can succeed on any buffer of this state, and every
 * add that did succeed is visible to the caller (in the buffer, or already queued for a flush).
 */
final class BatchState {

  /** Replaced only by {@link #refresh}, by the same batch sealed. */
  volatile BatchInfo info;

  private final StageBuffer sent;
  private final StageBuffer processed;
  private final ConcurrentHashMap<Stage, StageBuffer> custom = new ConcurrentHashMap<>(4);

  /** Read by adds under their stripe's lock; written under this state's monitor. */
  volatile boolean retired;

  /** Whether completion has been recorded in the store, so it is not recorded twice. */
  volatile boolean completionRecorded;

  BatchState(BatchInfo info) {
    this.info = info;
    this.sent = new StageBuffer(this, Stage.SENT);
    this.processed = new StageBuffer(this, Stage.PROCESSED);
    this.completionRecorded = info.isComplete();
  }

  /**
   * Takes {@code stored} as this batch's info if it is this batch (same incarnation) sealed while
   * the cached info is unsealed; otherwise keeps what it has. Marks checked against the unsealed
   * bound before this returns are set aside by the flush if the store refuses them.
   */
  void refresh(BatchInfo stored) {
    BatchInfo cached = info;
    if (!cached.isSealed()
        && stored.isSealed()
        && stored.incarnation() == cached.incarnation()
        && stored.id().equals(cached.id())) {
      info = stored;
    }
  }

  /** The highest record marked in any buffer of this state and not yet durable, or -1. */
  long highestBufferedMark() {
    long highest = -1;
    for (StageBuffer b : buffers()) {
      RoaringBitmap marks = b.snapshot();
      if (!marks.isEmpty()) {
        highest = Math.max(highest, marks.last() & 0xFFFF_FFFFL);
      }
    }
    return highest;
  }

  StageBuffer buffer(Stage stage) {
    if (stage == Stage.PROCESSED) {
      return processed;
    }
    if (stage == Stage.SENT) {
      return sent;
    }
    StageBuffer buffer = custom.get(stage);
    if (buffer != null) {
      return buffer;
    }
    // The built-in names made another way (Stage.countingRepeats("sent")) share their buffers.
    if (stage.equals(Stage.PROCESSED)) {
      return processed;
    }
    if (stage.equals(Stage.SENT)) {
      return sent;
    }
    synchronized (this) {
      return custom.computeIfAbsent(stage, s -> new StageBuffer(this, s));
    }
  }

  /** Whether this tracker marked {@code stage} of this batch since it cached it (any stage). */
  boolean marked(Stage stage) {
    return custom.containsKey(stage);
  }

  /** Whether any buffer of this state holds marks not yet known durable. */
  boolean hasMarks() {
    for (StageBuffer b : buffers()) {
      if (!b.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** Retires this state if none of its buffers holds marks; returns whether it did. */
  synchronized boolean retireIfEmpty() {
    // Hold every buffer's and stripe's lock so no mark can slip in between the check and the flag.
    return retireIfEmpty(buffers(), 0);
  }

  private boolean retireIfEmpty(List<StageBuffer> all, int i) {
    if (i == all.size()) {
      retired = true;
      return true;
    }
    return all.get(i).emptyThen(() -> retireIfEmpty(all, i + 1));
  }

  /** Retires this state whatever it holds: no add succeeds after this returns. */
  synchronized void retire() {
    retired = true;
    for (StageBuffer b : buffers()) {
      b.awaitAdds();
    }
  }

  private List<StageBuffer> buffers() {
    List<StageBuffer> all = new ArrayList<>(custom.values());
    all.add(sent);
    all.add(processed);
    return all;
  }
}
