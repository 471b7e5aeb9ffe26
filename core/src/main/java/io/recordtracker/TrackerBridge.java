package io.recordtracker;

import io.recordtracker.internal.TrackerInternals;
import io.recordtracker.spi.TrackerStore;
import java.util.Set;
import org.roaringbitmap.RoaringBitmap;

/** What this package lends the monitor through {@link TrackerInternals}. */
final class TrackerBridge implements TrackerInternals.Bridge {

  @Override
  public TrackerStore store(RecordTracker tracker) {
    return tracker.store();
  }

  @Override
  public Reconciliation reconcileWatched(
      RecordTracker tracker, BatchId batch, Stage upstream, Stage downstream) {
    return tracker.reconcileWatched(batch, upstream, downstream);
  }

  @Override
  public Reconciliation reconciliation(
      BatchInfo batch,
      Stage upstream,
      Stage downstream,
      RoaringBitmap missing,
      RoaringBitmap absentUpstream) {
    // Marks that reconcile to exactly these sets: upstream is every record not absent, downstream
    // is upstream less the missing ones.
    RoaringBitmap up = RoaringBitmap.bitmapOfRange(0, batch.expectedRecords());
    up.andNot(absentUpstream);
    RoaringBitmap down = RoaringBitmap.andNot(up, missing);
    return Reconciliation.compute(
        batch.id(), upstream, downstream, batch, up, down, new RoaringBitmap());
  }

  @Override
  public Set<BatchId> batchesWithUnflushedMarks(RecordTracker tracker) {
    return tracker.batchesWithUnflushedMarks();
  }
}
