package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incident of the postmortem, replayed end to end in seconds: EDI sends a file of 486,000
 * customer records to CIS; a patch restarts CIS workers while the file is being processed, and a
 * slice of records is silently never processed; the reconciliation job that already runs every few
 * minutes finds exactly those records and the hop where they vanished; EDI resends only them; the
 * batch completes.
 *
 * <p>{@code --role sender|processor|reconcile|resend} runs one side as its own JVM on a shared
 * database, as EDI and CIS really run. {@code --help} lists every option.
 */
public final class IncidentReplay {
  /** Bad arguments, as the record-tracker CLI exits. */
  static final int EXIT_USAGE = 64;

  /** Records are missing, as the record-tracker CLI's reconcile exits. */
  static final int EXIT_MISSING = 2;

  /** A reconciliation longer than this goes to a file, not the terminal. */
  private static final int MAX_INLINE_JSON = 2_000;

  private static final Logger log = LoggerFactory.getLogger("replay");

  /** The stages a record goes through, in order. */
  static final List<Stage> CHAIN = List.of(Stage.SENT, CisProcessor.RECEIVED, Stage.PROCESSED);

  /** A batch is judged by the job once it had no mark for this long (flushes come every 250 ms). */
  static final Duration SETTLE = Duration.ofSeconds(1);

  private final ReplayOptions options;
  private final PrintStream out;

  IncidentReplay(ReplayOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs the replay, or one role. The exit codes mean what they mean for the {@code record-tracker}
   * CLI: 0 when all went as it should; 1 when not (an error, or the replay's reconciliation did not
   * find exactly what the patch dropped); 2 when {@code --role reconcile} finds records missing; 64
   * on a bad option.
   *
   * @param args the options; {@code --help} lists them
   */
  public static void main(String[] args) {
    ReplayOptions options;
    try {
      options = ReplayOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(ReplayOptions.USAGE);
      System.exit(EXIT_USAGE);
      return;
    }
    if (options.help) {
      System.out.println(ReplayOptions.USAGE);
      return;
    }
    int status;
    try {
      status = new IncidentReplay(options, System.out).run();
    } catch (Exception e) {
      log.error("Replay failed", e);
      status = 1;
    }
    System.exit(status);
  }

  /**
   * Runs what the options ask. Returns the exit status: 0 when all is as it should be; 1 when the
   * replay's reconciliation did not find exactly what the patch dropped; 2 when {@code --role
   * reconcile} finds records missing.
   */
  int run() throws Exception {
    ReplayDatabase db = ReplayDatabase.open(options);
    log.info("Database: {}", db.describe());
    return switch (options.role) {
      case REPLAY -> {
        boolean matches = replay(db).matches();
        printLeftBehind(db);
        yield matches ? 0 : 1;
      }
      case SENDER -> sender(db);
      case PROCESSOR -> processor(db);
      case RECONCILE -> reconcile(db);
      case RESEND -> resend(db);
    };
  }

  // -----------------------------------------------------------------------------------------------
  // The replay, in one JVM

  /** What a replay did and found; the test checks it. */
  record Outcome(
      BatchId batch,
      int sent,
      RoaringBitmap dropped,
      List<RecordRange> found,
      String hop,
      Reconciliation hopReconciliation,
      Reconciliation sentToReceived,
      long resent,
      Reconciliation before,
      Reconciliation after,
      Duration reconcileTook) {

    /**
     * Whether reconciliation found exactly what the patch dropped, the resend completed it, and the
     * count of records processed twice is what the resend caused: none for a resend of the missing
     * records; every record processed before it for a resend of the whole file.
     */
    boolean matches() {
      long expectedRepeats = resent == sent ? sent - dropped.getLongCardinality() : 0;
      return found.equals(ranges(dropped))
          && after.isComplete()
          && after.repeatedCount() == expectedRepeats;
    }
  }

  /** The replay in one JVM: three systems, each with its own tracker, on one database. */
  Outcome replay(ReplayDatabase db) throws Exception {
    cleanUp(db);
    Timeline timeline = new Timeline();
    String run = UUID.randomUUID().toString().substring(0, 8);
    JdbcTrackerStore cisStore = db.newStore();
    try (RecordTracker edi = db.newTracker();
        RecordTracker cis = db.newTracker(cisStore);
        RecordTracker ops = db.newTracker()) {
      // 1. EDI opens the batch, writes the file, marks records sent as the transport confirms.
      EdiSender sender = new EdiSender(edi);
      timeline.note(
          "EDI opened the batch and started sending " + count(options.records) + " records");
      EdiSender.Sent sent =
          sender.send(
              options.dir,
              options.records,
              Map.of("source", "incident-replay", "replay-run", run, "customer", "ACME Utilities"));
      timeline.note(
          "EDI sent batch "
              + sent.batch()
              + ": "
              + count(sent.records())
              + " records in "
              + sent.file().getFileName()
              + ", all marked sent");

      // The reconciliation job the ops team already runs on a schedule, now with the tracker in it.
      ScheduledJob job = ScheduledJob.start(ops, run, sent.batch());

      // 2-3. CIS processes the file with several workers; midway a patch restarts two of them.
      CisProcessor processor = cisProcessor(db, cis, cisStore);
      CisProcessor.Result result = process(processor, sent, timeline);
      if (result.lost().isEmpty()) {
        job.stop();
        return nothingLost(ops, sent, result, timeline);
      }

      // 4. The job notices the batch settled incomplete, and says where the records vanished.
      ReconciliationJob.Finding finding = job.awaitFinding();
      Reconciliation before = finding.sentToProcessed();
      timeline.note(
          "Reconciliation job detected the discrepancy: "
              + count(before.missingCount())
              + " records missing at "
              + finding.hopName()
              + " (reconciled in "
              + millis(finding.took())
              + ")");
      printFinding(finding);
      Reconciliation sentToReceived =
          ops.reconcile(sent.batch(), Stage.SENT, CisProcessor.RECEIVED);

      // 5. EDI resends exactly the missing ranges; CIS processes them (no patch this time). Or,
      // with --resend-whole-file, the whole file as the postmortem's team did.
      EdiSender.Sent resent;
      if (options.resendWholeFile) {
        resent = sender.resendWholeFile(sent, options.dir);
        timeline.note(
            "EDI resent the whole file, as the postmortem's team did: "
                + count(resent.records())
                + " records");
        reapplyingProcessor(db, cis, cisStore).process(resent.file(), null);
      } else {
        resent = sender.resend(before.resendPlan(), options.dir);
        timeline.note(
            "EDI resent only the missing records: "
                + count(resent.records())
                + " in "
                + plural(before.missing().size(), "range", "ranges"));
        processor.process(resent.file(), null);
      }
      timeline.note("CIS processed the resend");

      // 6. The final reconciliation, the timeline and the numbers.
      Reconciliation after = finalReconciliation(ops, sent, timeline);
      Outcome outcome =
          new Outcome(
              sent.batch(),
              sent.records(),
              result.lost(),
              before.missing(),
              finding.hopName(),
              finding.hop(),
              sentToReceived,
              resent.records(),
              before,
              after,
              finding.took());
      printSummary(timeline, outcome);
      return outcome;
    }
  }

  private CisProcessor.Result process(
      CisProcessor processor, EdiSender.Sent sent, Timeline timeline) throws Exception {
    timeline.note(
        "CIS started processing with "
            + options.workers
            + " workers"
            + (options.customerRows
                ? ", saving customers and their marks in one transaction"
                : ""));
    CisProcessor.Result result = processor.process(sent.file(), patch());
    if (result.patchedAt() != null) {
      timeline.note(
          result.patchedAt(),
          "Patch applied during processing: restarted "
              + String.join(", ", result.restartedWorkers()));
    }
    timeline.note(
        "CIS finished the file, no error reported: "
            + count(result.committed())
            + " of "
            + count(result.read())
            + " records committed");
    log.info(
        "(Behind the scenes, the patch dropped {} records: {}. Nothing in CIS noticed.)",
        count(result.lost().getLongCardinality()),
        shape(result.lostRanges()));
    return result;
  }

  private Reconciliation finalReconciliation(
      RecordTracker ops, EdiSender.Sent sent, Timeline timeline) throws IOException {
    long start = System.nanoTime();
    Reconciliation after = ops.reconcile(sent.batch());
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    timeline.note(
        after.isComplete()
            ? "Batch complete: "
                + count(sent.records())
                + " of "
                + count(sent.records())
                + " processed"
            : "Batch STILL INCOMPLETE: " + count(after.missingCount()) + " missing");
    out.println();
    out.println("Final reconciliation (" + millis(took) + "):");
    printJson(after);
    return after;
  }

  /** With {@code --no-patch} (or a patch that hit only idle workers) there is nothing to find. */
  private Outcome nothingLost(
      RecordTracker ops, EdiSender.Sent sent, CisProcessor.Result result, Timeline timeline)
      throws IOException {
    Reconciliation after = finalReconciliation(ops, sent, timeline);
    Reconciliation sentToReceived = ops.reconcile(sent.batch(), Stage.SENT, CisProcessor.RECEIVED);
    Outcome outcome =
        new Outcome(
            sent.batch(),
            sent.records(),
            result.lost(),
            after.missing(),
            "none",
            after,
            sentToReceived,
            0,
            after,
            after,
            Duration.ZERO);
    printSummary(timeline, outcome);
    return outcome;
  }

  /** The reconciliation job on its schedule, and the finding the replay waits for. */
  private static final class ScheduledJob {
    private final ScheduledExecutorService scheduler;
    private final CompletableFuture<ReconciliationJob.Finding> detected;

    private ScheduledJob(
        ScheduledExecutorService scheduler, CompletableFuture<ReconciliationJob.Finding> detected) {
      this.scheduler = scheduler;
      this.detected = detected;
    }

    /** Runs the job every 250 ms over this run's batches. */
    static ScheduledJob start(RecordTracker ops, String run, BatchId batch) {
      CompletableFuture<ReconciliationJob.Finding> detected = new CompletableFuture<>();
      ReconciliationJob job =
          new ReconciliationJob(
              ops,
              CHAIN,
              SETTLE,
              Duration.ofHours(1),
              Map.of("replay-run", run),
              finding -> {
                if (finding.batch().id().equals(batch)) {
                  detected.complete(finding);
                }
              });
      ScheduledExecutorService scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "reconciliation-job");
                t.setDaemon(true);
                return t;
              });
      scheduler.scheduleWithFixedDelay(job, 250, 250, TimeUnit.MILLISECONDS);
      return new ScheduledJob(scheduler, detected);
    }

    /** The job's first finding on the batch; stops the job. */
    ReconciliationJob.Finding awaitFinding() throws Exception {
      try {
        return detected.get(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException("the reconciliation job found no discrepancy in 30 s", e);
      } finally {
        stop();
      }
    }

    void stop() {
      scheduler.shutdownNow();
    }
  }

  /**
   * CIS: saving a customer row per record and marking each transaction's records processed inside
   * it ({@code markWithin}), or, with {@code --no-customer-rows}, only marking them.
   */
  private CisProcessor cisProcessor(ReplayDatabase db, RecordTracker cis, JdbcTrackerStore store)
      throws SQLException {
    return options.customerRows
        ? new CisProcessor(cis, db.cis(store), options.workers, options.deferEvery)
        : new CisProcessor(cis, options.workers, options.deferEvery);
  }

  /** CIS for a file that repeats records it saved: each such record is posted again. */
  private CisProcessor reapplyingProcessor(
      ReplayDatabase db, RecordTracker cis, JdbcTrackerStore store) throws SQLException {
    return options.customerRows
        ? new CisProcessor(cis, db.cis(store).reapplying(), options.workers, options.deferEvery)
        : new CisProcessor(cis, options.workers, options.deferEvery);
  }

  private CisProcessor.Patch patch() {
    return options.patch ? new CisProcessor.Patch(0.5, 2) : null;
  }

  /** Deletes the files and completed batches of earlier replays, so runs never pile up. */
  private void cleanUp(ReplayDatabase db) throws IOException, SQLException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(options.dir, "customers-*")) {
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
    }
    JdbcTrackerStore store = db.newStore();
    try (RecordTracker tracker = db.newTracker(store)) {
      BatchQuery done =
          BatchQuery.builder()
              .attribute("source", "incident-replay")
              .completion(BatchQuery.Completion.COMPLETE)
              .limit(BatchQuery.MAX_LIMIT)
              .build();
      List<BatchId> ids = tracker.batches(done).stream().map(BatchInfo::id).toList();
      if (!ids.isEmpty()) {
        long start = System.nanoTime();
        int purged = tracker.purge(done);
        db.cis(store).delete(ids);
        log.info(
            "Purged {} of earlier replays and their customer rows ({} ms)",
            plural(purged, "completed batch", "completed batches"),
            (System.nanoTime() - start) / 1_000_000);
      }
    }
  }

  private void printFinding(ReconciliationJob.Finding finding) throws IOException {
    Reconciliation r = finding.sentToProcessed();
    out.println();
    out.println("Missing records of batch " + r.batch() + " (" + count(r.missingCount()) + "):");
    List<String> contiguous = new ArrayList<>();
    List<String> scattered = new ArrayList<>();
    for (RecordRange range : r.missing()) {
      if (range.size() > 1) {
        contiguous.add(range + " (" + count(range.size()) + ")");
      } else {
        scattered.add(Integer.toString(range.first()));
      }
    }
    out.println("  contiguous: " + abbreviated(contiguous, 10));
    out.println("  scattered:  " + abbreviated(scattered, 10));
    out.println(
        "Lost at hop "
            + finding.hopName()
            + ": "
            + finding.hopMeaning()
            + " ("
            + Stage.SENT
            + "->"
            + CisProcessor.RECEIVED
            + " is complete).");
    out.println("JSON report:");
    printJson(r);
  }

  /**
   * Prints the reconciliation's JSON when it is short; a long one (524 ranges make 12 KB on one
   * line) goes to a file in --dir, named on a line of its own, which a job or {@code jq} reads.
   */
  private void printJson(Reconciliation r) throws IOException {
    StringWriter json = new StringWriter();
    r.writeJson(json);
    if (json.getBuffer().length() <= MAX_INLINE_JSON) {
      out.println(json);
    } else {
      Path file =
          options.dir.resolve(
              r.batch().value() + "-" + r.upstream() + "-" + r.downstream() + ".json");
      Files.writeString(file, json.toString(), StandardCharsets.UTF_8);
      out.println(
          "JSON report: "
              + count(json.getBuffer().length())
              + " characters, every range, written to "
              + file.toAbsolutePath());
    }
    out.println();
  }

  /**
   * What the replay leaves on disk and in the database, and how to remove it: a 10 million record
   * run leaves hundreds of MB of EDI files and a table of GB. The next replay in the same --dir
   * deletes the files and purges the completed batches of earlier runs.
   */
  private void printLeftBehind(ReplayDatabase db) throws IOException {
    long files = 0;
    try (DirectoryStream<Path> edi = Files.newDirectoryStream(options.dir, "customers-*")) {
      for (Path f : edi) {
        files += Files.size(f);
      }
    }
    out.println();
    out.println(
        "Left behind: "
            + megabytes(files)
            + " of EDI files in "
            + options.dir.toAbsolutePath()
            + " (customers-*; delete them with rm "
            + options.dir.toAbsolutePath().resolve("customers-*")
            + ")");
    String tables = options.tablePrefix + "*";
    if (options.jdbcUrl == null) {
      long h2 = 0;
      try (DirectoryStream<Path> db2 = Files.newDirectoryStream(options.dir, "replay-db*")) {
        for (Path f : db2) {
          h2 += Files.size(f);
        }
      }
      out.println(
          "             "
              + megabytes(h2)
              + " of H2 database (the "
              + tables
              + " tables) in "
              + options.dir.toAbsolutePath().resolve("replay-db.mv.db")
              + "; delete the whole directory to remove everything.");
    } else {
      out.println(
          "             the "
              + tables
              + " tables in "
              + db.describe()
              + db.tableBytes().map(b -> " (" + megabytes(b) + ")").orElse("")
              + "; remove them with DROP TABLE on each "
              + tables
              + " table.");
    }
    out.println(
        "The next replay in this directory deletes these files and purges the completed batches.");
  }

  static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%,.1f MB", bytes / 1e6);
  }

  private void printSummary(Timeline timeline, Outcome o) {
    out.println("Timeline:");
    timeline.print(out);
    out.println();
    long dropped = o.dropped().getLongCardinality();
    out.printf(Locale.ROOT, "Records sent          %,12d%n", o.sent());
    out.printf(
        Locale.ROOT,
        "Records lost          %,12d   (dropped by the patch: %s)%n",
        dropped,
        shape(ranges(o.dropped())));
    out.printf(
        Locale.ROOT,
        "Records found missing %,12d   (%s)%n",
        o.before().missingCount(),
        o.found().equals(ranges(o.dropped()))
            ? "exactly the records the patch dropped"
            : "MISMATCH with what the patch dropped");
    out.printf(Locale.ROOT, "Records resent        %,12d%n", o.resent());
    out.printf(
        Locale.ROOT,
        "Reconciliation took   %12s   (sent->processed of %s records)%n",
        millis(o.reconcileTook()),
        count(o.sent()));
    out.println("Lost at hop           " + o.hop());
    out.println("Batch complete        " + (o.after().isComplete() ? "yes" : "NO: " + o.after()));
    out.printf(
        Locale.ROOT,
        "Processed twice       %,12d   (%s)%n",
        o.after().repeatedCount(),
        o.after().repeatedCount() == 0
            ? "no record was processed twice: the resend was exactly the missing records"
            : "records CIS processed again when the whole file was resent: "
                + shape(o.after().repeated()));
  }

  // -----------------------------------------------------------------------------------------------
  // The two-process mode: each side its own JVM, one shared database

  private int sender(ReplayDatabase db) throws IOException {
    try (RecordTracker edi = db.newTracker()) {
      EdiSender.Sent sent =
          new EdiSender(edi).send(options.dir, options.records, Map.of("source", "two-process"));
      out.println("batch " + sent.batch());
      out.println("file " + sent.file());
    }
    return 0;
  }

  private int processor(ReplayDatabase db) throws Exception {
    Path file = options.file != null ? options.file : newestFile();
    JdbcTrackerStore store = db.newStore();
    try (RecordTracker cis = db.newTracker(store)) {
      CisProcessor.Result result = cisProcessor(db, cis, store).process(file, patch());
      if (result.patchedAt() != null) {
        // The replay's own record of what the patch dropped, for checking the reconciliation.
        Path ledger = Path.of(file + ".dropped");
        List<String> lines = new ArrayList<>();
        result.lostRanges().forEach(r -> lines.add(r.toString()));
        Files.write(ledger, lines, StandardCharsets.UTF_8);
        log.info(
            "(Behind the scenes, the patch dropped {} records; listed in {})",
            count(result.lost().getLongCardinality()),
            ledger);
      }
    }
    return 0;
  }

  private int reconcile(ReplayDatabase db) throws IOException {
    try (RecordTracker ops = db.newTracker()) {
      BatchInfo batch = batch(ops);
      ReconciliationJob job =
          new ReconciliationJob(ops, CHAIN, Duration.ZERO, Duration.ofDays(1), Map.of(), f -> {});
      ReconciliationJob.Finding finding = job.check(batch);
      Reconciliation r = finding == null ? ops.reconcile(batch.id()) : finding.sentToProcessed();
      if (!r.isComplete()) {
        // Only an incomplete batch can have records still on their way; a complete one is done.
        batch.lastMarkedAt().values().stream()
            .max(Instant::compareTo)
            .filter(last -> last.isAfter(Instant.now().minusSeconds(5)))
            .ifPresent(
                last ->
                    out.println(
                        "Note: batch "
                            + batch.id()
                            + " was marked at "
                            + last
                            + ", less than 5 s ago: records may still be in flight."));
      }
      if (finding == null) {
        out.println(
            "Batch " + batch.id() + " " + (r.isComplete() ? "complete" : "incomplete") + ":");
        printJson(r);
        return r.isComplete() ? 0 : EXIT_MISSING;
      }
      printFinding(finding);
      return EXIT_MISSING;
    }
  }

  private int resend(ReplayDatabase db) throws IOException {
    try (RecordTracker edi = db.newTracker()) {
      BatchInfo batch = batch(edi);
      Reconciliation r = edi.reconcile(batch.id());
      if (r.missing().isEmpty()) {
        out.println("Nothing to resend: batch " + batch.id() + " has no missing records");
        return 0;
      }
      EdiSender.Sent resent = new EdiSender(edi).resend(r.resendPlan(), options.dir);
      out.println("batch " + resent.batch());
      out.println("file " + resent.file());
    }
    return 0;
  }

  private BatchInfo batch(RecordTracker tracker) {
    if (options.batch != null) {
      BatchId id = BatchId.of(options.batch);
      return tracker
          .batch(id)
          .orElseThrow(() -> new IllegalArgumentException("no batch " + id + " in the database"));
    }
    List<BatchInfo> newest = tracker.batches(BatchQuery.builder().limit(1).build());
    if (newest.isEmpty()) {
      throw new IllegalStateException("no batch in the database: run --role sender first");
    }
    return newest.get(0);
  }

  private Path newestFile() throws IOException {
    try (var files = Files.list(options.dir)) {
      return files
          .filter(f -> f.getFileName().toString().matches("customers-.*\\.edi"))
          .max(Comparator.comparing(IncidentReplay::modified))
          .orElseThrow(
              () -> new IllegalStateException("no customers-*.edi file in " + options.dir));
    }
  }

  private static Instant modified(Path f) {
    try {
      return Files.getLastModifiedTime(f).toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Formatting

  /** 486000 as "486,000". */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }

  /** The maximal ranges of {@code bitmap}, walking runs rather than records. */
  static List<RecordRange> ranges(RoaringBitmap bitmap) {
    List<RecordRange> ranges = new ArrayList<>();
    long next = bitmap.isEmpty() ? -1 : Integer.toUnsignedLong(bitmap.first());
    while (next >= 0) {
      int first = (int) next;
      long end = bitmap.nextAbsentValue(first); // one past the run
      ranges.add(RecordRange.of(first, (int) (end - 1)));
      next = end > Integer.MAX_VALUE ? -1 : bitmap.nextValue((int) end);
    }
    return ranges;
  }

  /** "3 ranges of 2,000+ records and 41 single records". */
  static String shape(List<RecordRange> ranges) {
    long singles = ranges.stream().filter(r -> r.size() == 1).count();
    long runs = ranges.size() - singles;
    return plural(runs, "contiguous range", "contiguous ranges")
        + " and "
        + plural(singles, "scattered record", "scattered records");
  }

  /** "1 contiguous range", "2 contiguous ranges". */
  static String plural(long n, String singular, String plural) {
    return count(n) + " " + (n == 1 ? singular : plural);
  }

  /** "a, b, c ... (+ n more)", or "none". */
  private static String abbreviated(List<String> items, int max) {
    if (items.isEmpty()) {
      return "none";
    }
    String head = String.join(", ", items.subList(0, Math.min(max, items.size())));
    return items.size() > max
        ? head + " ... (" + items.size() + " in all, every one in the JSON below)"
        : head;
  }
}
