package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.internal.Sealing;
import io.recordtracker.spi.AlertStore;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.StageMarks;
import io.recordtracker.spi.StoreClock;
import io.recordtracker.spi.TrackerStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TrackerStore} in a relational database (PostgreSQL, MySQL/MariaDB, H2), shared by every
 * tracker in every process that points at the same tables. Thread-safe; it keeps no state that
 * correctness depends on, and borrows a connection from the caller's {@link DataSource} per
 * operation (use a pool). Build with {@link #builder(DataSource)}.
 *
 * <pre>{@code
 * JdbcTrackerStore store = JdbcTrackerStore.builder(dataSource).tablePrefix("rt_").build();
 * RecordTracker tracker = RecordTracker.builder().store(store).build();
 * }</pre>
 *
 * <h2>How marks are stored</h2>
 *
 * <ol>
 *   <li>Each {@link #merge} appends one row per (batch, stage) holding the delta as a run-optimised
 *       RoaringBitmap in Roaring's portable format, in one transaction, and advances the stage's
 *       last-marked time with an upsert that never moves it back. No write reads or rewrites a
 *       shared bitmap, so writers in any number of processes never wait on each other's marks.
 *   <li>{@link #load} reads and unions the rows of one (batch, stage) in one round trip.
 *   <li>Once a (batch, stage) has {@code compactionThreshold} rows, a background thread folds them:
 *       in one transaction it reads the rows, inserts their union as one row and deletes exactly
 *       the rows it read, by id. Rows appended meanwhile are not among them and survive. Two stores
 *       folding the same rows at once each insert the same union; union is idempotent, so the
 *       duplicate is harmless and the next fold removes it.
 *   <li>Every blob read is checked before it is decoded: a corrupt or truncated one fails the read
 *       with a {@link TrackerStoreException} naming the batch and stage, never a wrong answer.
 * </ol>
 *
 * <p>All times are stored as UTC wall-clock values with microsecond precision, whatever the JVM's
 * or the database session's time zone. {@link #close()} stops the compaction thread; it never
 * closes the DataSource.
 */
public final class JdbcTrackerStore implements TrackerStore {

  /** The table prefix when none is set. */
  public static final String DEFAULT_TABLE_PREFIX = "rt_";

  /** The delta-row count of one (batch, stage) that starts a compaction, when none is set. */
  public static final int DEFAULT_COMPACTION_THRESHOLD = 32;

  /** How long one SQL statement of the store may run before it is cancelled, when none is set. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The largest blob the store writes as one marks row; a larger bitmap is split into several rows
   * by container key ranges. Far below MariaDB's default {@code max_allowed_packet} (16 MB).
   */
  static final int DEFAULT_MAX_BLOB_BYTES = 4 << 20;

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,29}");
  private static final Logger log = LoggerFactory.getLogger(JdbcTrackerStore.class);

  /** Dialect choices already logged at INFO, so a JVM building many stores logs each once. */
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  private final String prefix;
  private final JdbcDialect dialect;
  private final SqlStatements sql;
  private final JdbcRunner runner;
  private final Compactor compactor;
  private final StageTimes stageTimes;
  private final BatchRows batchRows;
  private final MarksReader reader;
  private final MarksWriter writer;
  private final WithinWriter within;
  private final StageNames stageNames;
  private final JdbcAlertStore alerts;
  private final DatabaseTraits traits;
  private final boolean readOnly;
  private final ReplicationLag lag;
  private final FailoverJournal journal; // null unless Builder.failoverJournal

  private JdbcTrackerStore(Builder b, JdbcDialect dialect, DatabaseTraits traits) {
    this.prefix = b.tablePrefix;
    this.dialect = dialect;
    this.traits = traits;
    this.readOnly = b.readOnly || traits.standby();
    this.sql = dialect.statements(prefix);
    int queryTimeoutSeconds = (int) b.queryTimeout.toSeconds();
    this.runner =
        new JdbcRunner(
            b.dataSource,
            queryTimeoutSeconds,
            new SqlFailures(prefix, dialect.ddlResource(), queryTimeoutSeconds),
            traits.galera());
    // A read that sees many delta rows schedules a fold, which writes: never on a read-only store.
    this.compactor =
        new Compactor(readOnly ? Integer.MAX_VALUE : b.compactionThreshold, this::foldQuietly);
    this.stageTimes = new StageTimes(this::writeStageTimes);
    this.batchRows = new BatchRows(runner, sql, readOnly);
    this.lag = new ReplicationLag(runner, dialect);
    this.journal =
        b.failoverJournal == null
            ? null
            : new FailoverJournal(runner, b.failoverJournal, this::mergeNow);
    this.reader = new MarksReader(runner, sql, compactor);
    this.writer =
        new MarksWriter(
            runner, dialect, sql, b.maxBlobBytes, reader, compactor, stageTimes, toString());
    this.within = new WithinWriter(runner, sql, b.maxBlobBytes, compactor, stageTimes, b.clock);
    this.stageNames = new StageNames(runner, sql, b.clock);
    this.alerts = new JdbcAlertStore(runner, dialect, prefix);
  }

  /**
   * A builder for a store on {@code dataSource}, which the store borrows connections from and never
   * closes.
   *
   * @param dataSource where the store borrows connections from, one per operation
   * @return a builder with every other option at its default
   * @throws NullPointerException if {@code dataSource} is null
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource must not be null"));
  }

  /**
   * The dialect this store speaks, detected or set.
   *
   * @return the dialect
   */
  public JdbcDialect dialect() {
    return dialect;
  }

  /**
   * Whether the database this store was built on is a node of a MariaDB Galera cluster ({@code
   * wsrep_on=ON} with a provider loaded), detected at build and logged once. On Galera the store
   * retries the certification conflicts a commit meets (reported as deadlocks, error 1213) as it
   * retries deadlocks, and logs each retry; see docs/jdbc.md.
   *
   * @return true on a Galera node
   */
  public boolean galera() {
    return traits.galera();
  }

  /**
   * Whether this store is read-only: built with {@link Builder#readOnly(boolean)}, or on a
   * PostgreSQL standby in recovery ({@code pg_is_in_recovery()} at build). A read-only store reads
   * as any other but never folds delta rows (elsewhere a read that sees many rows schedules a
   * fold); {@link #tryRecordCompletion} returns false without writing, so a reconcile on a standby
   * leaves the completion to a store on the primary (a later reconcile there, or {@code purge} with
   * an explicit completion filter); every other write is sent to the database and fails there with
   * {@link TrackerStoreException.Reason#READ_ONLY}.
   *
   * @return true if the store makes no write of its own on a read path
   */
  public boolean readOnly() {
    return readOnly;
  }

  /**
   * How far the database this store reads is behind its primary, if it is a PostgreSQL standby:
   * zero while it streams and has replayed all it received, otherwise the age of the last
   * transaction it replayed. What a reconcile, monitor or gate on a standby does not see yet is at
   * most about this old. One query per call (the CLI's {@code lag} line and the micrometer module's
   * {@code recordtracker.store.replication.lag} gauge call it).
   *
   * @return the lag; empty on a primary, on MySQL/MariaDB and H2, or on a standby that has replayed
   *     no transaction yet
   * @throws TrackerStoreException if the database fails
   */
  public Optional<Duration> replicationLag() {
    return lag.read();
  }

  /**
   * The prefix of this store's table names.
   *
   * @return the prefix, such as {@code rt_}
   */
  public String tablePrefix() {
    return prefix;
  }

  // ---------------------------------------------------------------------------------------------
  // Batches

  @Override
  public BatchInfo openBatch(BatchInfo batch) {
    Objects.requireNonNull(batch, "batch must not be null");
    return batchRows.open(batch);
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    Objects.requireNonNull(id, "id must not be null");
    return batchRows.find(id);
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    Objects.requireNonNull(query, "query must not be null");
    return batchRows.list(query);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Waits up to the query timeout while another transaction holds the batch row (on
   * MySQL/MariaDB a caller's open {@code markWithin} transaction holds a shared lock on it), by
   * trying again without waiting: a waiting update would queue an exclusive lock request, which
   * every later marker and compaction of the batch would queue behind.
   *
   * @throws TrackerStoreException if the batch row stays held for longer than the query timeout, or
   *     the database fails
   */
  @Override
  public void recordCompletion(BatchId batch, Instant at) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(at, "at must not be null");
    batchRows.recordCompletion(batch, at);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Never waits for another transaction's lock on the batch row (on MySQL/MariaDB, a caller's
   * open {@code markWithin} transaction holds a shared lock on it until it commits): tries a few
   * times within a fraction of a second, then returns false. A {@link #readOnly()} store returns
   * false without writing, and so does any store whose database refuses the write as read-only (a
   * standby, a read-only transaction): the completion is left to a store that can write it.
   */
  @Override
  public boolean tryRecordCompletion(BatchId batch, Instant at) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(at, "at must not be null");
    return batchRows.tryRecordCompletion(batch, at);
  }

  /**
   * {@inheritDoc}
   *
   * <p>In transactions of at most 500 batches each, so that deleting many batches never holds their
   * locks at once while other trackers mark theirs; if one fails, the batches of the transactions
   * before it stay deleted.
   */
  @Override
  public int delete(Collection<BatchId> batches) {
    Objects.requireNonNull(batches, "batches must not be null");
    return batchRows.delete(batches);
  }

  @Override
  public Optional<Instant> currentTime() {
    return runner.withConnection(
        "read the database's clock",
        c -> {
          try (PreparedStatement ps = runner.prepare(c, sql.currentTime);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Optional.of(sql.readCurrentTime(rs));
          }
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One transaction: it locks the batch row (FOR UPDATE), which waits for the open transactions
   * that appended marks to the batch (each holds a shared lock on the row from its append: FOR KEY
   * SHARE on PostgreSQL, LOCK IN SHARE MODE on MySQL/MariaDB; on H2, which has no shared row lock,
   * an append to an unsealed batch locks its row exclusively first), then reads every marks row of
   * the batch and stores the size unless a mark is at or beyond it. An append waiting on the lock
   * reads the sealed row once the seal commits and inserts nothing if its marks are beyond the
   * size: {@link #merge} then throws {@link io.recordtracker.MarksRejectedException}, and {@code
   * markWithin} {@link IllegalArgumentException}. The seal's transaction runs at READ COMMITTED
   * whatever the pool's level, so that its read of the marks sees every append it waited for.
   */
  @Override
  public BatchInfo seal(BatchId batch, int totalRecords) {
    Objects.requireNonNull(batch, "batch must not be null");
    Sealing.requireCount(totalRecords);
    return batchRows.seal(batch, totalRecords, reader);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One conditional UPDATE of the batch row ({@code abandoned_at}, {@code abandon_reason}) that
   * changes only a batch neither abandoned nor complete, so it never races a completion or another
   * abandon into an inconsistent row; the time is stored at microsecond precision.
   */
  @Override
  public BatchInfo abandon(BatchId batch, Instant at, String reason) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(at, "at must not be null");
    BatchInfo.requireAbandonReason(reason);
    return batchRows.abandon(batch, at, reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Marks

  @Override
  public void merge(List<MarkDelta> deltas) {
    Objects.requireNonNull(deltas, "deltas must not be null");
    if (deltas.isEmpty()) {
      return;
    }
    if (journal != null) {
      journal.merge(deltas);
    } else {
      writer.merge(deltas);
    }
    stageNames.marked(deltas.stream().map(MarkDelta::stage).distinct().toList());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The stages registered in {@code rt_stage_name} (each the first time a store instance marks
   * at it, or declares it) and those of every stored batch ({@code rt_stage}).
   */
  @Override
  public Optional<Set<Stage>> knownStages() {
    return Optional.of(stageNames.known());
  }

  @Override
  public void declareStages(Collection<Stage> stages) {
    Objects.requireNonNull(stages, "stages must not be null");
    stages.forEach(s -> Objects.requireNonNull(s, "stage must not be null"));
    if (!stages.isEmpty()) {
      stageNames.declare(stages);
    }
  }

  /**
   * Marks {@code range} at {@code stage} of {@code batch} on the caller's connection, inside the
   * caller's transaction: the marks commit or roll back with the caller's work. This method never
   * commits, rolls back or closes {@code connection}. The marks bypass any tracker's buffer, so a
   * tracker sees them when it next reads the store.
   *
   * @param connection the caller's connection, in the caller's transaction
   * @param batch the batch the records belong to
   * @param stage the stage they reached
   * @param range the records, all within 0..expectedRecords-1 (any record up to {@link
   *     BatchInfo#UNSEALED_BOUND}-1 while the batch is unsealed)
   * @throws NullPointerException if an argument is null
   * @throws UnknownBatchException if the batch does not exist (as seen by {@code connection})
   * @throws IllegalArgumentException if the range reaches past the batch's last record; nothing is
   *     written
   * @throws TrackerStoreException if the database fails; the caller's transaction should then be
   *     rolled back
   */
  public void markWithin(Connection connection, BatchId batch, Stage stage, RecordRange range) {
    Objects.requireNonNull(range, "range must not be null");
    requireWithin(connection, batch, stage);
    within.markWithin(connection, batch, stage, range);
  }

  /**
   * Marks {@code records} at {@code stage} of {@code batch} on the caller's connection, inside the
   * caller's transaction, as {@link #markWithin(Connection, BatchId, Stage, RecordRange)}.
   *
   * @param connection the caller's connection, in the caller's transaction
   * @param batch the batch the records belong to
   * @param stage the stage they reached
   * @param records the record numbers, each within 0..expectedRecords-1, in any order (any up to
   *     {@link BatchInfo#UNSEALED_BOUND}-1 while the batch is unsealed)
   * @throws NullPointerException if an argument is null
   * @throws UnknownBatchException if the batch does not exist (as seen by {@code connection})
   * @throws IllegalArgumentException if a record is outside 0..expectedRecords-1; nothing is
   *     written
   * @throws TrackerStoreException if the database fails; the caller's transaction should then be
   *     rolled back
   */
  public void markWithin(Connection connection, BatchId batch, Stage stage, int[] records) {
    Objects.requireNonNull(records, "records must not be null");
    requireWithin(connection, batch, stage);
    within.markWithin(connection, batch, stage, records);
  }

  /**
   * Marks {@code record} at {@code stage} of {@code batch} on the caller's connection, inside the
   * caller's transaction, as {@link #markWithin(Connection, BatchId, Stage, RecordRange)}: the
   * one-record call of a CIS that commits each record in its own transaction.
   *
   * @param connection the caller's connection, in the caller's transaction
   * @param batch the batch the record belongs to
   * @param stage the stage it reached
   * @param record the record number, within 0..expectedRecords-1
   * @throws NullPointerException if an argument is null
   * @throws UnknownBatchException if the batch does not exist (as seen by {@code connection})
   * @throws IllegalArgumentException if {@code record} is outside 0..expectedRecords-1; nothing is
   *     written
   * @throws TrackerStoreException if the database fails; the caller's transaction should then be
   *     rolled back
   */
  public void markWithin(Connection connection, BatchId batch, Stage stage, int record) {
    requireWithin(connection, batch, stage);
    within.markWithin(connection, batch, stage, record);
  }

  /**
   * Per stage, how many records this store's {@code markWithin} calls marked: each call that
   * returned normally adds its distinct records when it returns. The store cannot know whether the
   * caller's transaction then commits, so records of a transaction rolled back afterwards are
   * counted too, and a record marked by two calls counts twice; a call that threw counts nothing.
   * Since the store was built, in this store instance only (other processes count their own).
   * Micrometer: {@code recordtracker.records.marked.within}, bound by the micrometer module's
   * {@code JdbcTrackerStoreMetrics}.
   *
   * @return records marked within callers' transactions per stage, each stage once marked; an
   *     immutable snapshot
   */
  public Map<Stage, Long> markedWithinRecords() {
    return Collections.unmodifiableMap(within.markedWithinRecords());
  }

  private static void requireWithin(Connection connection, BatchId batch, Stage stage) {
    Objects.requireNonNull(connection, "connection must not be null");
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    return reader.load(batch, stage);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Computed from the stage's rows as they are read: each row carries the token of the marking
   * that wrote it (a flush's delta, a {@code markWithin} call), and a record in rows of two tokens
   * is a repeat; a fold keeps the repeats of the rows it folds in a row of their own. Rows written
   * before the table had the {@code token} column count as one marking among themselves.
   */
  @Override
  public RoaringBitmap loadRepeats(BatchId batch, Stage stage) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    return reader.loadRepeats(batch, stage);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement and one round trip: the batch row and the marks rows of {@code stages}, so
   * that the marks are those of the incarnation it returns.
   */
  @Override
  public Optional<StageMarks> read(BatchId batch, Set<Stage> stages) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stages, "stages must not be null");
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("stages must not be empty");
    }
    return reader.read(batch, stages);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The {@code alert} table: one row per (batch, stage pair, listener), each write a conditional
   * update of one row on its version, so monitors in any number of processes tell each event once.
   * Empty on a {@link #readOnly()} store, which cannot write that table: a monitor on a standby
   * keeps what it reported in memory (and says so at INFO).
   */
  @Override
  public Optional<AlertStore> alertStore() {
    return readOnly ? Optional.empty() : Optional.of(alerts);
  }

  /**
   * Folds the delta rows of (batch, stage) into one, now, on the caller's thread.
   *
   * @return how many rows were folded (0 if there were fewer than two)
   */
  int compact(BatchId batch, Stage stage) {
    return writer.compact(batch, stage);
  }

  /** Writes the last-marked times noted by {@code markWithin} now; for tests. */
  void writeStageTimes() {
    stageTimes.writePending();
  }

  // Called back by the failover journal, made before the writer exists.
  private void mergeNow(List<MarkDelta> deltas) {
    writer.merge(deltas);
  }

  // Called back by the compaction and stage-time threads, which start before the writer exists.
  private void foldQuietly(Compactor.Key key) {
    writer.foldQuietly(key);
  }

  private void writeStageTimes(Map<Compactor.Key, Instant> times) {
    writer.writeStageTimes(times);
    // markWithin's stages, registered here on the stage-time thread, never the caller's.
    stageNames.marked(times.keySet().stream().map(Compactor.Key::stage).distinct().toList());
  }

  /**
   * Stops the background compaction thread, letting a running compaction finish, and writes the
   * last-marked times {@code markWithin} noted. The DataSource is left open, and the store keeps
   * working for anyone still holding it, without automatic compaction.
   */
  @Override
  public void close() {
    compactor.close();
    stageTimes.close();
  }

  @Override
  public String toString() {
    return "JdbcTrackerStore{dialect="
        + dialect
        + ", tablePrefix="
        + prefix
        + (traits.galera() ? ", galera" : "")
        + (readOnly ? ", readOnly" : "")
        + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Builder

  /** Builds a {@link JdbcTrackerStore}; every setter rejects a bad value at once. */
  public static final class Builder {
    private final DataSource dataSource;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private boolean createSchema = true;
    private JdbcDialect dialect;
    private int compactionThreshold = DEFAULT_COMPACTION_THRESHOLD;
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private boolean clockSet;
    private int maxBlobBytes = DEFAULT_MAX_BLOB_BYTES;
    private boolean readOnly;
    private Duration failoverJournal;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * The prefix of the store's table names ({@code prefix + "batch"}, ...); default {@value
     * #DEFAULT_TABLE_PREFIX}. It is the only text the store splices into SQL.
     *
     * @param tablePrefix the prefix
     * @return this builder
     * @throws IllegalArgumentException unless it matches {@code [a-z][a-z0-9_]{0,29}}
     */
    public Builder tablePrefix(String tablePrefix) {
      Objects.requireNonNull(tablePrefix, "tablePrefix must not be null");
      if (!PREFIX.matcher(tablePrefix).matches()) {
        throw new IllegalArgumentException(
            "tablePrefix must match [a-z][a-z0-9_]{0,29}: \""
                + (tablePrefix.length() > 60 ? tablePrefix.substring(0, 60) + "..." : tablePrefix)
                + "\"");
      }
      this.tablePrefix = tablePrefix;
      return this;
    }

    /**
     * Whether {@link #build()} creates missing tables (default true). Idempotent and safe when
     * several processes start at once. With false, build only checks that the tables and columns
     * exist, for teams that apply {@link JdbcDialect#ddlResource()} through their migrations.
     *
     * @param createSchema whether to create missing tables
     * @return this builder
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * The SQL dialect, instead of detecting it from the database's metadata.
     *
     * @param dialect {@link JdbcDialect#POSTGRESQL}, {@link JdbcDialect#MYSQL} or {@link
     *     JdbcDialect#H2}
     * @return this builder
     */
    public Builder dialect(JdbcDialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect must not be null");
      return this;
    }

    /**
     * How many delta rows of one (batch, stage) start a background compaction (default {@value
     * #DEFAULT_COMPACTION_THRESHOLD}). Lower keeps reads smaller; higher writes less.
     *
     * @param compactionThreshold the row count, at least 2
     * @return this builder
     * @throws IllegalArgumentException if it is below 2
     */
    public Builder compactionThreshold(int compactionThreshold) {
      if (compactionThreshold < 2) {
        throw new IllegalArgumentException(
            "compactionThreshold must be at least 2: " + compactionThreshold);
      }
      this.compactionThreshold = compactionThreshold;
      return this;
    }

    /**
     * How long one SQL statement the store runs on its own connections may take before the driver
     * cancels it (JDBC {@code setQueryTimeout}), so that a lock wait or a stalled network fails the
     * call with a {@link TrackerStoreException} instead of blocking a tracker's flusher or a
     * monitor forever; default 60 s. Statements of {@code markWithin} on the caller's connection
     * are left to the caller's own timeouts. Whole seconds (JDBC's unit); a fraction is rounded up.
     *
     * @param queryTimeout the timeout, from 1 second up to {@link Integer#MAX_VALUE} seconds
     * @return this builder
     * @throws IllegalArgumentException if it is shorter than 1 second or longer than that
     */
    public Builder queryTimeout(Duration queryTimeout) {
      Objects.requireNonNull(queryTimeout, "queryTimeout must not be null");
      if (queryTimeout.compareTo(Duration.ofSeconds(1)) < 0
          || queryTimeout.compareTo(Duration.ofSeconds(Integer.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException(
            "queryTimeout must be between 1 second and "
                + Integer.MAX_VALUE
                + " seconds: "
                + queryTimeout);
      }
      long seconds = queryTimeout.toSeconds() + (queryTimeout.getNano() > 0 ? 1 : 0);
      this.queryTimeout = Duration.ofSeconds(Math.min(seconds, Integer.MAX_VALUE));
      return this;
    }

    /**
     * The clock that times {@code markWithin}'s marks as the stages' last-marked times, used as
     * given. Default: the database server's clock, followed through a {@link StoreClock} (this
     * host's clock corrected by its offset to the database's, measured at build and every minute),
     * so that hosts whose clocks disagree stamp times by one clock; a tracker's own marks carry the
     * tracker's clock, which follows the same database clock by default.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      this.clockSet = true;
      return this;
    }

    /**
     * Whether the store is read-only (default false; a PostgreSQL standby is detected at build and
     * makes the store read-only whatever this says): for trackers, monitors, gates and the CLI that
     * only read, pointed at a replica. Reconciles then record no completion (see {@link
     * JdbcTrackerStore#readOnly()}); with {@link #createSchema(boolean)} left true, the tables are
     * only checked unless they are missing, in which case creating them fails as read-only.
     *
     * @param readOnly whether the store makes no write on its read paths
     * @return this builder
     */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /**
     * Keeps the deltas merged in the last {@code window} and merges them again when the PostgreSQL
     * server the store writes to changed (another system identifier or timeline: a standby promoted
     * after a failover, or a restore), so that marks whose commits an asynchronous standby never
     * received are sent again instead of silently missing. Off by default. Costs one query before
     * every merge and the memory of the window's deltas; make the window longer than the
     * replication lag plus the time a failover takes. Each store re-sends its own deltas only;
     * {@code markWithin}'s marks are in callers' transactions and are not kept. PostgreSQL only
     * ({@link #build()} fails on other databases). See docs/jdbc.md, "What flush() guarantees
     * across a failover".
     *
     * @param window how long after its commit a merge is kept, at least 1 second
     * @return this builder
     * @throws IllegalArgumentException if {@code window} is shorter than 1 second
     */
    public Builder failoverJournal(Duration window) {
      Objects.requireNonNull(window, "window must not be null");
      if (window.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "failoverJournal window must be at least 1 second: " + window);
      }
      this.failoverJournal = window;
      return this;
    }

    /** The largest blob written as one marks row; tests lower it to split small bitmaps. */
    Builder maxBlobBytes(int maxBlobBytes) {
      if (maxBlobBytes < 1024) {
        throw new IllegalArgumentException("maxBlobBytes must be at least 1024: " + maxBlobBytes);
      }
      this.maxBlobBytes = maxBlobBytes;
      return this;
    }

    /**
     * Connects, picks the dialect, creates or checks the tables, and returns the store.
     *
     * @return the store, ready to use
     * @throws TrackerStoreException if the database is unreachable, rejects the credentials, is not
     *     supported (CockroachDB), or lacks a table or column (the message says which and what to
     *     do)
     * @throws IllegalStateException if {@link #failoverJournal} is set for a database other than
     *     PostgreSQL
     */
    public JdbcTrackerStore build() {
      JdbcDialect chosen =
          dialect != null ? dialect : JdbcDialect.detect(dataSource, tablePrefix, queryTimeout);
      String how = dialect != null ? " (set explicitly)" : "";
      if (ANNOUNCED.add(chosen.name() + " " + tablePrefix + how)) {
        log.info("Using {} dialect for {} tables{}", chosen.name(), tablePrefix, how);
      } else {
        log.debug("Using {} dialect for {} tables{}", chosen.name(), tablePrefix, how);
      }
      if (failoverJournal != null && chosen != JdbcDialect.POSTGRESQL) {
        throw new IllegalStateException(
            "failoverJournal needs PostgreSQL (it tells a promoted standby by its timeline); the"
                + " dialect is "
                + chosen);
      }
      DatabaseTraits traits = DatabaseTraits.detect(dataSource, chosen, tablePrefix, queryTimeout);
      JdbcTrackerStore store = new JdbcTrackerStore(this, chosen, traits);
      try {
        new Schema(store.runner, chosen, store.sql).prepare(createSchema);
        if (!clockSet) {
          StoreClock following = StoreClock.following(store);
          store.writer.follow(following);
          store.within.follow(following);
        }
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return store;
    }
  }
}
