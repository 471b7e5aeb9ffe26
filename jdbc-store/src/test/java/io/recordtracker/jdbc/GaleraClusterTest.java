package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.CapturedStderr;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.monitor.CompletenessMonitor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/**
 * The store on a three-node MariaDB Galera cluster (every node takes writes): EDI marks on node 1,
 * CIS marks (and {@code markWithin} in business transactions) on node 2 and, on the same stage, on
 * node 1, so that commits on two nodes meet in certification; reconcile, monitor, gate and purge on
 * node 3; compaction running. The stored marks must be exactly the union, on every node, also after
 * a node is killed with SIGKILL and rejoins. Skipped where the packages are missing.
 */
class GaleraClusterTest {

  private static final String PREFIX = "rtgal_";
  private static final int RECORDS = 4_000;
  private static final int CHUNK = 100;
  private static final int CHUNKS = RECORDS / CHUNK;
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  private static GaleraCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = GaleraCluster.start();
    try (Connection c = node(1).getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + PREFIX
              + "orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, batch_id VARCHAR(64) NOT NULL,"
              + " first_record INT NOT NULL)");
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Node {@code n}, its reads causal (wsrep_sync_wait=1: a read waits until the node applied what
   * the cluster committed before it), as a tracker on one node marking a batch opened on another
   * needs; see docs/jdbc.md.
   */
  private static TestDataSource node(int n) {
    GaleraCluster.Node node = cluster.node(n);
    try {
      return new TestDataSource(
          new org.mariadb.jdbc.MariaDbDataSource(node.url() + "&connectTimeout=3000"),
          List.of("SET time_zone = '-07:00'", "SET SESSION wsrep_sync_wait = 1"));
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JdbcTrackerStore store(DataSource ds) {
    return JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).compactionThreshold(4).build();
  }

  private static RecordTracker tracker(JdbcTrackerStore store) {
    return RecordTracker.builder().store(store).flushInterval(Duration.ofMillis(50)).build();
  }

  @Test
  void marks_from_three_nodes_are_stored_as_their_union_with_conflicts_retried() throws Exception {
    TestDataSource ds1 = node(1);
    TestDataSource ds2 = node(2);
    TestDataSource ds3 = node(3);
    long conflictsBefore = conflicts();
    try (JdbcTrackerStore s1 = store(ds1);
        JdbcTrackerStore s1b = store(ds1);
        JdbcTrackerStore s2 = store(ds2);
        JdbcTrackerStore s3 = store(ds3);
        RecordTracker edi = tracker(s1);
        RecordTracker cisOn1 = tracker(s1b);
        RecordTracker cis = tracker(s2);
        RecordTracker ops = tracker(s3)) {
      assertThat(s1.galera()).isTrue();
      assertThat(s3.galera()).isTrue();
      assertThat(s2.readOnly()).isFalse();

      // Old batches, complete and recorded so by node 3, for node 3 to purge during the run.
      List<BatchId> old = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        BatchId id = BatchId.generate();
        edi.openBatch(id, 500, Map.of("kind", "old"));
        edi.markSent(id, RecordRange.of(0, 499));
        edi.markProcessed(id, RecordRange.of(0, 499));
        old.add(id);
      }
      edi.flush();
      for (BatchId id : old) {
        assertThat(ops.reconcile(id).isComplete()).isTrue();
        assertThat(s1.findBatch(id).orElseThrow().completedAt()).isPresent();
      }

      List<BatchId> batches = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        BatchId id = BatchId.generate();
        edi.openBatch(id, RECORDS, Map.of("kind", "edi"));
        batches.add(id);
      }
      // Batch 0's last chunk is sent and never processed: the one gap reconcile must find.
      BatchId gapBatch = batches.get(0);
      int gapChunk = CHUNKS - 1;

      ExecutorService pool = Executors.newFixedThreadPool(5);
      AtomicBoolean markersDone = new AtomicBoolean();
      AtomicInteger purged = new AtomicInteger();
      AtomicInteger withinRetries = new AtomicInteger();
      try {
        List<Future<?>> markers = new ArrayList<>();
        markers.add(
            pool.submit(
                () -> {
                  for (int c = 0; c < CHUNKS; c++) {
                    for (BatchId b : batches) {
                      edi.markSent(b, chunk(c));
                    }
                    if (c % 8 == 7) {
                      flushUntilDone(edi);
                    }
                  }
                  flushUntilDone(edi);
                  return null;
                }));
        for (int parity = 0; parity < 2; parity++) {
          RecordTracker worker = parity == 0 ? cis : cisOn1;
          int p = parity;
          markers.add(
              pool.submit(
                  () -> {
                    for (int c = 0; c < CHUNKS; c++) {
                      for (BatchId b : batches) {
                        if (processedBy(b, c, gapBatch, gapChunk) == p) {
                          worker.markProcessed(b, chunk(c));
                        }
                      }
                      if (c % 8 == 7) {
                        flushUntilDone(worker);
                      }
                    }
                    flushUntilDone(worker);
                    return null;
                  }));
        }
        markers.add(
            pool.submit(
                () -> {
                  for (int c = 0; c < CHUNKS; c++) {
                    for (BatchId b : batches) {
                      if (processedBy(b, c, gapBatch, gapChunk) == 2) {
                        withinRetries.addAndGet(businessTransaction(ds2, s2, b, c));
                      }
                    }
                  }
                  return null;
                }));
        Future<?> operations =
            pool.submit(
                () -> {
                  CompletenessMonitor monitor =
                      CompletenessMonitor.builder(ops).grace(Duration.ofMinutes(5)).build();
                  int rounds = 0;
                  while (!markersDone.get() || rounds == 0) {
                    for (BatchId b : batches) {
                      ops.reconcile(b);
                    }
                    monitor.runOnce();
                    ops.inFlight(Duration.ofMinutes(5));
                    if (rounds == 1) {
                      purged.set(ops.purge(BatchQuery.builder().attribute("kind", "old").build()));
                    }
                    rounds++;
                  }
                  if (rounds == 1) {
                    purged.set(ops.purge(BatchQuery.builder().attribute("kind", "old").build()));
                  }
                  return null;
                });
        for (Future<?> f : markers) {
          f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
        markersDone.set(true);
        operations.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
      }

      assertThat(purged.get()).isEqualTo(3);
      RoaringBitmap all = RoaringBitmap.bitmapOfRange(0, RECORDS);
      RoaringBitmap allButGap = all.clone();
      allButGap.remove((long) gapChunk * CHUNK, RECORDS);
      for (JdbcTrackerStore s : List.of(s1, s2, s3)) {
        for (BatchId b : batches) {
          assertThat(s.load(b, Stage.SENT)).as("sent of %s via %s", b, s).isEqualTo(all);
          assertThat(s.load(b, Stage.PROCESSED))
              .as("processed of %s via node %s", b, s)
              .isEqualTo(b.equals(gapBatch) ? allButGap : all);
        }
        for (BatchId b : old) {
          assertThat(s.findBatch(b)).as("purged %s", b).isEmpty();
        }
      }
      Reconciliation gap = ops.reconcile(gapBatch);
      assertThat(gap.missing()).containsExactly(RecordRange.of(gapChunk * CHUNK, RECORDS - 1));
      for (BatchId b : batches.subList(1, batches.size())) {
        assertThat(ops.reconcile(b).isComplete()).isTrue();
        // Recorded on node 3, read on node 1.
        assertThat(s1.findBatch(b).orElseThrow().completedAt())
            .as("completion of %s", b)
            .isPresent();
      }
      assertThat(s1.findBatch(gapBatch).orElseThrow().completedAt()).isEmpty();

      // Folding on node 3 rows written on nodes 1 and 2: one row per (batch, stage), same marks.
      for (BatchId b : batches) {
        for (Stage stage : List.of(Stage.SENT, Stage.PROCESSED)) {
          s3.compact(b, stage);
          assertThat(rows(ds1, b, stage)).as("rows of %s %s", b, stage).isEqualTo(1);
        }
        assertThat(s2.load(b, Stage.SENT)).isEqualTo(all);
        assertThat(s2.load(b, Stage.PROCESSED)).isEqualTo(b.equals(gapBatch) ? allButGap : all);
      }
      System.out.printf(
          "Galera: %d certification conflicts and brute-force aborts across the nodes during the"
              + " run; %d business transactions retried after one%n",
          conflicts() - conflictsBefore, withinRetries.get());
    }
  }

  @Test
  void a_node_killed_with_sigkill_rejoins_and_no_mark_is_lost() throws Exception {
    TestDataSource ds1 = node(1);
    TestDataSource ds2 = node(2);
    int records = 6_000;
    int chunks = records / CHUNK;
    try (JdbcTrackerStore s1 = store(ds1);
        JdbcTrackerStore s2 = store(ds2);
        JdbcTrackerStore s3 = store(node(3));
        RecordTracker edi = tracker(s1);
        RecordTracker cis = tracker(s2)) {
      BatchId id = BatchId.generate();
      edi.openBatch(id, records, Map.of("kind", "kill"));
      edi.flush();
      CountDownLatch halfway = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        Future<?> sender =
            pool.submit(
                () -> {
                  for (int c = 0; c < chunks; c++) {
                    edi.markSent(id, chunk(c));
                    if (c % 5 == 4) {
                      flushUntilDone(edi);
                    }
                  }
                  flushUntilDone(edi);
                  return null;
                });
        Future<?> processor =
            pool.submit(
                () -> {
                  for (int c = 0; c < chunks; c++) {
                    if (c == chunks / 2) {
                      halfway.countDown();
                    }
                    if (c % 3 == 2) {
                      businessTransaction(ds2, s2, id, c);
                    } else {
                      cis.markProcessed(id, chunk(c));
                      if (c % 5 == 4) {
                        try {
                          cis.flush();
                        } catch (TrackerStoreException e) {
                          // node 2 is down: the marks stay buffered for the next flush
                        }
                      }
                    }
                  }
                  return null;
                });
        assertThat(halfway.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        cluster.node(2).kill();
        cluster.node(2).start(false);
        cluster.node(2).awaitSynced();
        sender.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        processor.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        flushUntilDone(cis);
      } finally {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
      }
      assertThat(cluster.clusterSize(1)).isEqualTo(3);
      assertThat(cluster.clusterSize(2)).isEqualTo(3);
      RoaringBitmap all = RoaringBitmap.bitmapOfRange(0, records);
      for (JdbcTrackerStore s : List.of(s1, s2, s3)) {
        assertThat(s.load(id, Stage.SENT)).as("sent via %s", s).isEqualTo(all);
        assertThat(s.load(id, Stage.PROCESSED)).as("processed via %s", s).isEqualTo(all);
      }
      assertThat(edi.reconcile(id).isComplete()).isTrue();
    }
  }

  @Test
  void a_certification_conflict_at_commit_is_retried_and_logged() throws Exception {
    TestDataSource ds1 = node(1);
    TestDataSource ds2 = node(2);
    try (Connection c = ds1.getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + PREFIX + "conflict (id INT PRIMARY KEY, v INT)");
      s.execute("REPLACE INTO " + PREFIX + "conflict VALUES (1, 0)");
    }
    JdbcRunner runner = new JdbcRunner(ds2, 10, new SqlFailures(PREFIX, "mysql.sql", 10), true);
    AtomicInteger attempts = new AtomicInteger();
    CapturedStderr err = CapturedStderr.start();
    try {
      runner.inTransaction(
          "an update on node 2",
          true,
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("UPDATE " + PREFIX + "conflict SET v = v + 1 WHERE id = 1")) {
              ps.executeUpdate();
            }
            if (attempts.incrementAndGet() == 1) {
              // Node 1 commits an update of the same row first: node 2's transaction loses
              // certification (or is aborted by the replicated write) and fails with 1213.
              try (Connection other = ds1.getConnection();
                  Statement s = other.createStatement()) {
                s.executeUpdate("UPDATE " + PREFIX + "conflict SET v = v + 100 WHERE id = 1");
              }
            }
            return null;
          });
    } finally {
      err.close();
    }
    assertThat(attempts.get()).isEqualTo(2);
    assertThat(err.count("an update on node 2 met a certification conflict on the Galera cluster"))
        .isEqualTo(1);
    try (Connection c = ds1.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM " + PREFIX + "conflict WHERE id = 1")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(101);
    }
  }

  /**
   * Who marks chunk {@code c} of {@code b} processed: 0 CIS on node 2, 1 CIS on node 1, 2 within.
   */
  private static int processedBy(BatchId b, int c, BatchId gapBatch, int gapChunk) {
    if (b.equals(gapBatch) && c == gapChunk) {
      return -1;
    }
    return c % 5 == 4 ? 2 : c % 2;
  }

  private static RecordRange chunk(int c) {
    return RecordRange.of(c * CHUNK, c * CHUNK + CHUNK - 1);
  }

  /**
   * A CIS business transaction on {@code ds}: inserts an order row and marks chunk {@code c}
   * processed with {@code markWithin}, committed together; retried as a whole when the commit meets
   * a certification conflict or the node is unreachable, as a CIS would.
   *
   * @return how many attempts failed before one committed
   */
  private static int businessTransaction(DataSource ds, JdbcTrackerStore store, BatchId b, int c)
      throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    for (int failures = 0; ; failures++) {
      try (Connection conn = ds.getConnection()) {
        conn.setAutoCommit(false);
        try {
          try (PreparedStatement ps =
              conn.prepareStatement(
                  "INSERT INTO " + PREFIX + "orders (batch_id, first_record) VALUES (?, ?)")) {
            ps.setString(1, b.value());
            ps.setInt(2, c * CHUNK);
            ps.executeUpdate();
          }
          store.markWithin(conn, b, Stage.PROCESSED, chunk(c));
          conn.commit();
          return failures;
        } catch (SQLException | TrackerStoreException e) {
          try {
            conn.rollback();
          } catch (SQLException ignored) {
            // the connection is broken; the next attempt opens another
          }
          throw e;
        }
      } catch (SQLException | TrackerStoreException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** Flushes until the store takes every mark: a flush meeting a conflict or outage fails. */
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

  private static int rows(DataSource ds, BatchId b, Stage stage) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM " + PREFIX + "marks WHERE batch_id = ? AND stage = ?")) {
      ps.setString(1, b.value());
      ps.setString(2, stage.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Certification failures and brute-force aborts, summed over the nodes. */
  private static long conflicts() throws SQLException {
    long sum = 0;
    for (int n = 1; n <= 3; n++) {
      sum += cluster.node(n).status("wsrep_local_cert_failures");
      sum += cluster.node(n).status("wsrep_local_bf_aborts");
    }
    return sum;
  }
}
