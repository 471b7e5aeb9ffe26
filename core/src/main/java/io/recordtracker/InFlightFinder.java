package io.recordtracker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the batches in flight for {@link RecordTracker#inFlightReport(Duration)}: candidates from
 * the store and from this tracker's unflushed marks, each reconciled through the tracker. A batch
 * is in flight when a stage of it was marked (or it was opened) strictly within the window and it
 * is neither complete nor abandoned: the complement, at the same instant, of what {@link
 * io.recordtracker.monitor.CompletenessMonitor} calls overdue with a grace at least the window.
 */
final class InFlightFinder {

  private final RecordTracker tracker;
  private final MarkBuffers buffers;

  InFlightFinder(RecordTracker tracker, MarkBuffers buffers) {
    this.tracker = tracker;
    this.buffers = buffers;
  }

  /** The batches in flight within {@code window}, which must be positive. */
  InFlightReport find(Duration window) {
    Instant since = tracker.clock().instant().minus(window);
    // Candidates: batches with a stage marked in the window, batches opened in it (marks may not
    // be flushed yet), and batches this tracker holds unflushed marks of. Keyset paging: batches
    // completed or purged meanwhile, here or by other processes, cannot shift a page and hide one.
    Map<BatchId, BatchInfo> candidates = new LinkedHashMap<>();
    collect(BatchQuery.builder().markedAfter(since), candidates);
    collect(BatchQuery.builder().openedAfter(since).incompleteOnly(), candidates);
    // The store's queries include their bound; a batch last marked exactly `window` ago is not in
    // flight, so that at every instant it is in flight or (past a monitor's grace >= window)
    // overdue, never both. Batches with unflushed marks here are in flight whatever the store says.
    candidates.values().removeIf(b -> !lastActivity(b).isAfter(since));
    Set<BatchId> localOnly = new HashSet<>();
    for (BatchInfo local : buffers.batchesWithMarks()) {
      if (candidates.putIfAbsent(local.id(), local) == null) {
        localOnly.add(local.id());
      }
    }
    List<BatchInfo> inFlight = new ArrayList<>();
    Map<BatchId, String> unreadable = new LinkedHashMap<>();
    for (BatchInfo batch : candidates.values()) {
      if (batch.isComplete()) {
        continue; // marks only grow: complete stays complete
      }
      if (batch.isAbandoned() || (localOnly.contains(batch.id()) && abandoned(batch.id()))) {
        continue; // a team said it will never complete: nothing to wait for
      }
      try {
        if (!tracker.reconcile(batch.id()).isComplete()) {
          inFlight.add(batch);
        }
      } catch (UnknownBatchException purgedMeanwhile) {
        // purged between the listing and the reconciliation: not in flight
      } catch (TrackerStoreException | IllegalStateException e) {
        if (stillThere(batch.id(), e)) {
          // Fail safe: what cannot be read may be in flight.
          inFlight.add(batch);
          unreadable.put(batch.id(), e.getMessage() == null ? e.toString() : e.getMessage());
        }
      }
    }
    return new InFlightReport(inFlight, unreadable);
  }

  /**
   * Whether the store has {@code batch} abandoned: the cached state of a batch this tracker holds
   * marks of does not know of an abandon made elsewhere.
   */
  private boolean abandoned(BatchId batch) {
    return tracker.batch(batch).map(BatchInfo::isAbandoned).orElse(false);
  }

  /** When the batch was last marked at any stage, or opened if never (or later). */
  static Instant lastActivity(BatchInfo batch) {
    Instant last = batch.openedAt();
    for (Instant t : batch.lastMarkedAt().values()) {
      last = t.isAfter(last) ? t : last;
    }
    return last;
  }

  /**
   * Whether {@code batch}, whose reconciliation failed with {@code failure}, is still in the store:
   * then the batch is unreadable. Throws {@code failure} when the store does not answer at all:
   * that is the store failing, not one batch.
   */
  private boolean stillThere(BatchId batch, RuntimeException failure) {
    try {
      return tracker.batch(batch).isPresent();
    } catch (RuntimeException storeDown) {
      failure.addSuppressed(storeDown);
      throw failure;
    }
  }

  private void collect(BatchQuery.Builder query, Map<BatchId, BatchInfo> into) {
    query.limit(RecordTracker.PURGE_PAGE);
    while (true) {
      List<BatchInfo> page = tracker.batches(query.build());
      for (BatchInfo batch : page) {
        into.putIfAbsent(batch.id(), batch);
      }
      if (page.size() < RecordTracker.PURGE_PAGE) {
        return;
      }
      query.startAfter(page.get(page.size() - 1));
    }
  }
}
