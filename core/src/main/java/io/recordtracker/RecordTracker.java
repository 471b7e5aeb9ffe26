package io.recordtracker;

import io.recordtracker.internal.Arguments;
import io.recordtracker.internal.TrackerInternals;
import io.recordtracker.spi.StoreClock;
import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * (once; the size changes only when an unsealed batch is sealed, see {@link #seal(BatchId, int)}).
 * A background thread flushes buffers to the store every {@code flushInterval}, or sooner once
 * {@code flushThreshold} records are buffered; {@link #flush()} flushes on the caller's thread.
 * When the store fails, marks stay buffered and are retried with backoff (at most {@value
 * #MAX_RETRY_BACKOFF_MILLIS} ms apart); none is dropped. At {@code maxBufferedRecords} buffered
 * records, marking blocks until a flush makes room.
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

  private static final int DEFAULT_MAX_CACHED_BATCHES = 10_000;

  /** Batches per store call when purging or listing candidates in flight. */
  static final int PURGE_PAGE = 500;

  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);

  static {
    TrackerInternals.install(new TrackerBridge());
  }

  private final TrackerStore store;
  private final Clock clock;
  private final MarkBuffers buffers;
  private final TrackerCounters counters = new TrackerCounters();
  private final Flusher flusher;
  private final Marker marker;
  private final Reconciler reconciler;
  private final Purger purger;
  private final InFlightFinder inFlight;
  private volatile boolean closed;

  private RecordTracker(Builder b) {
    this.store = b.store != null ? b.store : TrackerStore.inMemory();
    StoreClock storeClock =
        b.clock != null
            ? null
            : StoreClock.following(this.store::currentTime, b.hostClock, this.store.toString());
    this.clock = b.clock != null ? b.clock : storeClock;
    this.buffers = new MarkBuffers(b.maxBufferedRecords, b.flushThreshold, b.maxCachedBatches);
    this.flusher =
        new Flusher(store, clock, storeClock, b.flushInterval, b.flushThreshold, buffers, counters);
    this.marker = new Marker(store, buffers, flusher);
    this.reconciler = new Reconciler(store, clock, buffers, counters, marker::state);
    this.purger = new Purger(store, buffers);
    this.inFlight = new InFlightFinder(this, buffers);
    flusher.start();
    log.debug(
        "Started tracker: store={}, flushInterval={}, flushThreshold={}, maxBufferedRecords={}",
        store,
        b.flushInterval,
        b.flushThreshold,
        b.maxBufferedRecords);
  }

  /** The store this tracker reads and writes; for the library's other packages. */
  TrackerStore store() {
    return store;
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
   * @throws BatchConflictException if the batch exists with a different expected count, or unsealed
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
    return open(BatchInfo.of(id, expectedRecords, clock.instant(), attributes));
  }

  private BatchInfo open(BatchInfo declared) {
    BatchInfo stored =
        StoreCall.run("open batch " + declared.id(), () -> store.openBatch(declared));
    buffers.cache(stored);
    return stored;
  }

  /**
   * Declares a batch whose size is not known yet, before anything of it is sent: a sender that
   * streams records from a cursor. Its records may be marked from 0 up (at most {@link
   * BatchInfo#UNSEALED_BOUND}-1) until {@link #seal(BatchId, int)} fixes its size; until then a
   * reconciliation reports {@code missing} and {@code unexpected} as usual, no {@code
   * absentUpstream}, and never finds the batch complete. Written through to the store before it
   * returns. Opening again unsealed returns the stored batch, sealed since or not (safe to retry).
   *
   * <pre>{@code
   * tracker.openBatch(id, Map.of("file", "customers.edi"));    // size not known yet
   * int n = 0;
   * for (Customer c : cursor) {
   *   send(c, n);
   *   tracker.markSent(id, n++);
   * }
   * tracker.seal(id, n);                                          // now it behaves as openBatch(id, n)
   * }</pre>
   *
   * @throws NullPointerException if {@code id} is null
   * @throws TrackerStoreException if the store fails
   */
  public BatchInfo openBatch(BatchId id) {
    return openBatch(id, Map.of());
  }

  /**
   * Declares a batch whose size is not known yet, with attributes, as {@link #openBatch(BatchId)}.
   * On a retry the attributes first stored are kept.
   *
   * @throws NullPointerException if {@code id} or {@code attributes} (or an entry) is null
   * @throws IllegalArgumentException if the attributes break {@link BatchInfo}'s limits
   * @throws TrackerStoreException if the store fails
   */
  public BatchInfo openBatch(BatchId id, Map<String, String> attributes) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    return open(BatchInfo.unsealed(id, clock.instant(), attributes));
  }

  /**
   * Fixes the size of a batch opened without one ({@link #openBatch(BatchId)}): from then on it
   * behaves exactly as a batch opened with {@code totalRecords}, in every tracker. Sealing again
   * with the same count, or sealing a batch opened with that count, does nothing.
   *
   * <p>Checked first against this tracker's marks not yet flushed, then by the store, atomically,
   * against every durable mark of every stage: if any record at or beyond {@code totalRecords} is
   * marked, nothing changes and this throws, naming the highest. Once this returns, marks beyond
   * the size are refused: by this tracker at once; by a tracker that cached the batch unsealed, as
   * soon as it learns of the seal (its next {@code reconcile} of the batch, or its next flush, at
   * which the store refuses such marks and the tracker sets them aside as {@link #flush()}
   * describes, reporting them with {@link MarksRejectedException}). A mark of this tracker made on
   * another thread while this runs is set aside in the same way if it is beyond the size.
   *
   * @throws NullPointerException if {@code id} is null
   * @throws IllegalArgumentException if {@code totalRecords} is negative, or a record at or beyond
   *     it is marked already (buffered here or durable in the store)
   * @throws BatchConflictException if the batch is sealed (or was opened) with another count
   * @throws UnknownBatchException if the batch was never opened
   * @throws TrackerStoreException if the store fails
   * @throws UnsupportedOperationException if the store does not support unsealed batches
   */
  public BatchInfo seal(BatchId id, int totalRecords) {
    ensureOpen();
    return marker.seal(id, totalRecords);
  }

  /**
   * Ends the monitoring of a batch that will never complete (a test file, a cancelled send) without
   * deleting its marks: from then on, in every process on the store, {@link
   * io.recordtracker.monitor.CompletenessMonitor monitors} report nothing new for it (a finding
   * open for it is resolved, with one RESOLVED event, at their next round), {@link
   * #inFlight(Duration)} and the {@link MaintenanceGate} do not count it, {@link
   * BatchQuery.Completion#INCOMPLETE} leaves it out (it is {@link
   * BatchQuery.Completion#ABANDONED}), and {@link #purge(BatchQuery)} deletes it as it deletes
   * complete batches. Its marks stay: {@link #reconcile(BatchId)} still answers, and marks made
   * later are stored as before (a batch abandoned and seen complete since counts as complete).
   *
   * <p>Abandoning again for the same reason does nothing and returns the batch as stored, its first
   * abandoned-at time unchanged (safe to retry). Abandoning for another reason, or abandoning a
   * batch seen complete, is refused with {@link IllegalStateException}: nothing changes.
   *
   * @param id the batch
   * @param reason why it will never complete, for whoever looks at it later: one line of {@value
   *     BatchInfo#MIN_ABANDON_REASON_LENGTH}-{@value BatchInfo#MAX_ABANDON_REASON_LENGTH}
   *     characters, not blank
   * @return the batch as stored, abandoned (at this tracker's clock's time)
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reason} is blank, longer than {@value
   *     BatchInfo#MAX_ABANDON_REASON_LENGTH} characters, or holds a control character (a line
   *     break) or an unpaired UTF-16 surrogate
   * @throws IllegalStateException if the batch is abandoned for another reason already, or was seen
   *     complete
   * @throws UnknownBatchException if the batch does not exist (never opened, or purged)
   * @throws TrackerStoreException if the store fails
   * @throws UnsupportedOperationException if the store does not support abandoning batches
   */
  public BatchInfo abandon(BatchId id, String reason) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    BatchInfo.requireAbandonReason(reason);
    BatchInfo abandoned;
    Instant at = clock.instant();
    try {
      abandoned = store.abandon(id, at, reason);
    } catch (IllegalArgumentException
        | IllegalStateException
        | UnsupportedOperationException
        | RecordTrackerException e) {
      throw e; // the store's answer about this batch, not a failure of the store
    } catch (RuntimeException e) {
      throw new TrackerStoreException("abandon batch " + id + " failed: " + e, e);
    }
    // Stores may keep microseconds only: an earlier time than that is an earlier abandon.
    if (abandoned.abandonedAt().orElseThrow().isBefore(at.truncatedTo(ChronoUnit.MICROS))) {
      log.debug("Batch {} was abandoned already, for the same reason", id);
    } else {
      log.info("Abandoned batch {}: {}", id, reason);
    }
    return abandoned;
  }

  /**
   * Declares custom stages in the store before any record is marked at them, so that a {@code
   * reconcile} against one (in any process) is not refused as a typo before its first mark. A stage
   * becomes known by itself once a record is marked at it; the built-in stages always are.
   * Idempotent. {@link #reconcile(BatchId, Stage, Stage)} against a custom stage the store does not
   * know throws {@link UnknownStageException}.
   *
   * @param stages the stages
   * @throws NullPointerException if {@code stages} or one of them is null
   * @throws TrackerStoreException if the store fails
   */
  public void declareStages(Stage... stages) {
    ensureOpen();
    Objects.requireNonNull(stages, "stages must not be null");
    List<Stage> list = new ArrayList<>(stages.length);
    for (Stage stage : stages) {
      list.add(Objects.requireNonNull(stage, "stage must not be null"));
    }
    reconciler.declare(list);
  }

  /**
   * The batch as the store knows it now (including when each stage was last marked), if it exists.
   *
   * @throws TrackerStoreException if the store fails
   */
  public Optional<BatchInfo> batch(BatchId id) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    return StoreCall.run("find batch " + id, () -> store.findBatch(id));
  }

  /**
   * The batches matching {@code query}, newest opened first, one page.
   *
   * @throws TrackerStoreException if the store fails
   */
  public List<BatchInfo> batches(BatchQuery query) {
    ensureOpen();
    Objects.requireNonNull(query, "query must not be null");
    return StoreCall.run("list batches", () -> store.batches(query));
  }

  /**
   * Deletes every batch matching {@code query} with all its marks, a page of at most {@value
   * #PURGE_PAGE} batches per store call; the query's limit and offset are ignored. Unless the query
   * sets a completion filter explicitly, only batches seen complete or {@linkplain
   * #abandon(BatchId, String) abandoned} are deleted ({@link BatchQuery.Completion#CLOSED}): an
   * incomplete batch is never deleted by accident. Completion is recorded when a reconciliation of
   * sent against processed finds the batch complete.
   *
   * @return how many batches were deleted
   * @throws TrackerStoreException if the store fails; batches deleted before that stay deleted
   */
  public int purge(BatchQuery query) {
    ensureOpen();
    Objects.requireNonNull(query, "query must not be null");
    return purger.purge(query);
  }

  /**
   * Deletes the batch {@code id} with all its marks, whatever its state: complete, abandoned or
   * still incomplete (naming the batch is the explicit intent that {@link #purge(BatchQuery)}'s
   * default protects incomplete batches from). Marks of it this tracker has not flushed are set
   * aside by the next flush, as for any purged batch. Its id may be opened again as a new batch.
   *
   * @param id the batch
   * @return true if it was deleted, false if it did not exist
   * @throws NullPointerException if {@code id} is null
   * @throws TrackerStoreException if the store fails
   */
  public boolean purge(BatchId id) {
    ensureOpen();
    Objects.requireNonNull(id, "batch id must not be null");
    return purger.purge(id);
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
   * @throws NullPointerException if {@code window} is null
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
   * @throws NullPointerException if {@code window} is null
   * @throws IllegalArgumentException if {@code window} is not positive
   * @throws TrackerStoreException if the store fails
   */
  public InFlightReport inFlightReport(Duration window) {
    ensureOpen();
    Arguments.requirePositive(window, "window");
    return inFlight.find(window);
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
    marker.mark(batch, stage, record);
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
    marker.mark(batch, stage, range);
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
    marker.mark(batch, stage, records);
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
   * @throws MarksRejectedException if marks were set aside during this call, or earlier by the
   *     background flusher and not yet reported to any caller
   * @throws IllegalStateException if the tracker is closed
   */
  public void flush() {
    ensureOpen();
    long since = flusher.rejectionMark();
    flusher.flush();
    flusher.reportRejected(since);
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
   * <p>A custom stage must be known: marked at in some batch (in any process sharing the store),
   * marked by this tracker, or {@linkplain #declareStages declared}. Otherwise it is almost always
   * a typo, and answering would report every record missing: this throws {@link
   * UnknownStageException} naming the stages the store knows. A known stage with no mark in this
   * batch reconciles as every record missing, as it should: that is a batch whose records were all
   * lost.
   *
   * @throws NullPointerException if an argument is null
   * @throws UnknownBatchException if the batch was never opened
   * @throws UnknownStageException if a custom stage is not known to the store
   * @throws TrackerStoreException if the store fails
   */
  public Reconciliation reconcile(BatchId batch, Stage upstream, Stage downstream) {
    ensureOpen();
    Objects.requireNonNull(upstream, "upstream must not be null");
    Objects.requireNonNull(downstream, "downstream must not be null");
    return reconciler.reconcile(batch, upstream, downstream);
  }

  /**
   * As {@link #reconcile(BatchId, Stage, Stage)}, without checking custom stages against the
   * store's known stages: for the monitor, whose watched pairs are configured, not typed.
   */
  Reconciliation reconcileWatched(BatchId batch, Stage upstream, Stage downstream) {
    ensureOpen();
    return reconciler.reconcile(batch, upstream, downstream, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and introspection

  /** The batches of which this tracker holds marks not yet known durable. */
  Set<BatchId> batchesWithUnflushedMarks() {
    Set<BatchId> ids = new HashSet<>();
    buffers.batchesWithMarks().forEach(b -> ids.add(b.id()));
    return ids;
  }

  /** How many batch states this tracker caches now. */
  int cachedBatches() {
    return buffers.cachedBatches();
  }

  /** A snapshot of this tracker's counters. */
  public TrackerStats stats() {
    return counters.snapshot(buffers.bufferedRecords(), flusher.storeHealthy());
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
    flusher.stop();
    // From here no mark can be added: one that was being added when closed was set is in its
    // buffer once this returns, so the final flush below writes it.
    buffers.close();
    flusher.awaitStopped(Duration.ofSeconds(30));
    try {
      long since = flusher.rejectionMark();
      flusher.flush();
      flusher.reportRejected(since);
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
   * Builds a {@link RecordTracker}. Each setter rejects a bad argument at once: null with a {@link
   * NullPointerException} that names the setting, a bad value with an {@link
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
     *
     * @throws NullPointerException if {@code store} is null
     */
    public Builder store(TrackerStore store) {
      this.store = Arguments.requireNonNull(store, "store");
      return this;
    }

    /** This host's clock, which a store-following clock corrects; tests skew it. */
    Builder hostClock(Clock hostClock) {
      this.hostClock = Arguments.requireNonNull(hostClock, "hostClock");
      return this;
    }

    /**
     * The clock for opened-at, last-marked and completion times, used as given (tests drive a
     * settable clock with it). Default: the store's clock ({@link TrackerStore#currentTime()}, the
     * database server's for a JDBC store) as seen through this host's clock corrected by its offset
     * to it, measured when the tracker is built and every minute after; the host's own clock
     * ({@link Clock#systemUTC()}) for a store without a clock, such as the in-memory one.
     *
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Arguments.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How often buffered marks are flushed in the background; default 1 second.
     *
     * @throws NullPointerException if {@code flushInterval} is null
     * @throws IllegalArgumentException if {@code flushInterval} is not positive
     */
    public Builder flushInterval(Duration flushInterval) {
      this.flushInterval = Arguments.requirePositive(flushInterval, "flushInterval");
      return this;
    }

    /**
     * Buffered records that trigger a background flush before the interval; default 1,000,000.
     *
     * @throws IllegalArgumentException if {@code flushThreshold} is not positive
     */
    public Builder flushThreshold(int flushThreshold) {
      this.flushThreshold = Arguments.requirePositive(flushThreshold, "flushThreshold");
      return this;
    }

    /**
     * The most records buffered before marking blocks until a flush makes room; default 67,108,864
     * (64 Mi). One mark call may exceed it once; memory is at most about 2 bytes a record.
     *
     * <p>Threads marking the same (batch, stage) each buffer into their own stripe and add to the
     * shared count in chunks, so that they never write a shared counter per mark: between flushes
     * the count may lag by less than 1/64 of this bound (and of {@code flushThreshold}) per (batch,
     * stage) being marked, and a record marked by several threads counts once per thread until the
     * next flush merges their stripes. With one marking thread the count is exact.
     *
     * @throws IllegalArgumentException if {@code maxBufferedRecords} is not positive
     */
    public Builder maxBufferedRecords(long maxBufferedRecords) {
      this.maxBufferedRecords = Arguments.requirePositive(maxBufferedRecords, "maxBufferedRecords");
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
