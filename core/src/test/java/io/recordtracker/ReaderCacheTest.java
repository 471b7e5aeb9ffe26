package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A tracker that only reads (a monitor, a gate, a CLI) must not cache every batch it ever read. */
class ReaderCacheTest {

  @Test
  void a_tracker_that_only_reconciles_50000_batches_keeps_at_most_its_cache_bound()
      throws Exception {
    TrackerStore store = TrackerStore.inMemory();
    int batches = 50_000;
    try (RecordTracker writer = RecordTracker.builder().store(store).build()) {
      for (int b = 0; b < batches; b++) {
        writer.openBatch(BatchId.of("read-" + b), 10);
      }
      writer.markSent(BatchId.of("read-7"), 3);
    }
    try (RecordTracker reader =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(20))
            .maxCachedBatches(100)
            .build()) {
      int most = 0;
      for (int b = 0; b < batches; b++) {
        Reconciliation r = reader.reconcile(BatchId.of("read-" + b));
        assertThat(r.missingCount()).isEqualTo(b == 7 ? 1 : 0);
        assertThat(r.absentUpstreamCount()).isEqualTo(b == 7 ? 9 : 10);
        most = Math.max(most, reader.cachedBatches());
      }
      // Whatever the flusher's pace: past 4x the bound, the reading thread evicts by itself.
      assertThat(most).isLessThanOrEqualTo(401);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (reader.cachedBatches() > 100 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(reader.cachedBatches()).isLessThanOrEqualTo(100);
    }
  }
}
