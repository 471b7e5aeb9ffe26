package io.recordtracker.spi;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.roaringbitmap.RoaringBitmap;

/**
 * For tests (shipped in core's test-jar): a store that forwards every call to another, so a test
 * overrides only the calls it wants to fail, count or record. {@link #close()} is not forwarded, so
 * several trackers can share the target.
 */
public class ForwardingTrackerStore implements TrackerStore {

  private final TrackerStore target;

  /** Forwards to {@code target}. */
  public ForwardingTrackerStore(TrackerStore target) {
    this.target = target;
  }

  /** Forwards to a new in-memory store. */
  public ForwardingTrackerStore() {
    this(TrackerStore.inMemory());
  }

  /** The store calls are forwarded to. */
  public TrackerStore target() {
    return target;
  }

  @Override
  public BatchInfo openBatch(BatchInfo batch) {
    return target.openBatch(batch);
  }

  @Override
  public BatchInfo seal(BatchId batch, int totalRecords) {
    return target.seal(batch, totalRecords);
  }

  @Override
  public BatchInfo abandon(BatchId batch, Instant at, String reason) {
    return target.abandon(batch, at, reason);
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    return target.findBatch(id);
  }

  @Override
  public void merge(List<MarkDelta> deltas) {
    target.merge(deltas);
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    return target.load(batch, stage);
  }

  @Override
  public Optional<java.util.Set<Stage>> knownStages() {
    return target.knownStages();
  }

  @Override
  public void declareStages(Collection<Stage> stages) {
    target.declareStages(stages);
  }

  @Override
  public RoaringBitmap loadRepeats(BatchId batch, Stage stage) {
    return target.loadRepeats(batch, stage);
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    return target.batches(query);
  }

  @Override
  public void recordCompletion(BatchId batch, Instant at) {
    target.recordCompletion(batch, at);
  }

  @Override
  public boolean tryRecordCompletion(BatchId batch, Instant at) {
    return target.tryRecordCompletion(batch, at);
  }

  @Override
  public int delete(Collection<BatchId> batches) {
    return target.delete(batches);
  }

  @Override
  public Optional<Instant> currentTime() {
    return target.currentTime();
  }

  @Override
  public Optional<AlertStore> alertStore() {
    return target.alertStore();
  }
}
