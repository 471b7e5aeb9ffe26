package io.recordtracker;

import io.recordtracker.spi.StageMarks;
import io.recordtracker.spi.StoreClock;
import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks which records of each batch reached which stage, and reconciles stages to the ranges of
 * records that went missing between them. Thread-safe; one per process is typical.
 *
 * <pre>{@code
 * try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
 *   BatchId id = BatchId.generate();
 *   tracker.openBatch(id, 486_000, Map.of("file", "customers.edi"));  // before sending
 *   tracker.markSent(id, RecordRange.of(0, 485_999));                  // transport confirmed
 *   tracker.markProcessed(id, 42);                                     // CIS committed record 42
 *   Reconciliation r = tracker.reconcile(id);                          // r.missing(): to resend
 * }
 * }</pre>
 *
 * <h2>Write path</h2>
 *
 * A mark is added to an in-memory buffer per (batch, stage); it does no I/O except the first time
 * this tracker sees a batch it did not open, when it reads the batch's declared size from the store
 * (once; the size never changes). A background thread flushes buffers to the store every {@code
 * flushInterval}, or sooner once {@code flushThreshold} records are buffered; {@link #flush()}
 * flushes on the caller's thread. When the store fails, marks stay buffered and are retried with
 * backoff (at most {@value #MAX_RETRY_BACKOFF_MILLIS} ms apart); none is dropped. At {@code
 * maxBufferedRecords} buffered records, marking blocks until a flush makes room.
 *
 * <h2>Read path</h2>
 *
 * {@link #reconcile(BatchId)} sees every mark this tracker made before the call, flushed or not,
 * and every mark other trackers on the same store have flushed.
 */
public final class RecordTracker implements AutoCloseable {

  /** The flush interval when none is set. */
  public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);

  /** The number of buffered records that triggers a flush when none is set. */
  public static final int DEFAULT_FLUSH_THRESHOLD = 1_000_000;

  /** The bound on buffered records when none is set. */
  public static final long DEFAULT_MAX_BUFFERED_RECORDS = 64L * 1024 * 1024;

  /** The longest wait between two flush attempts while the store is failing. */
  static final long MAX_RETRY_BACKOFF_MILLIS = 2_000;

  private static final long MIN_RETRY_BACKOFF_MILLIS = 50;
  private static final int DEFAULT_MAX_CACHED_BATCHES = 10_000;
  private static final int PURGE_PAGE = 500;

  /** Rejected batches remembered for the next flush() to report; the ERROR log has them all. */
  private static final int MAX_UNREPORTED_BATCHES = 1_000;

  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);
  private static final AtomicInteger TRACKERS = new AtomicInteger();

  private final TrackerStore store;
  private final Clock clock;

  /** The clock when it follows the store's (no explicit clock set); null otherwise. */
  private final StoreClock storeClock;

  private final Duration flushInterval;
  private final int flushThreshold;
  private final long maxBufferedRecords;
  private final MarkBuffers buffers;

  // Fair, so that a flush() caller queued behind the flusher's store call goes next: the flusher,
  // woken by a mark at the buffer bound, would otherwise barge in again and again while the store
  // is failing, and the caller's wait would have no bound.
  private final ReentrantLock flushLock = new ReentrantLock(true);
  private final ReentrantLock wakeLock = new ReentrantLock();
  private final Condition wake = wakeLock.newCondition();
  private final Thread flusher;
  private volatile boolean closed;
  private volatile boolean flushRequested;

  // Stats and outage state; failing and failingSince are guarded by flushLock.
  private final ConcurrentHashMap<Stage, LongAdder> flushedRecords = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Stage, LongAdder> rejectedRecords = new ConcurrentHashMap<>();
  private final Map<BatchId, Long> unreportedRejections = new LinkedHashMap<>();
  private final AtomicLong flushes = new AtomicLong();
  private final AtomicLong flushFailures = new AtomicLong();
  private final AtomicLong flushNanos = new AtomicLong();
  private final AtomicLong reconciles = new AtomicLong();
  private final AtomicLong reconcileNanos = new AtomicLong();
  private volatile boolean failing;
  private long failingSinceNanos;

  private RecordTracker(Builder b) {
    this.store = b.store != null ? b.store : TrackerStore.inMemory();
    this.storeClock =
        b.clock != null
            ? null
            : StoreClock.following(this.store::currentTime, b.hostClock, this.store.toString());
    this.clock = b.clock != null ? b.clock : storeClock;
    this.flushInterval = b.flushInterval;
    this.flushThreshold = b.flushThreshold;
    this.maxBufferedRecords = b.maxBufferedRecords;
    this.buffers = new MarkBuffers(maxBufferedRecords, b.maxCachedBatches);
    this.flusher =
        new Thread(this::runFlusher, "record-tracker-flusher-" + TRACKERS.incrementAndGet());
    flusher.setDaemon(true);
    flusher.start();
    log.debug(
        "Started tracker: store={}, flushInterval={}, flushThreshold={}, maxBufferedRecords={}",
        store,
        flushInterval,
        flushThreshold,
        maxBufferedRecords);
  }

  /** A builder with every setting at its default. */
  public static Builder builder() {
    return new Builder();
  }

  /** A tracker on a new in-memory store, with default settings. */
  public static RecordTracker inMemory() {
    return builder().build();
  }

  // ---------------------------------------------------------------------------------------------
  // Batches

  /**
   * Declares a batch of {@code expectedRecords} records, numbered 0 .. expectedRecords-1, before
   * anything of it is sent. Written through to the store before it returns, so every tracker on the
   * store sees it at once. Opening again with the same count returns the stored batch (safe to
   * retry).
   *
   * @throws NullPointerException if {@code id} is null
   * @throws IllegalArgumentException if {@code expectedRecords} is negative
   * @throws BatchConflictException if the batch exists with a different expected count
   * @throws TrackerStoreException if the store fails
   */
  public BatchInfo openBatch(BatchId id, int expectedRecords) {
    return openBatch(id, expectedRecords, Map.of());
  }

  /**
   * Declares a batch with attributes (file name, customer, ...), as {@link #openBatch(BatchId,
   * int)}. On a retry the attributes first stored are kept.
   *
   * @throws NullPointerException if {@code id} or {@code attributes} (or an entry) is null
   * @throws IllegalArgumentException if {@code expectedRecords} is negative or the attributes break
   *     {@link BatchInfo}'s limits
   * @throws BatchConflictException if the batch exists with a different expected count
   * @throws TrackerStoreException if the store fails
   */
  public BatchInfo openBatch(BatchId id, int expectedRecords, Map<String, String> attributes) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    BatchInfo declared = BatchInfo.of(id, expectedRecords, clock.instant(), attributes);
    BatchInfo stored = storeCall("open batch " + id, () -> store.openBatch(declared));
    buffers.cache(stored);
    return stored;
  }

  /**
   * The batch as the store knows it now (including when each stage was last marked), if it exists.
   *
   * @throws TrackerStoreException if the store fails
   */
  public Optional<BatchInfo> batch(BatchId id) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    return storeCall("find batch " + id, () -> store.findBatch(id));
  }

  /**
   * The batches matching {@code query}, newest opened first, one page.
   *
   * @throws TrackerStoreException if the store fails
   */
  public List<BatchInfo> batches(BatchQuery query) {
    ensureOpen();
    Objects.requireNonNull(query, "query must not be null");
    return storeCall("list batches", () -> store.batches(query));
  }

  /**
   * Deletes every batch matching {@code query} with all its marks, a page of at most {@value
   * #PURGE_PAGE} batches per store call; the query's limit and offset are ignored. Unless the query
   * sets a completion filter explicitly, only batches seen complete are deleted: an incomplete
   * batch is never deleted by accident. Completion is recorded when a reconciliation of sent
   * against processed finds the batch complete.
   *
   * @return how many batches were deleted
   * @throws TrackerStoreException if the store fails; batches deleted before that stay deleted
   */
  public int purge(BatchQuery query) {
    ensureOpen();
    Objects.requireNonNull(query, "query must not be null");
    BatchQuery.Builder page = query.toBuilder().offset(0).limit(PURGE_PAGE);
    if (!query.completionSpecified()) {
      page.completion(BatchQuery.Completion.COMPLETE);
    }
    BatchQuery pageQuery = page.build();
    int deleted = 0;
    while (true) {
      List<BatchInfo> batches = storeCall("list batches to purge", () -> store.batches(pageQuery));
      if (batches.isEmpty()) {
        break;
      }
      List<BatchId> ids = new ArrayList<>(batches.size());
      batches.forEach(b -> ids.add(b.id()));
      int n = storeCall("purge " + ids.size() + " batches", () -> store.delete(ids));
      ids.forEach(buffers::forget);
      deleted += n;
      log.debug("Purged {} batches (of {} selected)", n, ids.size());
      if (n == 0 || batches.size() < PURGE_PAGE) {
        break;
      }
    }
    if (deleted > 0) {
      log.info("Purged {} batches matching {}", deleted, pageQuery);
    }
    return deleted;
  }

  /**
   * The batches that are being worked on: a reconciliation of sent against processed finds them
   * incomplete, and some stage was marked within {@code window} (by the stage's last-marked time in
   * the store), or they were opened within it, or this tracker holds unflushed marks of them. A
   * patch script or deploy pipeline waits until this is empty; see {@link MaintenanceGate}. Other
   * trackers' unflushed marks are not seen: keep the window several flush intervals long, and do
   * not trust a quiet answer while the store is failing. A candidate whose marks cannot be read is
   * counted in flight, since whether it is complete cannot be told; {@link
   * #inFlightReport(Duration)} says which and why.
   *
   * @throws IllegalArgumentException if {@code window} is not positive
   * @throws TrackerStoreException if the store fails
   */
  public List<BatchInfo> inFlight(Duration window) {
    return inFlightReport(window).batches();
  }

  /**
   * The batches in flight, as {@link #inFlight(Duration)}, and which of them are counted in flight
   * because their marks cannot be read (the store throws for that batch while it still answers for
   * the batch itself), with why. One unreadable batch never hides the others.
   *
   * @throws IllegalArgumentException if {@code window} is not positive
   * @throws TrackerStoreException if the store fails
   */
  public InFlightReport inFlightReport(Duration window) {
    ensureOpen();
    requirePositive(window, "window");
    Instant since = clock.instant().minus(window);
    // Candidates: batches with a stage marked in the window, batches opened in it (marks may not
    // be flushed yet), and batches this tracker holds unflushed marks of. Keyset paging: batches
    // completed or purged meanwhile, here or by other processes, cannot shift a page and hide one.
    Map<BatchId, BatchInfo> candidates = new LinkedHashMap<>();
    collect(BatchQuery.builder().markedAfter(since), candidates);
    collect(BatchQuery.builder().openedAfter(since).incompleteOnly(), candidates);
    for (BatchInfo local : buffers.batchesWithMarks()) {
      candidates.putIfAbsent(local.id(), local);
    }
    List<BatchInfo> inFlight = new ArrayList<>();
    Map<BatchId, String> unreadable = new LinkedHashMap<>();
    for (BatchInfo batch : candidates.values()) {
      if (batch.isComplete()) {
        continue; // marks only grow: complete stays complete
      }
      try {
        if (!reconcile(batch.id()).isComplete()) {
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
   * Whether {@code batch}, whose reconciliation failed with {@code failure}, is still in the store:
   * then the batch is unreadable. Throws {@code failure} when the store does not answer at all:
   * that is the store failing, not one batch.
   */
  private boolean stillThere(BatchId batch, RuntimeException failure) {
    try {
      return batch(batch).isPresent();
    } catch (RuntimeException storeDown) {
      failure.addSuppressed(storeDown);
      throw failure;
    }
  }

  private void collect(BatchQuery.Builder query, Map<BatchId, BatchInfo> into) {
    query.limit(PURGE_PAGE);
    while (true) {
      List<BatchInfo> page = batches(query.build());
      for (BatchInfo batch : page) {
        into.putIfAbsent(batch.id(), batch);
      }
      if (page.size() < PURGE_PAGE) {
        return;
      }
      query.startAfter(page.get(page.size() - 1));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Marks

  /**
   * Marks record {@code record} of {@code batch} as having reached {@code stage}. No I/O (see the
   * class documentation); marking twice is harmless.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code record} is outside 0 .. expectedRecords-1
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the batch is not cached and the store cannot be read
   * @throws IllegalStateException if the tracker is closed
   */
  public void mark(BatchId batch, Stage stage, int record) {
    ensureOpen();
    Objects.requireNonNull(stage, "stage must not be null");
    BatchState state = state(batch);
    checkRecord(state, record);
    awaitRoom();
    long added;
    while ((added = state.buffer(stage).add(record, buffers)) < 0) {
      state = state(batch);
    }
    countAdded(added);
  }

  /**
   * Marks every record of {@code range}; costs the same whatever the range's size. Nothing is
   * marked if any record is out of the batch.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code range} reaches past expectedRecords-1
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the batch is not cached and the store cannot be read
   * @throws IllegalStateException if the tracker is closed
   */
  public void mark(BatchId batch, Stage stage, RecordRange range) {
    ensureOpen();
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(range, "range must not be null");
    BatchState state = state(batch);
    checkRecord(state, range.last());
    awaitRoom();
    long added;
    while ((added = state.buffer(stage).add(range.first(), range.last(), buffers)) < 0) {
      state = state(batch);
    }
    countAdded(added);
  }

  /**
   * Marks every record of {@code records}, in any order, duplicates allowed. The array is read,
   * never kept. Nothing is marked if any entry is out of the batch.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if an entry is outside 0 .. expectedRecords-1
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the batch is not cached and the store cannot be read
   * @throws IllegalStateException if the tracker is closed
   */
  public void mark(BatchId batch, Stage stage, int[] records) {
    ensureOpen();
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(records, "records must not be null");
    BatchState state = state(batch);
    for (int record : records) {
      if (record < 0 || record >= state.info.expectedRecords()) {
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
    countAdded(added);
  }

  /** Marks {@code record} sent, as {@code mark(batch, Stage.SENT, record)}. */
  public void markSent(BatchId batch, int record) {
    mark(batch, Stage.SENT, record);
  }

  /** Marks {@code range} sent, as {@code mark(batch, Stage.SENT, range)}. */
  public void markSent(BatchId batch, RecordRange range) {
    mark(batch, Stage.SENT, range);
  }

  /** Marks {@code records} sent, as {@code mark(batch, Stage.SENT, records)}. */
  public void markSent(BatchId batch, int[] records) {
    mark(batch, Stage.SENT, records);
  }

  /** Marks {@code record} processed, as {@code mark(batch, Stage.PROCESSED, record)}. */
  public void markProcessed(BatchId batch, int record) {
    mark(batch, Stage.PROCESSED, record);
  }

  /** Marks {@code range} processed, as {@code mark(batch, Stage.PROCESSED, range)}. */
  public void markProcessed(BatchId batch, RecordRange range) {
    mark(batch, Stage.PROCESSED, range);
  }

  /** Marks {@code records} processed, as {@code mark(batch, Stage.PROCESSED, records)}. */
  public void markProcessed(BatchId batch, int[] records) {
    mark(batch, Stage.PROCESSED, records);
  }

  private BatchState state(BatchId batch) {
    Objects.requireNonNull(batch, "batch id must not be null");
    return buffers.state(batch, this::loadBatch);
  }

  private BatchInfo loadBatch(BatchId id) {
    return storeCall("find batch " + id, () -> store.findBatch(id))
        .orElseThrow(() -> new UnknownBatchException(id));
  }

  private static void checkRecord(BatchState state, int record) {
    int expected = state.info.expectedRecords();
    if (record < 0 || record >= expected) {
      throw new IllegalArgumentException(
          "record "
              + record
              + " is outside batch "
              + state.info.id()
              + ", whose records are 0.."
              + (expected - 1)
              + " ("
              + expected
              + " expected)");
    }
  }

  private void awaitRoom() {
    try {
      buffers.awaitRoom(this::requestFlush);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the buffer to drain", e);
    }
  }

  private void countAdded(long added) {
    long total = buffers.added(added);
    if (total >= flushThreshold && total - added < flushThreshold) {
      requestFlush();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Flush

  /**
   * Returns once every mark made before the call is durable in the store.
   *
   * <p>A mark counts as durable only once the store has stored it in the batch it was made for.
   * Marks of a batch the store no longer has (purged, restored from an older backup, tables
   * recreated, purged and opened again) are set aside instead: not stored, not retried, logged at
   * ERROR and counted in {@link TrackerStats#rejectedRecords()}; the next call of this method
   * reports them by throwing {@link MarksRejectedException}, after the other marks are durable.
   *
   * <p>How long it can block: one flush runs at a time, so the caller first waits for the store
   * call the background flusher has in progress, if any, then makes its own; it waits for no more
   * than these two store calls (and, with several threads calling {@code flush()} at once, for
   * those queued before it). It does not retry: a failed store call fails this flush. How long a
   * store call can take is up to the store: {@code JdbcTrackerStore} fails a call on a frozen or
   * unreachable database within about its {@code queryTimeout} plus 5 s (plus the DataSource's own
   * wait for a connection), so this returns or throws within about twice that.
   *
   * @throws TrackerStoreException if the store cannot take them; they are kept for the next try
   * @throws MarksRejectedException if marks were set aside since the last call reported them
   * @throws IllegalStateException if the tracker is closed
   */
  public void flush() {
    ensureOpen();
    flushNow();
    reportRejected();
  }

  /** Throws, once, for marks set aside since the last report. */
  private void reportRejected() {
    Map<BatchId, Long> report;
    synchronized (unreportedRejections) {
      if (unreportedRejections.isEmpty()) {
        return;
      }
      report = new LinkedHashMap<>(unreportedRejections);
      unreportedRejections.clear();
    }
    throw new MarksRejectedException(
        report, "they were set aside and logged at ERROR; every other mark is durable");
  }

  private void flushNow() {
    flushLock.lock();
    try {
      flushLocked();
    } finally {
      flushLock.unlock();
    }
  }

  /** Drains and writes every queued buffer; caller holds flushLock. */
  private void flushLocked() {
    MarkBuffers.Drained drained = buffers.drain(clock.instant());
    if (drained.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          store.merge(drained.deltas);
          break;
        } catch (MarksRejectedException e) {
          drained = setAside(drained, e, attempt);
          if (drained.isEmpty()) {
            noteSuccess();
            return;
          }
        }
      }
    } catch (RuntimeException | Error e) {
      buffers.failed(drained);
      flushFailures.incrementAndGet();
      noteFailure(e);
      if (e instanceof TrackerStoreException) {
        throw (TrackerStoreException) e;
      }
      throw new TrackerStoreException(
          "flush failed; " + buffers.bufferedRecords() + " records kept for retry: " + e, e);
    }
    flushNanos.addAndGet(System.nanoTime() - start);
    flushes.incrementAndGet();
    for (var delta : drained.deltas) {
      flushedRecords
          .computeIfAbsent(delta.stage(), s -> new LongAdder())
          .add(delta.marks().getLongCardinality());
    }
    buffers.committed(drained);
    noteSuccess();
    buffers.evictIdle();
  }

  /**
   * Sets aside the drained marks the store rejected and returns the rest, to merge again. The store
   * names the batches; the marks set aside are those made for an incarnation of them the store no
   * longer has (a re-read tells which, since one drain may hold marks of an old and a new
   * incarnation of one id). The rejected batches leave the cache, so their next use reads them
   * again.
   */
  private MarkBuffers.Drained setAside(
      MarkBuffers.Drained drained, MarksRejectedException rejection, int attempt) {
    Map<BatchId, Optional<BatchInfo>> stored = new LinkedHashMap<>();
    for (BatchId id : rejection.batches()) {
      stored.put(id, storeCall("find batch " + id, () -> store.findBatch(id)));
    }
    java.util.function.Predicate<io.recordtracker.spi.MarkDelta> gone =
        d -> {
          Optional<BatchInfo> now = stored.get(d.batch());
          // A batch the store named is gone for the deltas not made for what it holds now; once
          // the re-read leaves nothing to tell (a store without incarnations), all its deltas.
          return now != null && (now.isEmpty() || !d.madeFor(now.get()) || attempt > 1);
        };
    Map<BatchId, Map<Stage, Long>> counts = new LinkedHashMap<>();
    for (var delta : drained.deltas) {
      if (gone.test(delta)) {
        counts
            .computeIfAbsent(delta.batch(), b -> new java.util.TreeMap<>())
            .merge(delta.stage(), delta.marks().getLongCardinality(), Long::sum);
      }
    }
    if (counts.isEmpty()) {
      // The store named batches none of whose deltas the re-read condemns: it changed between
      // the merge and the re-read. Merging again decides; the next attempt sets them aside.
      return drained;
    }
    for (int i = 0; i < drained.deltas.size(); i++) {
      var delta = drained.deltas.get(i);
      if (gone.test(delta)) {
        buffers.drop(drained.buffers.get(i).batch);
      }
    }
    MarkBuffers.Drained rest = buffers.reject(drained, gone);
    counts.forEach(
        (batch, byStage) -> {
          long n = 0;
          for (var e : byStage.entrySet()) {
            rejectedRecords.computeIfAbsent(e.getKey(), k -> new LongAdder()).add(e.getValue());
            n += e.getValue();
          }
          Optional<BatchInfo> now = stored.get(batch);
          log.error(
              "Set aside {} marked records of batch {} ({}): the store {} no longer has the batch"
                  + " they were made for ({}). They are not stored and will not be retried; open"
                  + " the batch again and re-mark them if they still matter.",
              n,
              batch,
              byStage,
              store,
              now == null || now.isEmpty()
                  ? "no such batch: purged, restored from an older backup, or tables recreated"
                  : "it was purged and opened again as a new batch (incarnation "
                      + now.get().incarnation()
                      + ")");
          synchronized (unreportedRejections) {
            if (unreportedRejections.size() < MAX_UNREPORTED_BATCHES
                || unreportedRejections.containsKey(batch)) {
              unreportedRejections.merge(batch, n, Long::sum);
            }
          }
        });
    return rest;
  }

  private void noteFailure(Throwable e) {
    if (!failing) {
      failing = true;
      failingSinceNanos = System.nanoTime();
      log.warn(
          "Store {} is failing; {} marked records are buffered and will be retried every {} ms at"
              + " most, none is dropped: {}",
          store,
          buffers.bufferedRecords(),
          MAX_RETRY_BACKOFF_MILLIS,
          e.toString(),
          e);
    }
  }

  private void noteSuccess() {
    if (failing) {
      failing = false;
      log.warn(
          "Store {} is back after {} ms; buffered marks flushed ({} failed attempts so far)",
          store,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSinceNanos),
          flushFailures.get());
    }
  }

  private void requestFlush() {
    flushRequested = true;
    wakeLock.lock();
    try {
      wake.signal();
    } finally {
      wakeLock.unlock();
    }
  }

  private void runFlusher() {
    long backoffMillis = MIN_RETRY_BACKOFF_MILLIS;
    while (!closed) {
      try {
        long waitNanos =
            failing ? TimeUnit.MILLISECONDS.toNanos(backoffMillis) : flushInterval.toNanos();
        wakeLock.lock();
        try {
          while (!closed && !flushRequested && waitNanos > 0) {
            waitNanos = wake.awaitNanos(waitNanos);
          }
        } finally {
          wakeLock.unlock();
        }
        flushRequested = false;
        if (closed) {
          return;
        }
        if (storeClock != null) {
          storeClock.resyncIfDue(); // one store call a minute, off the marking threads
        }
        if (!buffers.hasQueued()) {
          continue;
        }
        try {
          flushNow();
          backoffMillis = MIN_RETRY_BACKOFF_MILLIS;
        } catch (TrackerStoreException e) {
          backoffMillis = Math.min(backoffMillis * 2, MAX_RETRY_BACKOFF_MILLIS);
          log.debug("Background flush failed; retrying in {} ms", backoffMillis, e);
        }
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (Throwable t) {
        // Never let the flusher die: marks would pile up silently.
        log.error("Unexpected error in flusher; it keeps running", t);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reconcile

  /**
   * Reconciles {@link Stage#SENT} against {@link Stage#PROCESSED}: which records were sent and
   * never processed. When the batch is found complete and all its marks are durable, the completion
   * is recorded in the store ({@link BatchInfo#completedAt()}); if the store cannot record it
   * without waiting for another transaction ({@link TrackerStore#tryRecordCompletion}), a later
   * reconcile does.
   *
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the store fails
   */
  public Reconciliation reconcile(BatchId batch) {
    return reconcile(batch, Stage.SENT, Stage.PROCESSED);
  }

  /**
   * Reconciles {@code upstream} against {@code downstream}. Sees every mark this tracker made
   * before the call and every mark other trackers flushed; reads each stage from the store once.
   *
   * @throws NullPointerException if an argument is null
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the store fails
   */
  public Reconciliation reconcile(BatchId batch, Stage upstream, Stage downstream) {
    ensureOpen();
    Objects.requireNonNull(upstream, "upstream must not be null");
    Objects.requireNonNull(downstream, "downstream must not be null");
    long start = System.nanoTime();
    BatchState state = state(batch);
    RoaringBitmap up;
    RoaringBitmap down;
    boolean allDurable;
    Set<Stage> stages = new java.util.LinkedHashSet<>(List.of(upstream, downstream));
    for (int attempt = 1; ; attempt++) {
      // Local marks first, then the store: a mark moves only from buffer to store, so it is seen
      // in one place or the other.
      up = state.buffer(upstream).snapshot();
      down = state.buffer(downstream).snapshot();
      allDurable = up.isEmpty() && down.isEmpty();
      // The marks come with the incarnation they belong to: if it is the one cached, they are
      // this batch's. Otherwise the cache is stale (purged, perhaps opened again with another
      // size): never answer from it.
      Optional<StageMarks> stored =
          storeCall("read " + stages + " marks of " + batch, () -> store.read(batch, stages));
      if (stored.isEmpty()) {
        buffers.drop(state);
        throw new UnknownBatchException(batch);
      }
      if (stored.get().incarnation() == state.info.incarnation()) {
        up.or(stored.get().of(upstream));
        down.or(stored.get().of(downstream));
        break;
      }
      if (attempt >= 3) {
        throw new TrackerStoreException(
            "batch "
                + batch
                + " was purged and opened again "
                + attempt
                + " times while it was being reconciled; try again");
      }
      log.info(
          "Batch {} was purged and opened again (incarnation {} -> {}); reading it afresh",
          batch,
          state.info.incarnation(),
          stored.get().incarnation());
      buffers.drop(state);
      state = state(batch);
    }
    Reconciliation result =
        Reconciliation.compute(batch, upstream, downstream, state.info.expectedRecords(), up, down);
    if (result.isComplete()
        && allDurable
        && upstream.equals(Stage.SENT)
        && downstream.equals(Stage.PROCESSED)
        && !state.completionRecorded) {
      boolean recorded =
          storeCall(
              "record completion of " + batch,
              () -> store.tryRecordCompletion(batch, clock.instant()));
      if (recorded) {
        state.completionRecorded = true;
      } else {
        // Another transaction holds the batch (a caller's open markWithin): answering now matters
        // more than the record, which a later reconcile makes.
        log.debug(
            "Completion of batch {} not recorded now: another transaction holds the batch;"
                + " a later reconcile records it",
            batch);
      }
    }
    reconcileNanos.addAndGet(System.nanoTime() - start);
    reconciles.incrementAndGet();
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and introspection

  /** A snapshot of this tracker's counters. */
  public TrackerStats stats() {
    Map<Stage, Long> flushed = new java.util.TreeMap<>();
    flushedRecords.forEach((stage, n) -> flushed.put(stage, n.sum()));
    Map<Stage, Long> rejected = new java.util.TreeMap<>();
    rejectedRecords.forEach((stage, n) -> rejected.put(stage, n.sum()));
    return new TrackerStats(
        flushed,
        rejected,
        buffers.bufferedRecords(),
        flushes.get(),
        flushFailures.get(),
        Duration.ofNanos(flushNanos.get()),
        reconciles.get(),
        Duration.ofNanos(reconcileNanos.get()),
        !failing);
  }

  /**
   * The clock this tracker stamps batches and marks with, and that the monitor, the gate and the
   * CLI judge grace periods, deadlines and windows by: the one set with {@link
   * Builder#clock(Clock)}, else the store's clock ({@link TrackerStore#currentTime()}: the database
   * server's for a JDBC store), followed through a {@link StoreClock}, so that trackers on hosts
   * whose clocks disagree still agree.
   */
  public Clock clock() {
    return clock;
  }

  /**
   * Stops the background flusher, flushes every buffered mark and closes the store. Closing again
   * does nothing.
   *
   * @throws TrackerStoreException if the final flush fails; the marks it could not write are lost
   *     with this tracker, and the message says how many
   * @throws MarksRejectedException if marks were set aside (see {@link #flush()}) and no flush
   *     reported them yet; the store is closed all the same
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // From here no mark can be added: one that was being added when closed was set is in its
    // buffer once this returns, so the final flush below writes it.
    buffers.close();
    // Wake the flusher rather than interrupt it: an interrupt can break a store's I/O mid-write
    // (H2, for one, closes its file channel when its thread is interrupted).
    requestFlush();
    try {
      flusher.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      flushNow();
      reportRejected();
    } catch (TrackerStoreException e) {
      log.error(
          "Closing with {} marked records that the store did not take",
          buffers.bufferedRecords(),
          e);
      throw new TrackerStoreException(
          "closed with "
              + buffers.bufferedRecords()
              + " marked records that the store did not take: "
              + e.getMessage(),
          e);
    } finally {
      try {
        store.close();
      } catch (Exception e) {
        log.warn("Closing store {} failed", store, e);
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("tracker is closed");
    }
  }

  @FunctionalInterface
  private interface StoreCall<T> {
    T call();
  }

  private <T> T storeCall(String what, StoreCall<T> call) {
    try {
      return call.call();
    } catch (RecordTrackerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TrackerStoreException(what + " failed: " + e, e);
    }
  }

  static void requirePositive(Duration d, String name) {
    if (d == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  @Override
  public String toString() {
    return "RecordTracker{store="
        + store
        + ", bufferedRecords="
        + buffers.bufferedRecords()
        + (closed ? ", closed" : "")
        + "}";
  }

  /**
   * Builds a {@link RecordTracker}. Each setter rejects a bad value at once with an {@link
   * IllegalArgumentException} that names the setting and the value.
   */
  public static final class Builder {
    private TrackerStore store;
    private Clock clock;
    private Clock hostClock = Clock.systemUTC();
    private Duration flushInterval = DEFAULT_FLUSH_INTERVAL;
    private int flushThreshold = DEFAULT_FLUSH_THRESHOLD;
    private long maxBufferedRecords = DEFAULT_MAX_BUFFERED_RECORDS;
    private int maxCachedBatches = DEFAULT_MAX_CACHED_BATCHES;

    private Builder() {}

    /** How many batches' states to keep cached before idle ones are evicted; for tests. */
    Builder maxCachedBatches(int maxCachedBatches) {
      if (maxCachedBatches < 2) {
        throw new IllegalArgumentException(
            "maxCachedBatches must be at least 2: " + maxCachedBatches);
      }
      this.maxCachedBatches = maxCachedBatches;
      return this;
    }

    /**
     * Where batches and marks are kept; default a new {@link TrackerStore#inMemory()}. The tracker
     * closes it when it is closed.
     */
    public Builder store(TrackerStore store) {
      if (store == null) {
        throw new IllegalArgumentException("store must not be null");
      }
      this.store = store;
      return this;
    }

    /** This host's clock, which a store-following clock corrects; tests skew it. */
    Builder hostClock(Clock hostClock) {
      this.hostClock = Objects.requireNonNull(hostClock, "hostClock must not be null");
      return this;
    }

    /**
     * The clock for opened-at, last-marked and completion times, used as given (tests drive a
     * settable clock with it). Default: the store's clock ({@link TrackerStore#currentTime()}, the
     * database server's for a JDBC store) as seen through this host's clock corrected by its offset
     * to it, measured when the tracker is built and every minute after; the host's own clock
     * ({@link Clock#systemUTC()}) for a store without a clock, such as the in-memory one.
     */
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /** How often buffered marks are flushed in the background; default 1 second. */
    public Builder flushInterval(Duration flushInterval) {
      requirePositive(flushInterval, "flushInterval");
      this.flushInterval = flushInterval;
      return this;
    }

    /** Buffered records that trigger a background flush before the interval; default 1,000,000. */
    public Builder flushThreshold(int flushThreshold) {
      if (flushThreshold <= 0) {
        throw new IllegalArgumentException("flushThreshold must be positive: " + flushThreshold);
      }
      this.flushThreshold = flushThreshold;
      return this;
    }

    /**
     * The most records buffered before marking blocks until a flush makes room; default 67,108,864
     * (64 Mi). One mark call may exceed it once; memory is at most about 2 bytes a record.
     */
    public Builder maxBufferedRecords(long maxBufferedRecords) {
      if (maxBufferedRecords <= 0) {
        throw new IllegalArgumentException(
            "maxBufferedRecords must be positive: " + maxBufferedRecords);
      }
      this.maxBufferedRecords = maxBufferedRecords;
      return this;
    }

    /**
     * A tracker with these settings, its background flusher started.
     *
     * @throws IllegalArgumentException if flushThreshold exceeds maxBufferedRecords
     */
    public RecordTracker build() {
      if (flushThreshold > maxBufferedRecords) {
        throw new IllegalArgumentException(
            "flushThreshold ("
                + flushThreshold
                + ") must not exceed maxBufferedRecords ("
                + maxBufferedRecords
                + ")");
      }
      return new RecordTracker(this);
    }
  }
}
