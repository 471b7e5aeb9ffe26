package io.recordtracker.internal;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import java.util.Set;
import org.roaringbitmap.RoaringBitmap;

/**
 * Internal: what the library's other packages (the monitor) need of a {@link RecordTracker} and of
 * {@link Reconciliation} that is not public API. {@code io.recordtracker} installs the bridge when
 * {@link RecordTracker} is initialized, which any caller holding a tracker has caused.
 */
public final class TrackerInternals {

  /** What {@code io.recordtracker} lends its other packages. */
  public interface Bridge {

    /** The store {@code tracker} reads and writes. */
    TrackerStore store(RecordTracker tracker);

    /**
     * A reconciliation of {@code batch} that found exactly {@code missing} missing and {@code
     * absentUpstream} never marked upstream, and nothing unexpected: a finding's reconciliation
     * rebuilt from what was stored of it.
     */
    Reconciliation reconciliation(
        BatchInfo batch,
        Stage upstream,
        Stage downstream,
        RoaringBitmap missing,
        RoaringBitmap absentUpstream);

    /**
     * The batches of which {@code tracker} holds marks not yet known durable: their reconciliation
     * counts marks the store's last-marked times do not show yet.
     */
    Set<BatchId> batchesWithUnflushedMarks(RecordTracker tracker);

    /**
     * Reconciles as {@code tracker.reconcile} does, without checking custom stages against the
     * store's known stages: a monitor's configured pair is deliberate, not a typo.
     */
    Reconciliation reconcileWatched(
        RecordTracker tracker, BatchId batch, Stage upstream, Stage downstream);
  }

  private static volatile Bridge bridge;

  private TrackerInternals() {}

  /** Installs the bridge; called once, by {@link RecordTracker}'s static initializer. */
  public static void install(Bridge b) {
    bridge = b;
  }

  /** The bridge, initializing {@link RecordTracker} first if nothing has yet. */
  public static Bridge bridge() {
    Bridge b = bridge;
    if (b == null) {
      try {
        Class.forName(RecordTracker.class.getName(), true, RecordTracker.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      b = bridge;
    }
    return b;
  }
}
