package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fleet's store at scale (issue 16): {@code --batches} batches (default 100,000) of 1,000 to
 * 100,000 records on PostgreSQL, {@code --incomplete-percent} of them incomplete (default 5: each
 * missing a gap of 2% of its records, overdue), and {@code --changing-percent} of all batches
 * (default 1, taken from the incomplete ones) getting one more record processed between rounds.
 * Measured, on one store (embedded PostgreSQL unless {@code $RECORDTRACKER_PG_URL} is set):
 *
 * <ol>
 *   <li>seeding: the batches, stage times and marks rows written by a few set-based {@code INSERT
 *       ... SELECT}s from template batches a tracker wrote (20 sizes, complete and incomplete), not
 *       one tracker call per batch;
 *   <li>the first monitor round (reconciles every incomplete batch, tells each finding as NEW);
 *   <li>a round after the changing batches were marked (and were quiet for the monitor's grace, 1
 *       s, so that each is due): it reconciles exactly those;
 *   <li>a round with nothing changed: it reconciles nothing;
 *   <li>the first page of {@code batches --incomplete} (the store query the CLI runs: the 100
 *       newest incomplete batches);
 *   <li>the purge of the complete batches ({@link RecordTracker#purge}: pages of 500, each deleted
 *       in its own transaction) while another thread keeps marking a batch of its own and flushing
 *       every 100 records: the purge's time and that thread's flush latencies, before and during.
 * </ol>
 *
 * <p>Round times are medians of {@code --runs} runs (default 7), each with another set of changing
 * batches. Run by hand: {@code java -cp benchmarks/target/benchmarks.jar
 * io.recordtracker.benchmarks.FleetScaleBenchmark}; not part of {@code mvn verify}.
 */
public final class FleetScaleBenchmark {

  private static final String PREFIX = "rtfleet_";
  private static final int SIZE_CLASSES = 20;
  private static final Duration GRACE = Duration.ofSeconds(1);

  private FleetScaleBenchmark() {}

  /** Command-line settings. */
  record Config(int batches, int incompletePercent, int changingPercent, int runs) {
    static Config parse(String[] args) {
      int batches = 100_000;
      int incomplete = 5;
      int changing = 1;
      int runs = 7;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("missing value after " + a);
        }
        int v = Integer.parseInt(args[++i]);
        switch (a) {
          case "--batches" -> batches = v;
          case "--incomplete-percent" -> incomplete = v;
          case "--changing-percent" -> changing = v;
          case "--runs" -> runs = v;
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      if (batches < 400 || incomplete < 1 || changing < 1 || changing > incomplete || runs < 1) {
        throw new IllegalArgumentException(
            "need --batches >= 400, 1 <= --changing-percent <= --incomplete-percent, --runs >= 1");
      }
      return new Config(batches, incomplete, changing, runs);
    }
  }

  public static void main(String[] args) throws Exception {
    Config config;
    try {
      config = Config.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(
          "usage: FleetScaleBenchmark [--batches N] [--incomplete-percent P]"
              + " [--changing-percent P] [--runs N]");
      System.exit(2);
      return;
    }
    System.exit(run(config, System.out));
  }

  static int run(Config config, PrintStream out) throws Exception {
    out.println("== uptime at start: " + uptime());
    out.println(
        "== JDK "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + ", "
            + Runtime.getRuntime().availableProcessors()
            + " cores, max heap "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MB");
    try (BenchDatabase db = BenchDatabase.postgres(8)) {
      out.println("== " + db.describe());
      db.dropTablesStartingWith(PREFIX);
      try (JdbcTrackerStore store =
          JdbcTrackerStore.builder(db.dataSource())
              .tablePrefix(PREFIX)
              .createSchema(true)
              .build()) {
        return measure(config, db, store, out);
      } finally {
        db.dropTablesStartingWith(PREFIX);
        out.println("== uptime at end: " + uptime());
      }
    }
  }

  /** Record counts of the size classes: 1,000 to 100,000, evenly on a log scale. */
  static int[] sizes() {
    int[] sizes = new int[SIZE_CLASSES];
    for (int k = 0; k < SIZE_CLASSES; k++) {
      sizes[k] = (int) Math.round(1000 * Math.pow(100, k / (double) (SIZE_CLASSES - 1)));
    }
    return sizes;
  }

  /** The first record of an incomplete batch's gap of missing records. */
  static int gapStart(int size) {
    return (int) (size * 0.3);
  }

  static int gapLength(int size) {
    return Math.max(20, size / 50);
  }

  private static int measure(
      Config config, BenchDatabase db, JdbcTrackerStore store, PrintStream out) throws Exception {
    int[] sizes = sizes();
    long seedStart = System.nanoTime();
    List<Integer> incomplete = seed(config, db, store, sizes);
    long seedNanos = System.nanoTime() - seedStart;
    out.printf(
        "seeded %,d batches (%,d incomplete) in %.1f s%n",
        config.batches, incomplete.size(), seedNanos / 1e9);

    int changing = (int) ((long) config.batches * config.changingPercent / 100);
    List<Double> changedRounds = new ArrayList<>();
    List<Double> unchangedRounds = new ArrayList<>();
    List<Long> changedReconciles = new ArrayList<>();
    List<Long> unchangedReconciles = new ArrayList<>();
    List<Double> firstPages = new ArrayList<>();
    List<Double> listings = new ArrayList<>();
    List<Double> alertReads = new ArrayList<>();
    AtomicLong events = new AtomicLong();
    double coldRound;
    long coldReconciles;
    try (RecordTracker monitorTracker = RecordTracker.builder().store(store).build();
        RecordTracker writer = RecordTracker.builder().store(store).build()) {
      CompletenessMonitor monitor =
          CompletenessMonitor.builder(monitorTracker)
              .grace(GRACE)
              .listener("bench", (DiscrepancyEvent e) -> events.incrementAndGet())
              .build();
      long r0 = monitorTracker.stats().reconciles();
      long t0 = System.nanoTime();
      List<Finding> findings = monitor.runOnce();
      coldRound = (System.nanoTime() - t0) / 1e6;
      coldReconciles = monitorTracker.stats().reconciles() - r0;
      check(findings.size() == incomplete.size(), "first round findings: " + findings.size());
      out.printf(
          "first round: %.0f ms, %,d reconciles, %,d findings, %,d events%n",
          coldRound, coldReconciles, findings.size(), events.get());

      Map<Integer, Integer> progress = new HashMap<>();
      for (int run = 0; run < config.runs; run++) {
        List<Integer> changed = new ArrayList<>(changing);
        for (int i = 0; i < changing; i++) {
          changed.add(incomplete.get((run * changing + i) % incomplete.size()));
        }
        for (int b : changed) {
          int size = sizes[b % SIZE_CLASSES];
          int step = progress.merge(b, 1, Integer::sum);
          check(step < gapLength(size), "batch " + b + " would complete");
          writer.markProcessed(batchId(b), gapStart(size) + step - 1);
        }
        writer.flush();
        // Quiet for the grace, so that every changed batch is due (overdue) in the round.
        Thread.sleep(GRACE.toMillis() + 200);

        long r1 = monitorTracker.stats().reconciles();
        long t1 = System.nanoTime();
        findings = monitor.runOnce();
        changedRounds.add((System.nanoTime() - t1) / 1e6);
        changedReconciles.add(monitorTracker.stats().reconciles() - r1);
        check(findings.size() == incomplete.size(), "findings: " + findings.size());

        long r2 = monitorTracker.stats().reconciles();
        long t2 = System.nanoTime();
        findings = monitor.runOnce();
        unchangedRounds.add((System.nanoTime() - t2) / 1e6);
        unchangedReconciles.add(monitorTracker.stats().reconciles() - r2);
        check(findings.size() == incomplete.size(), "findings: " + findings.size());

        // Where an unchanged round's time goes: the paged listing, and the open alert rows.
        long t4 = System.nanoTime();
        long listed = 0;
        BatchQuery.Builder pages =
            BatchQuery.builder().completion(BatchQuery.Completion.INCOMPLETE).limit(500);
        while (true) {
          List<BatchInfo> page = store.batches(pages.build());
          listed += page.size();
          if (page.size() < 500) {
            break;
          }
          pages.startAfter(page.get(page.size() - 1));
        }
        listings.add((System.nanoTime() - t4) / 1e6);
        check(listed == incomplete.size(), "listed " + listed);
        long t5 = System.nanoTime();
        int open = store.alertStore().orElseThrow().unsettled().size();
        alertReads.add((System.nanoTime() - t5) / 1e6);
        check(open == incomplete.size(), "open alert rows " + open);

        for (int i = 0; i < 3; i++) {
          long t3 = System.nanoTime();
          List<BatchInfo> page =
              monitorTracker.batches(
                  BatchQuery.builder()
                      .limit(BatchQuery.DEFAULT_LIMIT)
                      .completion(BatchQuery.Completion.INCOMPLETE)
                      .build());
          firstPages.add((System.nanoTime() - t3) / 1e6);
          check(page.size() == BatchQuery.DEFAULT_LIMIT, "first page: " + page.size());
        }
        out.printf(
            "run %d: changed round %.0f ms (%d reconciles), unchanged round %.0f ms (%d"
                + " reconciles), first page %.1f ms%n",
            run + 1,
            changedRounds.get(run),
            changedReconciles.get(run),
            unchangedRounds.get(run),
            unchangedReconciles.get(run),
            firstPages.get(firstPages.size() - 1));
      }
      check(events.get() == incomplete.size(), "events: " + events.get());
    }

    PurgeResult purge = purgeWhileMarking(store, config.batches - incomplete.size());

    out.println();
    out.printf("| What | Median | Min | Max | Target | |%n|---|---|---|---|---|---|%n");
    row(out, "Monitor round, " + changing + " batches changed", changedRounds, 1000);
    row(out, "Monitor round, nothing changed", unchangedRounds, 100);
    out.printf(
        "| ... of which: listing every incomplete batch, %d pages of 500 | %.1f ms | %.1f ms | %.1f"
            + " ms | | |%n",
        (incomplete.size() + 499) / 500,
        median(listings),
        Collections.min(listings),
        Collections.max(listings));
    out.printf(
        "| ... of which: reading the %,d open alert rows | %.1f ms | %.1f ms | %.1f ms | | |%n",
        incomplete.size(),
        median(alertReads),
        Collections.min(alertReads),
        Collections.max(alertReads));
    row(out, "`batches --incomplete` first page (100)", firstPages, 50);
    out.printf(
        "| First monitor round (every incomplete batch, %,d NEW) | %.0f ms | | | | |%n",
        incomplete.size(), coldRound);
    out.printf(
        "| Reconciles per round: changed / unchanged | %s / %s | | | %d / 0 | %s |%n",
        changedReconciles,
        unchangedReconciles,
        changing,
        changedReconciles.stream().allMatch(n -> n == changing)
                && unchangedReconciles.stream().allMatch(n -> n == 0)
            ? "met"
            : "MISSED");
    out.printf(
        "| Purge of %,d complete batches (%,d store calls of 500) | %.1f s | | | | |%n",
        purge.deleted, (purge.deleted + 499) / 500, purge.seconds);
    out.printf(
        "| Flush latency of a marking thread: before the purge (median / max of %d) | %.1f / %.1f"
            + " ms | | | | |%n",
        purge.before.size(), median(purge.before), Collections.max(purge.before));
    out.printf(
        "| ... during the purge (median / max of %d) | %.1f / %.1f ms | | | | |%n",
        purge.during.size(), median(purge.during), Collections.max(purge.during));
    out.printf("seeding: %.1f s%n", seedNanos / 1e9);
    return 0;
  }

  private static void row(PrintStream out, String what, List<Double> ms, double target) {
    double median = median(ms);
    out.printf(
        "| %s | %.1f ms | %.1f ms | %.1f ms | <= %.0f ms | %s |%n",
        what,
        median,
        Collections.min(ms),
        Collections.max(ms),
        target,
        median <= target ? "met" : "MISSED");
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("unexpected: " + what);
    }
  }

  static BatchId batchId(int i) {
    return BatchId.of(String.format("fleet-%06d", i));
  }

  /** Whether batch {@code i} is one of the incomplete ones: 1 in 100/percent, all sizes. */
  static boolean isIncomplete(int i, int percent) {
    return (i / SIZE_CLASSES) % 100 < percent;
  }

  /**
   * Writes the templates through a tracker, then every batch, its stage times and its marks rows
   * with set-based SQL copying the template of its size and completeness; returns the incomplete
   * batches' numbers.
   */
  private static List<Integer> seed(
      Config config, BenchDatabase db, JdbcTrackerStore store, int[] sizes) throws SQLException {
    List<BatchId> templates = new ArrayList<>();
    try (RecordTracker t = RecordTracker.builder().store(store).build()) {
      for (int size : sizes) {
        BatchId complete = BatchId.of("tpl-c-" + size);
        t.openBatch(complete, size);
        t.markSent(complete, RecordRange.of(0, size - 1));
        t.markProcessed(complete, RecordRange.of(0, size - 1));
        BatchId lossy = BatchId.of("tpl-i-" + size);
        t.openBatch(lossy, size);
        t.markSent(lossy, RecordRange.of(0, size - 1));
        t.markProcessed(lossy, RecordRange.of(0, gapStart(size) - 1));
        t.markProcessed(lossy, RecordRange.of(gapStart(size) + gapLength(size), size - 1));
        templates.add(complete);
        templates.add(lossy);
      }
      t.flush();
    }
    StringBuilder classes = new StringBuilder();
    for (int k = 0; k < sizes.length; k++) {
      classes.append(k == 0 ? "" : ", ").append("(").append(k).append(", ").append(sizes[k]);
      classes.append(")");
    }
    String utcNow = "(now() AT TIME ZONE 'UTC')";
    String incompleteWhen = "((g / " + SIZE_CLASSES + ") % 100 < " + config.incompletePercent + ")";
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      // Opened two days ago, a millisecond apart; the complete ones recorded complete a day ago.
      st.executeUpdate(
          "INSERT INTO "
              + PREFIX
              + "batch (batch_id, expected_records, opened_at, completed_at, attributes,"
              + " incarnation, sealed) SELECT 'fleet-' || lpad(g::text, 6, '0'), c.n, "
              + utcNow
              + " - interval '2 days' + g * interval '1 millisecond', CASE WHEN "
              + incompleteWhen
              + " THEN NULL ELSE "
              + utcNow
              + " - interval '1 day' END, '{}', 1 + floor(random() * 1e15)::bigint, 1"
              + " FROM generate_series(0, "
              + (config.batches - 1)
              + ") g JOIN (VALUES "
              + classes
              + ") AS c(k, n) ON c.k = g % "
              + SIZE_CLASSES);
      st.executeUpdate(
          "INSERT INTO "
              + PREFIX
              + "stage (batch_id, stage, last_marked_at) SELECT b.batch_id, s.stage, b.opened_at +"
              + " interval '1 minute' FROM "
              + PREFIX
              + "batch b CROSS JOIN (VALUES ('sent'), ('processed')) AS s(stage) WHERE b.batch_id"
              + " LIKE 'fleet-%'");
      st.executeUpdate(
          "INSERT INTO "
              + PREFIX
              + "marks (batch_id, stage, marks, token, repeated) SELECT b.batch_id, m.stage,"
              + " m.marks, m.token, m.repeated FROM "
              + PREFIX
              + "batch b JOIN "
              + PREFIX
              + "marks m ON m.batch_id = CASE WHEN b.completed_at IS NULL THEN 'tpl-i-' ELSE"
              + " 'tpl-c-' END || b.expected_records::text WHERE b.batch_id LIKE 'fleet-%'");
      c.commit();
      c.setAutoCommit(true);
      st.execute("ANALYZE");
    }
    store.delete(templates);
    List<Integer> incomplete = new ArrayList<>();
    for (int i = 0; i < config.batches; i++) {
      if (isIncomplete(i, config.incompletePercent)) {
        incomplete.add(i);
      }
    }
    return incomplete;
  }

  record PurgeResult(int deleted, double seconds, List<Double> before, List<Double> during) {}

  /**
   * Purges the complete batches through a tracker while another thread marks a batch of its own,
   * flushing every 100 records, and times each flush.
   */
  private static PurgeResult purgeWhileMarking(JdbcTrackerStore store, int complete)
      throws Exception {
    BatchId marked = BatchId.of("marking-during-purge");
    List<Double> before = Collections.synchronizedList(new ArrayList<>());
    List<Double> during = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean purging = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    try (RecordTracker marker = RecordTracker.builder().store(store).build();
        RecordTracker ops = RecordTracker.builder().store(store).build()) {
      marker.openBatch(marked, 100_000_000);
      Thread thread =
          new Thread(
              () -> {
                int next = 0;
                while (!stop.get()) {
                  boolean inPurge = purging.get();
                  marker.markProcessed(marked, RecordRange.of(next, next + 99));
                  next += 100;
                  long t = System.nanoTime();
                  marker.flush();
                  double ms = (System.nanoTime() - t) / 1e6;
                  if (inPurge && purging.get()) {
                    during.add(ms);
                  } else if (!inPurge && !purging.get()) {
                    before.add(ms);
                  }
                }
              },
              "marking-during-purge");
      thread.start();
      Thread.sleep(2000);
      purging.set(true);
      long t0 = System.nanoTime();
      int deleted =
          ops.purge(BatchQuery.builder().completion(BatchQuery.Completion.COMPLETE).build());
      double seconds = (System.nanoTime() - t0) / 1e9;
      purging.set(false);
      stop.set(true);
      thread.join(TimeUnit.MINUTES.toMillis(1));
      check(deleted == complete, "purged " + deleted + " of " + complete);
      return new PurgeResult(deleted, seconds, List.copyOf(before), List.copyOf(during));
    }
  }

  private static String uptime() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
