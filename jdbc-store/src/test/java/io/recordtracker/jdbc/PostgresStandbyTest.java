package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.CapturedStderr;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.Finding;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/**
 * The store on a PostgreSQL streaming standby: a read-only tracker, the monitor and the gate read
 * there and make no write, the replication lag is visible; then a failover through a multi-host URL
 * with {@code targetServerType=primary}, during which marking resumes by itself and no flushed mark
 * is lost (a switchover: the old primary stops with {@code fast}, which sends the standby all its
 * WAL first). Each test gets its own primary and standby. Skipped without PostgreSQL's server
 * binaries.
 */
class PostgresStandbyTest {

  private static final String PREFIX = "rtsby_";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private PostgresStandby pg;

  @BeforeEach
  void start() throws Exception {
    pg = PostgresStandby.start();
  }

  @AfterEach
  void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  private static JdbcTrackerStore store(TestDataSource ds) {
    return JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).build();
  }

  @Test
  void a_read_only_tracker_monitor_and_gate_work_on_the_standby_and_write_nothing()
      throws Exception {
    TestDataSource primary = pg.primary();
    try (JdbcTrackerStore writerStore = store(primary);
        RecordTracker writer = RecordTracker.builder().store(writerStore).build()) {
      assertThat(writerStore.readOnly()).isFalse();
      assertThat(writerStore.replicationLag()).isEmpty();
      BatchId complete = BatchId.generate();
      BatchId gap = BatchId.generate();
      writer.openBatch(complete, 1_000, Map.of("file", "a.edi"));
      writer.openBatch(gap, 1_000, Map.of("file", "b.edi"));
      writer.markSent(complete, RecordRange.of(0, 999));
      writer.markProcessed(complete, RecordRange.of(0, 999));
      writer.markSent(gap, RecordRange.of(0, 999));
      writer.markProcessed(gap, RecordRange.of(0, 499));
      writer.flush();
      writer.markProcessed(gap, RecordRange.of(600, 999));
      writer.flush(); // two delta rows of (gap, processed): a fold's threshold below

      CapturedStderr err = CapturedStderr.start();
      try (JdbcTrackerStore standbyStore =
              JdbcTrackerStore.builder(pg.standby())
                  .tablePrefix(PREFIX)
                  .compactionThreshold(2)
                  .build();
          RecordTracker reader = RecordTracker.builder().store(standbyStore).build()) {
        assertThat(standbyStore.readOnly()).isTrue();
        awaitReplayed(standbyStore, gap);
        Optional<Duration> lag = standbyStore.replicationLag();
        assertThat(lag).isPresent();
        assertThat(lag.orElseThrow()).isGreaterThanOrEqualTo(Duration.ZERO);

        Reconciliation done = reader.reconcile(complete);
        assertThat(done.isComplete()).isTrue();
        Reconciliation open = reader.reconcile(gap);
        assertThat(open.missing()).containsExactly(RecordRange.of(500, 599));
        // The standby recorded no completion; the primary's store still can.
        assertThat(writerStore.findBatch(complete).orElseThrow().completedAt()).isEmpty();
        assertThat(standbyStore.tryRecordCompletion(complete, Instant.now())).isFalse();

        List<BatchInfo> inFlight = reader.inFlight(Duration.ofMinutes(10));
        assertThat(inFlight).extracting(BatchInfo::id).containsExactly(gap);
        MaintenanceGate gate =
            MaintenanceGate.builder(reader).window(Duration.ofMinutes(10)).build();
        assertThat(gate.inFlight()).extracting(BatchInfo::id).containsExactly(gap);

        CompletenessMonitor monitor =
            CompletenessMonitor.builder(reader).grace(Duration.ofMillis(1)).build();
        List<Finding> findings = monitor.runOnce();
        assertThat(findings).extracting(Finding::batchId).containsExactly(gap);

        // A write through the standby store fails as read-only, saying so.
        assertThatThrownBy(
                () ->
                    standbyStore.openBatch(
                        BatchInfo.of(BatchId.generate(), 5, Instant.now(), Map.of())))
            .isInstanceOfSatisfying(
                TrackerStoreException.class,
                e -> assertThat(e.reason()).isEqualTo(TrackerStoreException.Reason.READ_ONLY));

        // The completion is recorded by a reconcile on the primary, then replicated.
        assertThat(writer.reconcile(complete).isComplete()).isTrue();
        Instant completed =
            writerStore.findBatch(complete).orElseThrow().completedAt().orElseThrow();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (standbyStore.findBatch(complete).orElseThrow().completedAt().isEmpty()
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(standbyStore.findBatch(complete).orElseThrow().completedAt())
            .contains(completed);
      } finally {
        err.close(); // after the standby store closed, waiting for a fold it might have run
      }
      // Reads of (gap, processed) saw 2 rows, the fold threshold: a read-only store folds nothing.
      assertThat(err.count("Compaction of batch")).isZero();
    }
  }

  @Test
  void marks_resume_by_themselves_after_the_standby_is_promoted_and_none_is_lost()
      throws Exception {
    int records = 20_000;
    int chunk = 100;
    TestDataSource either = pg.eitherPrimary();
    try (JdbcTrackerStore store = store(either);
        RecordTracker tracker =
            RecordTracker.builder().store(store).flushInterval(Duration.ofMillis(50)).build()) {
      BatchId id = BatchId.generate();
      tracker.openBatch(id, records);
      tracker.flush();
      AtomicInteger marked = new AtomicInteger();
      AtomicInteger failedFlushes = new AtomicInteger();
      AtomicBoolean failedOver = new AtomicBoolean();
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<?> marker =
            pool.submit(
                () -> {
                  for (int c = 0; c < records / chunk; c++) {
                    tracker.markSent(id, RecordRange.of(c * chunk, c * chunk + chunk - 1));
                    marked.incrementAndGet();
                    // Half before the failover, half after it, whatever the pace.
                    while (c == records / chunk / 2 && !failedOver.get()) {
                      Thread.sleep(5);
                    }
                    try {
                      tracker.flush();
                    } catch (TrackerStoreException e) {
                      failedFlushes.incrementAndGet(); // kept buffered; the next flush retries
                    }
                  }
                  return null;
                });
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (marked.get() < records / chunk / 2 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        pg.stopPrimary("fast");
        pg.promoteStandby();
        failedOver.set(true);
        marker.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
      }
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (true) {
        try {
          tracker.flush();
          break;
        } catch (TrackerStoreException e) {
          if (System.nanoTime() - deadline > 0) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
      try (JdbcTrackerStore promoted = store(pg.standby())) {
        assertThat(promoted.readOnly()).isFalse();
        assertThat(promoted.load(id, Stage.SENT))
            .isEqualTo(RoaringBitmap.bitmapOfRange(0, records));
      }
      System.out.printf(
          "Failover: %d flushes failed while no primary answered%n", failedFlushes.get());
    }
  }

  @Test
  void commits_the_standby_missed_are_lost_in_a_crash_unless_the_failover_journal_resends_them()
      throws Exception {
    int records = 3_000;
    TestDataSource either = pg.eitherPrimary();
    try (JdbcTrackerStore journaled =
            JdbcTrackerStore.builder(either)
                .tablePrefix(PREFIX)
                .failoverJournal(Duration.ofMinutes(5))
                .build();
        JdbcTrackerStore plain = store(either);
        RecordTracker edi = RecordTracker.builder().store(journaled).build();
        RecordTracker cis = RecordTracker.builder().store(plain).build()) {
      BatchId id = BatchId.generate();
      edi.openBatch(id, records);
      edi.markSent(id, RecordRange.of(0, 999));
      edi.flush();
      cis.markProcessed(id, RecordRange.of(0, 999));
      cis.flush();
      try (JdbcTrackerStore standby = store(pg.standby())) {
        awaitReplayed(standby, id);
      }
      // The standby stops receiving: what the primary commits now exists on the primary only,
      // as the last moment's commits do under asynchronous replication when the primary crashes.
      pg.stopStandby();
      edi.markSent(id, RecordRange.of(1_000, 1_999));
      edi.flush();
      cis.markProcessed(id, RecordRange.of(1_000, 1_999));
      cis.flush(); // both flushes returned: durable on the primary
      pg.stopPrimary("immediate"); // the crash
      pg.startStandby();
      pg.promoteStandby();

      edi.markSent(id, RecordRange.of(2_000, 2_999));
      cis.markProcessed(id, RecordRange.of(2_000, 2_999));
      flushUntilDone(edi); // its journal notices the new timeline and re-sends 0-1999 first
      flushUntilDone(cis);

      try (JdbcTrackerStore promoted = store(pg.standby())) {
        assertThat(promoted.readOnly()).isFalse();
        assertThat(promoted.load(id, Stage.SENT))
            .isEqualTo(RoaringBitmap.bitmapOfRange(0, records));
        RoaringBitmap processed = RoaringBitmap.bitmapOfRange(0, 1_000);
        processed.add(2_000L, 3_000L);
        assertThat(promoted.load(id, Stage.PROCESSED)).isEqualTo(processed);
      }
      // What the store without a journal lost shows where a reader looks: as missing records.
      assertThat(edi.reconcile(id).missing()).containsExactly(RecordRange.of(1_000, 1_999));
    }
  }

  private static void flushUntilDone(RecordTracker tracker) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      try {
        tracker.flush();
        return;
      } catch (TrackerStoreException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static void awaitReplayed(JdbcTrackerStore standby, BatchId batch) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (standby.findBatch(batch).isEmpty() || standby.load(batch, Stage.PROCESSED).isEmpty()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("the standby did not replay batch " + batch + " in time");
      }
      Thread.sleep(20);
    }
  }
}
