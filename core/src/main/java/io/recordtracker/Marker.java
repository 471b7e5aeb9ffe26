package io.recordtracker;

import io.recordtracker.internal.Sealing;
import io.recordtracker.spi.TrackerStore;
import java.util.Objects;
import org.roaringbitmap.RoaringBitmap;

/**
 * A tracker's write path for marks: finds the batch's cached state (loading it from the store the
 * first time), checks the records against the batch's size, waits for room at the buffer bound,
 * adds them to the stage's buffer and counts them for the flusher. Also seals a batch, since a seal
 * changes the size marks are checked against. {@link RecordTracker} checks that it is open first.
 */
final class Marker {

  private final TrackerStore store;
  private final MarkBuffers buffers;
  private final Flusher flusher;

  Marker(TrackerStore store, MarkBuffers buffers, Flusher flusher) {
    this.store = store;
    this.buffers = buffers;
    this.flusher = flusher;
  }

  /** As {@link RecordTracker#mark(BatchId, Stage, int)}. */
  void mark(BatchId batch, Stage stage, int record) {
    Objects.requireNonNull(stage, "stage must not be null");
    BatchState state = state(batch);
    checkRecord(state, record);
    awaitRoom();
    long added;
    while ((added = state.buffer(stage).add(record, buffers)) < 0) {
      state = state(batch);
    }
    flusher.added(added);
  }

  /** As {@link RecordTracker#mark(BatchId, Stage, RecordRange)}. */
  void mark(BatchId batch, Stage stage, RecordRange range) {
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(range, "range must not be null");
    BatchState state = state(batch);
    checkRecord(state, range.last());
    awaitRoom();
    long added;
    while ((added = state.buffer(stage).add(range.first(), range.last(), buffers)) < 0) {
      state = state(batch);
    }
    flusher.added(added);
  }

  /** As {@link RecordTracker#mark(BatchId, Stage, int[])}. */
  void mark(BatchId batch, Stage stage, int[] records) {
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(records, "records must not be null");
    BatchState state = state(batch);
    int expected = state.info.expectedRecords();
    for (int record : records) {
      if (record < 0 || record >= expected) {
        checkRecord(state, record);
      }
    }
    if (records.length == 0) {
      return;
    }
    // bitmapOfUnordered radix-sorts by container (ms for a million random records, where bitmapOf
    // searches per record and takes ~15x longer), but sorts in place: hence the copy.
    RoaringBitmap bitmap = RoaringBitmap.bitmapOfUnordered(records.clone());
    awaitRoom();
    long added;
    while ((added = state.buffer(stage).add(bitmap, buffers)) < 0) {
      state = state(batch);
    }
    flusher.added(added);
  }

  /** As {@link RecordTracker#seal(BatchId, int)}. */
  BatchInfo seal(BatchId id, int totalRecords) {
    Objects.requireNonNull(id, "batch id must not be null");
    Sealing.requireCount(totalRecords);
    BatchState state = state(id);
    if (!Sealing.alreadySealed(state.info, totalRecords)) {
      Sealing.checkHighestMark(id, state.highestBufferedMark(), totalRecords);
    }
    BatchInfo sealed;
    try {
      sealed = store.seal(id, totalRecords);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw e; // the store's answer about this batch and count, not a failure of the store
    } catch (RecordTrackerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TrackerStoreException("seal batch " + id + " failed: " + e, e);
    }
    buffers.cache(sealed);
    return sealed;
  }

  /** The cached, live state of {@code batch}, read from the store on a miss. */
  BatchState state(BatchId batch) {
    Objects.requireNonNull(batch, "batch id must not be null");
    return buffers.state(batch, this::loadBatch);
  }

  private BatchInfo loadBatch(BatchId id) {
    BatchInfo info =
        StoreCall.run("find batch " + id, () -> store.findBatch(id))
            .orElseThrow(() -> new UnknownBatchException(id));
    if (buffers.overfull()) {
      flusher.requestFlush(); // the flusher evicts idle states: a reader's cache stays bounded
      if (buffers.farOverfull()) {
        // The flusher is behind (a busy machine, a long flush): evict here, on a call that just
        // made a store round trip, so that no pace of reading outgrows the bound.
        buffers.evictIdle();
      }
    }
    return info;
  }

  private static void checkRecord(BatchState state, int record) {
    BatchInfo info = state.info;
    int expected = info.expectedRecords();
    if ((record < 0 || record >= expected) && !info.isSealed()) {
      throw new IllegalArgumentException(
          "record "
              + record
              + " is outside batch "
              + info.id()
              + ", which is unsealed: its records are 0.."
              + (expected - 1));
    }
    if (record < 0 || record >= expected) {
      throw new IllegalArgumentException(
          "record "
              + record
              + " is outside batch "
              + info.id()
              + ", whose records are 0.."
              + (expected - 1)
              + " ("
              + expected
              + " expected)");
    }
  }

  private void awaitRoom() {
    try {
      buffers.awaitRoom(flusher::requestFlush);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the buffer to drain", e);
    }
  }
}
