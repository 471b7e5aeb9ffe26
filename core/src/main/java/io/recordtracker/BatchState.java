package io.recordtracker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tracker's cached view of one batch: its declared size (which never changes) and the buffers of
 * its stages. Cached so that marking needs no I/O after the batch's first use.
 */
final class BatchState {

  final BatchInfo info;
  private final StageBuffer sent;
  private final StageBuffer processed;
  private final ConcurrentHashMap<Stage, StageBuffer> custom = new ConcurrentHashMap<>(4);

  /** Set, under each buffer's lock, when this state leaves the cache; guarded by the buffers. */
  volatile boolean evicted;

  /** Whether completion has been recorded in the store, so it is not recorded twice. */
  volatile boolean completionRecorded;

  BatchState(BatchInfo info) {
    this.info = info;
    this.sent = new StageBuffer(this, Stage.SENT);
    this.processed = new StageBuffer(this, Stage.PROCESSED);
    this.completionRecorded = info.isComplete();
  }

  StageBuffer buffer(Stage stage) {
    if (stage == Stage.PROCESSED) {
      return processed;
    }
    if (stage == Stage.SENT) {
      return sent;
    }
    return custom.computeIfAbsent(stage, s -> new StageBuffer(this, s));
  }

  /** Evicts this state if none of its buffers holds marks; returns whether it did. */
  boolean evictIfEmpty() {
    // Lock every buffer so no mark can slip in between the emptiness check and the flag.
    List<StageBuffer> all = new ArrayList<>(custom.values());
    all.add(sent);
    all.add(processed);
    return evictLocked(all, 0);
  }

  private boolean evictLocked(List<StageBuffer> all, int i) {
    if (i == all.size()) {
      evicted = true;
      return true;
    }
    StageBuffer b = all.get(i);
    synchronized (b) {
      return b.isEmpty() && evictLocked(all, i + 1);
    }
  }
}
