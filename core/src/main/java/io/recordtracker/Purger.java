package io.recordtracker;

import io.recordtracker.spi.TrackerStore;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes the batches a query selects, a page at a time, and forgets their cached states. */
final class Purger {

  // The tracker's logger, so that users' logging configuration keeps applying to these lines.
  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);

  private final TrackerStore store;
  private final MarkBuffers buffers;

  Purger(TrackerStore store, MarkBuffers buffers) {
    this.store = store;
    this.buffers = buffers;
  }

  /** As {@link RecordTracker#purge(BatchId)}: whether the batch was deleted. */
  boolean purge(BatchId id) {
    int n = StoreCall.run("purge batch " + id, () -> store.delete(List.of(id)));
    buffers.forget(id);
    if (n > 0) {
      log.info("Purged batch {}", id);
    }
    return n > 0;
  }

  /** As {@link RecordTracker#purge(BatchQuery)}: how many batches were deleted. */
  int purge(BatchQuery query) {
    BatchQuery.Builder page = query.toBuilder().offset(0).limit(RecordTracker.PURGE_PAGE);
    if (!query.completionSpecified()) {
      page.completion(BatchQuery.Completion.CLOSED);
    }
    BatchQuery pageQuery = page.build();
    int deleted = 0;
    while (true) {
      List<BatchInfo> batches =
          StoreCall.run("list batches to purge", () -> store.batches(pageQuery));
      if (batches.isEmpty()) {
        break;
      }
      List<BatchId> ids = new ArrayList<>(batches.size());
      batches.forEach(b -> ids.add(b.id()));
      int n = StoreCall.run("purge " + ids.size() + " batches", () -> store.delete(ids));
      ids.forEach(buffers::forget);
      deleted += n;
      log.debug("Purged {} batches (of {} selected)", n, ids.size());
      if (n == 0 || batches.size() < RecordTracker.PURGE_PAGE) {
        break;
      }
    }
    if (deleted > 0) {
      log.info("Purged {} batches matching {}", deleted, pageQuery);
    }
    return deleted;
  }
}
