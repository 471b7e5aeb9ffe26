package io.recordtracker.jdbc;

import io.recordtracker.BatchConflictException;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.StageMarks;
import io.recordtracker.spi.StoreClock;
import io.recordtracker.spi.TrackerStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.roaringbitmap.FastAggregation;
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
  private static final int ATTEMPTS = 4;

  /** Dialect choices already logged at INFO, so a JVM building many stores logs each once. */
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  private static final int MAX_FOLDED_ROWS = 10_000;
  private static final int IN_CHUNK = 500;
  private static final String BATCH_COLUMNS =
      "batch_id, expected_records, opened_at, completed_at, attributes, incarnation";

  /**
   * Columns added to tables after their first release, with their definitions: createSchema(true)
   * adds them to tables created before (each definition is instant in PostgreSQL 11+ and MariaDB
   * 10.3+: a constant default rewrites no row).
   */
  private static final Map<String, Map<String, String>> ADDED_COLUMNS =
      Map.of("batch", Map.of("incarnation", "BIGINT NOT NULL DEFAULT 0"));

  private final DataSource dataSource;
  private final String prefix;
  private final JdbcDialect dialect;
  private final SqlFailures failures;
  private final Compactor compactor;
  private final StageTimes stageTimes;
  private volatile Clock clock;

  /** The clock of markWithin's stage times when none was set: the database's, followed. */
  private volatile StoreClock storeClock;

  private final int queryTimeoutSeconds;
  private final NetworkTimeout networkTimeout;
  private final int maxBlobBytes;

  private final String insertMarks;
  private final String insertMarksAnyIncarnation;
  private final String upsertStage;
  private final String upsertStageAnyIncarnation;
  private final String insertBatch;
  private final String insertAttribute;
  private final String findBatch;
  private final String expectedRecords;
  private final String loadMarks;
  private final String foldRows;
  private final String completeBatch;
  private final String lockBatchNowait;
  private final String deleteMarksRow;

  private JdbcTrackerStore(Builder b, JdbcDialect dialect) {
    this.dataSource = b.dataSource;
    this.prefix = b.tablePrefix;
    this.dialect = dialect;
    this.clock = b.clock;
    this.queryTimeoutSeconds = (int) b.queryTimeout.toSeconds();
    this.networkTimeout = new NetworkTimeout(queryTimeoutSeconds);
    this.failures = new SqlFailures(prefix, dialect.ddlResource(), queryTimeoutSeconds);
    this.maxBlobBytes = b.maxBlobBytes;
    String p = prefix;
    this.insertMarks = dialect.insertMarks(p, JdbcDialect.batchExists(p, true));
    this.insertMarksAnyIncarnation = dialect.insertMarks(p, JdbcDialect.batchExists(p, false));
    this.upsertStage = dialect.upsertStage(p, JdbcDialect.batchExists(p, true));
    this.upsertStageAnyIncarnation = dialect.upsertStage(p, JdbcDialect.batchExists(p, false));
    this.insertBatch = dialect.insertBatchIfAbsent(p);
    this.insertAttribute =
        "INSERT INTO " + p + "batch_attr (batch_id, attr_key, attr_value) VALUES (?, ?, ?)";
    this.findBatch =
        "SELECT b.batch_id, b.expected_records, b.opened_at, b.completed_at, b.attributes,"
            + " s.stage, s.last_marked_at, b.incarnation FROM "
            + p
            + "batch b LEFT JOIN "
            + p
            + "stage s ON s.batch_id = b.batch_id WHERE b.batch_id = ?";
    this.expectedRecords =
        "SELECT expected_records, incarnation FROM " + p + "batch WHERE batch_id = ?";
    // A blob longer than any bitmap of its batch comes back as NULL beside its length, so the
    // driver never fetches it (a corrupt row can be hundreds of MB); readMarks reports it.
    this.loadMarks =
        "SELECT OCTET_LENGTH(m.marks), CASE WHEN OCTET_LENGTH(m.marks) <= "
            + PortableBitmaps.maxSerializedBytesSql("b.expected_records")
            + " THEN m.marks END, b.expected_records, m.id, b.incarnation FROM "
            + p
            + "marks m JOIN "
            + p
            + "batch b ON b.batch_id = m.batch_id WHERE m.batch_id = ? AND m.stage = ?";
    this.foldRows = loadMarks + " ORDER BY m.id LIMIT " + MAX_FOLDED_ROWS;
    this.completeBatch =
        "UPDATE " + p + "batch SET completed_at = ? WHERE batch_id = ? AND completed_at IS NULL";
    this.lockBatchNowait = dialect.lockBatchNowait(p);
    // One row by its whole key: a point lookup in every dialect. An IN list of ids can make
    // MariaDB scan the table (its choice for small tables), locking every row it passes and so
    // waiting for any transaction's uncommitted marks row, of any batch.
    this.deleteMarksRow = "DELETE FROM " + p + "marks WHERE batch_id = ? AND stage = ? AND id = ?";
    this.compactor = new Compactor(b.compactionThreshold, this::foldQuietly);
    this.stageTimes = new StageTimes(this::writeStageTimes);
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
    BatchInfo fresh =
        BatchInfo.of(
                batch.id(), batch.expectedRecords(), micros(batch.openedAt()), batch.attributes())
            .withIncarnation(newIncarnation());
    return inTransaction("open batch " + batch.id(), true, c -> openBatch(c, fresh));
  }

  private BatchInfo openBatch(Connection c, BatchInfo fresh) throws SQLException {
    int inserted;
    try (PreparedStatement ps = prepare(c, insertBatch)) {
      ps.setString(1, fresh.id().value());
      ps.setInt(2, fresh.expectedRecords());
      ps.setObject(3, utc(fresh.openedAt()));
      ps.setString(4, AttributesJson.write(fresh.attributes()));
      ps.setLong(5, fresh.incarnation());
      inserted = ps.executeUpdate();
    } catch (SQLException e) {
      if (dialect != JdbcDialect.H2 || !SqlFailures.isDuplicateKey(e)) {
        throw e;
      }
      inserted = 0; // H2: another connection inserted it first
    }
    if (inserted > 0) {
      if (!fresh.attributes().isEmpty()) {
        try (PreparedStatement ps = prepare(c, insertAttribute)) {
          for (Map.Entry<String, String> e : fresh.attributes().entrySet()) {
            ps.setString(1, fresh.id().value());
            ps.setString(2, e.getKey());
            ps.setString(3, e.getValue());
            ps.addBatch();
          }
          ps.executeBatch();
        }
      }
      return fresh;
    }
    BatchInfo existing =
        findBatch(c, fresh.id())
            .orElseThrow(
                () -> // deleted between our insert attempt and read: let the retry insert it
                new SQLException("batch " + fresh.id() + " vanished while opening", "40001"));
    if (existing.expectedRecords() != fresh.expectedRecords()) {
      throw new BatchConflictException(existing, fresh.expectedRecords());
    }
    return existing;
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    Objects.requireNonNull(id, "id must not be null");
    return withConnection("find batch " + id, c -> findBatch(c, id));
  }

  private Optional<BatchInfo> findBatch(Connection c, BatchId id) throws SQLException {
    try (PreparedStatement ps = prepare(c, findBatch)) {
      ps.setString(1, id.value());
      try (ResultSet rs = ps.executeQuery()) {
        List<BatchInfo> found = readBatches(rs);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    }
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    Objects.requireNonNull(query, "query must not be null");
    StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    List<Object> values = new ArrayList<>();
    if (query.openedAfter() != null) {
      where.append(" AND b.opened_at >= ?");
      values.add(utc(micros(query.openedAfter())));
    }
    if (query.openedBefore() != null) {
      where.append(" AND b.opened_at < ?");
      values.add(utc(micros(query.openedBefore())));
    }
    if (query.afterOpenedAt() != null) {
      // Keyset cursor: the rows after (opened_at, batch_id) in the DESC, DESC order. Ids are ASCII
      // compared byte for byte in every dialect's DDL, as BatchId compares them.
      where.append(" AND (b.opened_at < ? OR (b.opened_at = ? AND b.batch_id < ?))");
      LocalDateTime after = utc(micros(query.afterOpenedAt()));
      values.add(after);
      values.add(after);
      values.add(query.afterId().value());
    }
    if (query.completion() == BatchQuery.Completion.COMPLETE) {
      where.append(" AND b.completed_at IS NOT NULL");
    } else if (query.completion() == BatchQuery.Completion.INCOMPLETE) {
      where.append(" AND b.completed_at IS NULL");
    }
    if (query.markedAfter() != null) {
      where
          .append(" AND EXISTS (SELECT 1 FROM ")
          .append(prefix)
          .append("stage ms WHERE ms.batch_id = b.batch_id AND ms.last_marked_at >= ?)");
      values.add(utc(micros(query.markedAfter())));
    }
    for (Map.Entry<String, String> e : query.attributes().entrySet()) {
      // The LENGTH comparisons make trailing spaces count on MySQL/MariaDB tables made before
      // attr_key and attr_value became VARBINARY, whose utf8mb4_bin '=' ignores them (PAD SPACE).
      where
          .append(" AND EXISTS (SELECT 1 FROM ")
          .append(prefix)
          .append("batch_attr a WHERE a.batch_id = b.batch_id")
          .append(" AND a.attr_key = ? AND LENGTH(a.attr_key) = LENGTH(?)")
          .append(" AND a.attr_value = ? AND LENGTH(a.attr_value) = LENGTH(?))");
      values.add(e.getKey());
      values.add(e.getKey());
      values.add(e.getValue());
      values.add(e.getValue());
    }
    String sql =
        "SELECT p.batch_id, p.expected_records, p.opened_at, p.completed_at, p.attributes,"
            + " s.stage, s.last_marked_at, p.incarnation FROM (SELECT "
            + "b.batch_id, b.expected_records, b.opened_at, b.completed_at, b.attributes,"
            + " b.incarnation FROM "
            + prefix
            + "batch b"
            + where
            + " ORDER BY b.opened_at DESC, b.batch_id DESC LIMIT ? OFFSET ?) p LEFT JOIN "
            + prefix
            + "stage s ON s.batch_id = p.batch_id ORDER BY p.opened_at DESC, p.batch_id DESC";
    values.add(query.limit());
    values.add(query.offset());
    return withConnection(
        "query batches",
        c -> {
          try (PreparedStatement ps = prepare(c, sql)) {
            for (int i = 0; i < values.size(); i++) {
              ps.setObject(i + 1, values.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              return readBatches(rs);
            }
          }
        });
  }

  /**
   * Batches from rows of (batch columns, stage, last_marked_at, incarnation), one row per stage.
   */
  private List<BatchInfo> readBatches(ResultSet rs) throws SQLException {
    Map<String, Object[]> rows = new LinkedHashMap<>();
    Map<String, Map<Stage, Instant>> times = new HashMap<>();
    while (rs.next()) {
      String id = rs.getString(1);
      if (!rows.containsKey(id)) {
        rows.put(
            id,
            new Object[] {
              rs.getInt(2), instant(rs, 3), instant(rs, 4), rs.getString(5), rs.getLong(8)
            });
        times.put(id, new HashMap<>());
      }
      String stage = rs.getString(6);
      if (stage != null) {
        times.get(id).put(Stage.of(stage), instant(rs, 7));
      }
    }
    List<BatchInfo> batches = new ArrayList<>(rows.size());
    for (Map.Entry<String, Object[]> row : rows.entrySet()) {
      Object[] v = row.getValue();
      Map<String, String> attributes;
      try {
        attributes = AttributesJson.read((String) v[3]);
      } catch (IllegalArgumentException e) {
        throw new TrackerStoreException(
            "batch "
                + row.getKey()
                + " has unreadable attributes in "
                + prefix
                + "batch: "
                + e.getMessage(),
            e);
      }
      batches.add(
          BatchInfo.of(
                  BatchId.of(row.getKey()),
                  (Integer) v[0],
                  (Instant) v[1],
                  attributes,
                  times.get(row.getKey()),
                  (Instant) v[2])
              .withIncarnation((Long) v[4]));
    }
    return batches;
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
    long deadline = System.nanoTime() + Duration.ofSeconds(queryTimeoutSeconds).toNanos();
    for (int attempt = 1; !completeWithoutWaiting(batch, at); attempt++) {
      if (System.nanoTime() - deadline > 0) {
        throw new TrackerStoreException(
            "record completion of batch "
                + batch
                + " failed on the "
                + prefix
                + "* tables: another transaction held the batch row for longer than the query"
                + " timeout ("
                + queryTimeoutSeconds
                + " s); usually an open transaction that called markWithin on the batch");
      }
      pause(Math.min(attempt, 20));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Never waits for another transaction's lock on the batch row (on MySQL/MariaDB, a caller's
   * open {@code markWithin} transaction holds a shared lock on it until it commits): tries a few
   * times within a fraction of a second, then returns false.
   */
  @Override
  public boolean tryRecordCompletion(BatchId batch, Instant at) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(at, "at must not be null");
    for (int attempt = 1; ; attempt++) {
      if (completeWithoutWaiting(batch, at)) {
        return true;
      }
      if (attempt >= ATTEMPTS) {
        log.debug(
            "Batch {} is locked by another transaction; its completion is not recorded", batch);
        return false;
      }
      pause(attempt);
    }
  }

  /** Records the completion unless the batch row is locked; returns false if it is. */
  private boolean completeWithoutWaiting(BatchId batch, Instant at) {
    // A transaction, so that a pool handing out non-autocommit connections works.
    return inTransaction(
        "record completion of batch " + batch,
        true,
        c -> {
          if (lockBatchNowait != null) {
            try (PreparedStatement ps = prepare(c, lockBatchNowait)) {
              ps.setString(1, batch.value());
              try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getObject(1) != null) {
                  return true; // no such batch, or recorded already
                }
              }
            } catch (SQLException e) {
              if (SqlFailures.isLockUnavailable(e)) {
                return false;
              }
              throw e;
            }
          }
          try (PreparedStatement ps = prepare(c, completeBatch)) {
            ps.setObject(1, utc(micros(at)));
            ps.setString(2, batch.value());
            ps.executeUpdate();
          }
          return true;
        });
  }

  @Override
  public int delete(Collection<BatchId> batches) {
    Objects.requireNonNull(batches, "batches must not be null");
    List<String> ids = batches.stream().map(BatchId::value).distinct().toList();
    if (ids.isEmpty()) {
      return 0;
    }
    return inTransaction(
        "delete " + ids.size() + " batches",
        true,
        c -> {
          int deleted = 0;
          // Marks, stage times and attributes go with the batch row (ON DELETE CASCADE).
          for (int from = 0; from < ids.size(); from += IN_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
            String sql =
                "DELETE FROM "
                    + prefix
                    + "batch WHERE batch_id IN ("
                    + placeholders(chunk.size())
                    + ")";
            try (PreparedStatement ps = prepare(c, sql)) {
              for (int i = 0; i < chunk.size(); i++) {
                ps.setString(i + 1, chunk.get(i));
              }
              deleted += ps.executeUpdate();
            }
          }
          return deleted;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Marks

  @Override
  public void merge(List<MarkDelta> deltas) {
    Objects.requireNonNull(deltas, "deltas must not be null");
    if (deltas.isEmpty()) {
      return;
    }
    // One row per (batch, stage, incarnation), in a fixed order so that concurrent merges lock
    // stage rows in the same order and cannot deadlock. Deltas made for different incarnations of
    // one id stay apart: one of them is bound to be refused.
    TreeMap<Target, RoaringBitmap> marks = new TreeMap<>();
    Map<Target, Instant> markedAt = new HashMap<>();
    for (MarkDelta delta : deltas) {
      Target target =
          new Target(new Compactor.Key(delta.batch(), delta.stage()), delta.incarnation());
      RoaringBitmap union = marks.get(target);
      if (union == null) {
        marks.put(target, delta.marks().clone()); // never modify the caller's bitmap
      } else {
        union.or(delta.marks());
      }
      markedAt.merge(target, delta.markedAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
    List<Target> targets = new ArrayList<>(marks.keySet());
    List<List<byte[]>> blobs = new ArrayList<>(targets.size());
    for (Target target : targets) {
      RoaringBitmap bitmap = marks.get(target);
      bitmap.runOptimize();
      blobs.add(
          bitmap.isEmpty() // an empty delta only advances the time
              ? List.of()
              : PortableBitmaps.serializeSplit(bitmap, maxBlobBytes));
    }
    // Which statements the merge needs: those checking the incarnation, and (for deltas made for
    // no particular incarnation) those that do not.
    List<Boolean> kinds = targets.stream().map(Target::checked).distinct().sorted().toList();
    inTransaction(
        "merge of " + deltas.size() + " deltas",
        true,
        c -> {
          // Every row written is counted: a delta whose batch is gone (purged, restored from an
          // older backup, tables recreated) or is another incarnation inserts nothing, and then
          // nothing of this merge may commit.
          Map<BatchId, Long> rejected = new LinkedHashMap<>();
          for (boolean checked : kinds) {
            List<Integer> rows = new ArrayList<>();
            try (PreparedStatement ps =
                prepare(c, checked ? insertMarks : insertMarksAnyIncarnation)) {
              for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get(i);
                if (t.checked() != checked) {
                  continue;
                }
                for (byte[] blob : blobs.get(i)) {
                  bindMarks(ps, t.key(), blob, t.incarnation());
                  rows.add(i);
                  addOrRun(ps, counts -> noteRejected(counts, rows, targets, marks, rejected));
                }
              }
              runBatch(ps, counts -> noteRejected(counts, rows, targets, marks, rejected));
            }
          }
          if (!rejected.isEmpty()) {
            c.rollback();
            throw new MarksRejectedException(
                rejected, "the store " + this + " wrote none of the " + deltas.size() + " deltas");
          }
          for (boolean checked : kinds) {
            try (PreparedStatement ps =
                prepare(c, checked ? upsertStage : upsertStageAnyIncarnation)) {
              for (Target t : targets) {
                if (t.checked() == checked) {
                  bindStage(ps, t.key(), markedAt.get(t), t.incarnation());
                  addOrRun(ps, counts -> {});
                }
              }
              runBatch(ps, counts -> {});
            }
          }
          return null;
        });
    for (int i = 0; i < targets.size(); i++) {
      compactor.appended(targets.get(i).key(), blobs.get(i).size());
    }
  }

  /** Where a delta goes: its (batch, stage), and the incarnation it was made for (0: any). */
  private record Target(Compactor.Key key, long incarnation) implements Comparable<Target> {
    boolean checked() {
      return incarnation != BatchInfo.UNKNOWN_INCARNATION;
    }

    @Override
    public int compareTo(Target other) {
      int byKey = key.compareTo(other.key);
      return byKey != 0 ? byKey : Long.compare(incarnation, other.incarnation);
    }
  }

  /**
   * Notes the targets whose inserts wrote no row; {@code counts} are the update counts of the rows
   * last executed, which are the last {@code counts.length} of {@code rows}. A driver that does not
   * say (SUCCESS_NO_INFO) is taken at its word: its inserts are checked by the foreign key.
   */
  private static void noteRejected(
      int[] counts,
      List<Integer> rows,
      List<Target> targets,
      Map<Target, RoaringBitmap> marks,
      Map<BatchId, Long> rejected) {
    int first = rows.size() - counts.length;
    for (int j = 0; j < counts.length; j++) {
      if (counts[j] == 0) {
        Target t = targets.get(rows.get(first + j));
        rejected.putIfAbsent(t.key().batch(), 0L);
        rejected.merge(t.key().batch(), marks.get(t).getLongCardinality(), Long::sum);
      }
    }
    rows.subList(first, rows.size()).clear();
  }

  @Override
  public Optional<Instant> currentTime() {
    return withConnection(
        "read the database's clock",
        c -> {
          try (PreparedStatement ps = prepare(c, dialect.currentTimeUtc());
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return Optional.of(dialect.readCurrentTime(rs));
          }
        });
  }

  /** Advances the last-marked times of stages in one short transaction of the store's own. */
  private void writeStageTimes(Map<Compactor.Key, Instant> times) {
    StoreClock following = storeClock;
    if (following != null) {
      following.resyncIfDue(); // on the stage-time writer's thread, never the caller's
    }
    inTransaction(
        "advancing the last-marked time of " + times.size() + " stages",
        true,
        c -> {
          try (PreparedStatement ps = prepare(c, upsertStageAnyIncarnation)) {
            for (Map.Entry<Compactor.Key, Instant> e : times.entrySet()) {
              bindStage(ps, e.getKey(), e.getValue(), BatchInfo.UNKNOWN_INCARNATION);
              addOrRun(ps, counts -> {});
            }
            runBatch(ps, counts -> {});
          }
          return null;
        });
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
   * @param range the records, all within 0..expectedRecords-1
   * @throws UnknownBatchException if the batch does not exist (as seen by {@code connection})
   * @throws IllegalArgumentException if the range reaches past the batch's last record; nothing is
   *     written
   * @throws TrackerStoreException if the database fails; the caller's transaction should then be
   *     rolled back
   */
  public void markWithin(Connection connection, BatchId batch, Stage stage, RecordRange range) {
    Objects.requireNonNull(range, "range must not be null");
    long[] found = batchWithin(connection, batch, stage);
    int expected = (int) found[0];
    if (range.last() >= expected) {
      throw new IllegalArgumentException(
          "range "
              + range
              + " is outside batch "
              + batch
              + ", whose records are 0.."
              + (expected - 1)
              + " ("
              + expected
              + " expected)");
    }
    RoaringBitmap marks = new RoaringBitmap();
    marks.add((long) range.first(), (long) range.last() + 1);
    appendWithin(connection, batch, stage, marks, found[1]);
  }

  /**
   * Marks {@code records} at {@code stage} of {@code batch} on the caller's connection, inside the
   * caller's transaction, as {@link #markWithin(Connection, BatchId, Stage, RecordRange)}.
   *
   * @param connection the caller's connection, in the caller's transaction
   * @param batch the batch the records belong to
   * @param stage the stage they reached
   * @param records the record numbers, each within 0..expectedRecords-1, in any order
   * @throws UnknownBatchException if the batch does not exist (as seen by {@code connection})
   * @throws IllegalArgumentException if a record is outside 0..expectedRecords-1; nothing is
   *     written
   * @throws TrackerStoreException if the database fails; the caller's transaction should then be
   *     rolled back
   */
  public void markWithin(Connection connection, BatchId batch, Stage stage, int[] records) {
    Objects.requireNonNull(records, "records must not be null");
    long[] found = batchWithin(connection, batch, stage);
    int expected = (int) found[0];
    for (int record : records) {
      if (record < 0 || record >= expected) {
        throw new IllegalArgumentException(
            "record "
                + record
                + " is outside batch "
                + batch
                + ", whose records are 0.."
                + (expected - 1)
                + " ("
                + expected
                + " expected)");
      }
    }
    if (records.length > 0) {
      appendWithin(connection, batch, stage, RoaringBitmap.bitmapOf(records), found[1]);
    }
  }

  /** The batch's expected records and incarnation, as {@code connection} sees them. */
  private long[] batchWithin(Connection connection, BatchId batch, Stage stage) {
    Objects.requireNonNull(connection, "connection must not be null");
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    try (PreparedStatement ps = connection.prepareStatement(expectedRecords)) {
      ps.setString(1, batch.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new UnknownBatchException(batch);
        }
        return new long[] {rs.getInt(1), rs.getLong(2)};
      }
    } catch (SQLException e) {
      throw failures.translate("mark within the caller's transaction, batch " + batch, e);
    }
  }

  /**
   * Appends the marks rows on the caller's connection: rows no other writer touches, so nothing
   * here waits on, or makes anyone wait on, another transaction. The stage's shared last-marked row
   * is advanced by {@link StageTimes} outside the caller's transaction.
   */
  private void appendWithin(
      Connection connection, BatchId batch, Stage stage, RoaringBitmap marks, long incarnation) {
    marks.runOptimize();
    Compactor.Key key = new Compactor.Key(batch, stage);
    List<byte[]> blobs = PortableBitmaps.serializeSplit(marks, maxBlobBytes);
    try (PreparedStatement insert = connection.prepareStatement(insertMarks)) {
      for (byte[] blob : blobs) {
        bindMarks(insert, key, blob, incarnation);
        // No row: the batch was purged (or purged and opened again) after the caller's
        // transaction first read it, which a snapshot (MariaDB's REPEATABLE READ) can hide.
        if (insert.executeUpdate() == 0) {
          throw new UnknownBatchException(batch);
        }
      }
    } catch (SQLException e) {
      if (SqlFailures.isForeignKeyViolation(e)) {
        throw new UnknownBatchException(batch); // purged between the existence check and the row
      }
      throw failures.translate("mark within the caller's transaction, batch " + batch, e);
    }
    stageTimes.advance(key, clock.instant());
    compactor.appended(key, blobs.size());
  }

  /** Writes the last-marked times noted by {@code markWithin} now; for tests. */
  void writeStageTimes() {
    stageTimes.writePending();
  }

  /** What to do with the update counts of statements just run. */
  @FunctionalInterface
  private interface Counts {
    void accept(int[] counts);
  }

  /** Adds the bound statement to the JDBC batch, or runs it now where batching is not possible. */
  private void addOrRun(PreparedStatement ps, Counts counts) throws SQLException {
    if (dialect.batchesInsertSelect()) {
      ps.addBatch();
    } else {
      counts.accept(new int[] {ps.executeUpdate()});
    }
  }

  private void runBatch(PreparedStatement ps, Counts counts) throws SQLException {
    if (dialect.batchesInsertSelect()) {
      counts.accept(ps.executeBatch());
    }
  }

  private static void bindMarks(
      PreparedStatement ps, Compactor.Key key, byte[] blob, long incarnation) throws SQLException {
    ps.setString(1, key.batch().value());
    ps.setString(2, key.stage().name());
    ps.setBytes(3, blob);
    ps.setString(4, key.batch().value());
    if (incarnation != BatchInfo.UNKNOWN_INCARNATION) {
      ps.setLong(5, incarnation);
    }
  }

  private static void bindStage(
      PreparedStatement ps, Compactor.Key key, Instant at, long incarnation) throws SQLException {
    ps.setString(1, key.batch().value());
    ps.setString(2, key.stage().name());
    ps.setObject(3, utc(micros(at)));
    ps.setString(4, key.batch().value());
    if (incarnation != BatchInfo.UNKNOWN_INCARNATION) {
      ps.setLong(5, incarnation);
    }
  }

  /** A new batch's incarnation: random, so that no two openings of one id share one. */
  private static long newIncarnation() {
    long incarnation;
    do {
      incarnation = new java.security.SecureRandom().nextLong();
    } while (incarnation == BatchInfo.UNKNOWN_INCARNATION);
    return incarnation;
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    List<RoaringBitmap> parts =
        withConnection(
            "load marks of batch " + batch + ", stage " + stage,
            c -> {
              try (PreparedStatement ps = prepare(c, loadMarks)) {
                ps.setString(1, batch.value());
                ps.setString(2, stage.name());
                try (ResultSet rs = ps.executeQuery()) {
                  return readMarks(rs, batch, stage, null);
                }
              }
            });
    compactor.seen(new Compactor.Key(batch, stage), parts.size());
    return union(parts);
  }

  /**
   * Reads the batch row and the marks rows of {@code stages} in one statement, so that the marks
   * are those of the incarnation it returns, in one round trip: the batch LEFT JOINed to its marks
   * rows, one row with NULL marks when the stages have none, no row when the batch is gone.
   */
  @Override
  public Optional<StageMarks> read(BatchId batch, Set<Stage> stages) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stages, "stages must not be null");
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("stages must not be empty");
    }
    List<Stage> order = new ArrayList<>(stages);
    String sql =
        "SELECT OCTET_LENGTH(m.marks), CASE WHEN OCTET_LENGTH(m.marks) <= "
            + PortableBitmaps.maxSerializedBytesSql("b.expected_records")
            + " THEN m.marks END, b.expected_records, m.id, b.incarnation, m.stage FROM "
            + prefix
            + "batch b LEFT JOIN "
            + prefix
            + "marks m ON m.batch_id = b.batch_id AND m.stage IN ("
            + placeholders(order.size())
            + ") WHERE b.batch_id = ?";
    Map<Stage, List<StoredRow>> rows = new HashMap<>();
    long[] batchRow =
        withConnection(
            "read " + order + " marks of batch " + batch,
            c -> {
              try (PreparedStatement ps = prepare(c, sql)) {
                for (int i = 0; i < order.size(); i++) {
                  ps.setString(i + 1, order.get(i).name());
                }
                ps.setString(order.size() + 1, batch.value());
                try (ResultSet rs = ps.executeQuery()) {
                  long[] row = null;
                  while (rs.next()) {
                    if (row == null) {
                      row = new long[] {rs.getLong(5), rs.getInt(3)};
                    }
                    String stage = rs.getString(6);
                    if (stage != null) {
                      rows.computeIfAbsent(Stage.of(stage), k -> new ArrayList<>())
                          .add(StoredRow.of(rs));
                    }
                  }
                  return row;
                }
              }
            });
    if (batchRow == null) {
      return Optional.empty();
    }
    // Decoded stage by stage in the order asked, so that a corrupt row is reported the same way
    // whatever order the database returned the rows in.
    Map<Stage, RoaringBitmap> marks = new HashMap<>();
    for (Stage stage : order) {
      List<RoaringBitmap> parts = new ArrayList<>();
      for (StoredRow row : rows.getOrDefault(stage, List.of())) {
        parts.add(decode(row, batch, stage));
      }
      compactor.seen(new Compactor.Key(batch, stage), parts.size());
      marks.put(stage, union(parts));
    }
    return Optional.of(new StageMarks(batchRow[0], (int) batchRow[1], marks));
  }

  /**
   * Decodes rows of (blob length, marks or NULL if over the limit, expected_records, id,
   * incarnation); collects the ids if {@code ids} is given, with the batch's incarnation as its
   * first element. The query leaves out an oversized blob, so a corrupt one is never transferred
   * nor allocated; its length is reported here.
   */
  private List<RoaringBitmap> readMarks(ResultSet rs, BatchId batch, Stage stage, List<Long> ids)
      throws SQLException {
    List<RoaringBitmap> parts = new ArrayList<>();
    while (rs.next()) {
      if (ids != null && ids.isEmpty()) {
        ids.add(rs.getLong(5));
      }
      parts.add(decode(StoredRow.of(rs), batch, stage));
      if (ids != null) {
        ids.add(rs.getLong(4));
      }
    }
    return parts;
  }

  /**
   * Decodes a row's blob, checked before it is decoded: a corrupt or truncated one fails with a
   * message naming the batch, stage and row, never a wrong answer.
   */
  private RoaringBitmap decode(StoredRow row, BatchId batch, Stage stage) {
    long length = row.length();
    boolean missing = length < 0;
    long expected = row.expectedRecords();
    long id = row.id();
    long limit = PortableBitmaps.maxSerializedBytes(expected);
    if (missing || length > limit) {
      throw new TrackerStoreException(
          TrackerStoreException.Reason.CORRUPT_DATA,
          "stored marks of batch "
              + batch
              + ", stage "
              + stage
              + " are corrupt (row id "
              + id
              + " of "
              + prefix
              + "marks): "
              + (missing
                  ? "the blob is NULL"
                  : "the blob is "
                      + length
                      + " bytes, more than the "
                      + limit
                      + " any bitmap of "
                      + expected
                      + " records takes")
              + ". Restore the row from a backup or delete it and re-mark those records.");
    }
    byte[] blob = row.blob();
    try {
      return PortableBitmaps.deserialize(blob, expected);
    } catch (PortableBitmaps.CorruptMarksException e) {
      throw new TrackerStoreException(
          TrackerStoreException.Reason.CORRUPT_DATA,
          "stored marks of batch "
              + batch
              + ", stage "
              + stage
              + " are corrupt (row id "
              + id
              + " of "
              + prefix
              + "marks, "
              + (blob == null ? 0 : blob.length)
              + " bytes): "
              + e.getMessage()
              + ". Restore the row from a backup or delete it and re-mark those records.",
          e);
    }
  }

  /**
   * One marks row as read (columns: length, blob or NULL if over the limit, expected records, row
   * id); length -1 if the blob is NULL.
   */
  private record StoredRow(long length, byte[] blob, int expectedRecords, long id) {
    static StoredRow of(ResultSet rs) throws SQLException {
      long length = rs.getLong(1);
      if (rs.wasNull()) {
        length = -1;
      }
      return new StoredRow(length, rs.getBytes(2), rs.getInt(3), rs.getLong(4));
    }
  }

  private static RoaringBitmap union(List<RoaringBitmap> parts) {
    if (parts.isEmpty()) {
      return new RoaringBitmap();
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    return FastAggregation.or(parts.iterator());
  }

  // ---------------------------------------------------------------------------------------------
  // Compaction

  /**
   * Folds the delta rows of (batch, stage) into one, now, on the caller's thread.
   *
   * @return how many rows were folded (0 if there were fewer than two)
   */
  int compact(BatchId batch, Stage stage) {
    return inTransaction(
        "compaction of batch " + batch + ", stage " + stage,
        true,
        c -> {
          List<Long> read = new ArrayList<>();
          List<RoaringBitmap> parts;
          try (PreparedStatement ps = prepare(c, foldRows)) {
            ps.setString(1, batch.value());
            ps.setString(2, stage.name());
            try (ResultSet rs = ps.executeQuery()) {
              parts = readMarks(rs, batch, stage, read);
            }
          }
          if (read.size() < 3) {
            return 0;
          }
          // The incarnation the rows were read from: the folded row is written only into that
          // batch, so a fold delayed while the batch was purged and opened again writes nothing.
          long incarnation = read.get(0);
          List<Long> ids = read.subList(1, read.size());
          RoaringBitmap folded = union(parts);
          folded.runOptimize();
          Compactor.Key key = new Compactor.Key(batch, stage);
          List<byte[]> blobs = PortableBitmaps.serializeSplit(folded, maxBlobBytes);
          if (blobs.size() >= ids.size()) {
            // Already as few rows as the size cap allows: folding would only rewrite them.
            compactor.settled(key, ids.size());
            return 0;
          }
          try (PreparedStatement ps = prepare(c, insertMarks)) {
            for (byte[] blob : blobs) {
              bindMarks(ps, key, blob, incarnation);
              if (ps.executeUpdate() == 0) {
                c.rollback();
                log.debug(
                    "Batch {} was purged (or purged and opened again) during a fold of stage {};"
                        + " nothing folded",
                    batch,
                    stage);
                return 0;
              }
            }
          }
          // Delete exactly the rows read above, each by its key: rows appended since then are kept,
          // and an uncommitted one (a caller's open markWithin) is never touched nor waited for.
          try (PreparedStatement ps = prepare(c, deleteMarksRow)) {
            for (int i = 0; i < ids.size(); i++) {
              ps.setString(1, batch.value());
              ps.setString(2, stage.name());
              ps.setLong(3, ids.get(i));
              ps.addBatch();
              if ((i + 1) % IN_CHUNK == 0 || i == ids.size() - 1) {
                ps.executeBatch();
              }
            }
          }
          return ids.size();
        });
  }

  private void foldQuietly(Compactor.Key key) {
    try {
      int folded = compact(key.batch(), key.stage());
      log.debug("Folded {} delta rows of batch {}, stage {}", folded, key.batch(), key.stage());
    } catch (RuntimeException e) {
      // The rows stay as they are, correct but unfolded; the next trigger tries again.
      log.warn(
          "Compaction of batch {}, stage {} failed; its delta rows are kept unfolded: {}",
          key.batch(),
          key.stage(),
          e.getMessage());
    }
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
    return "JdbcTrackerStore{dialect=" + dialect + ", tablePrefix=" + prefix + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** A statement on one of the store's own connections, cancelled past the query timeout. */
  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      ps.setQueryTimeout(queryTimeoutSeconds);
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
    return ps;
  }

  private <T> T withConnection(String what, SqlWork<T> work) {
    try {
      return borrowed(dataSource, networkTimeout, work);
    } catch (SQLException e) {
      throw failures.translate(what, e);
    }
  }

  /**
   * Runs {@code work} on a connection borrowed from {@code dataSource}, its every blocking read
   * bounded by {@code timeout} (see {@link NetworkTimeout}) until it goes back to the pool.
   */
  private static <T> T borrowed(DataSource dataSource, NetworkTimeout timeout, SqlWork<T> work)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      int previous = timeout.apply(c);
      try {
        return work.run(c);
      } finally {
        timeout.restore(c, previous);
      }
    }
  }

  /**
   * Runs {@code work} in one transaction; retries it on deadlocks, lock timeouts and races that a
   * fresh attempt resolves, when {@code retry} (the work must then be idempotent).
   */
  private <T> T inTransaction(String what, boolean retry, SqlWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return transactionOnce(work);
      } catch (SQLException e) {
        if (!retry || attempt >= ATTEMPTS || !SqlFailures.isRetryable(e)) {
          throw failures.translate(what, e);
        }
        log.debug("{} hit {}; attempt {} of {}", what, e.getMessage(), attempt + 1, ATTEMPTS);
        pause(attempt);
      }
    }
  }

  private <T> T transactionOnce(SqlWork<T> work) throws SQLException {
    return borrowed(
        dataSource,
        networkTimeout,
        c -> {
          boolean autoCommit = c.getAutoCommit();
          if (autoCommit) {
            c.setAutoCommit(false);
          }
          try {
            T result = work.run(c);
            c.commit();
            return result;
          } catch (SQLException | RuntimeException | Error e) {
            try {
              c.rollback();
            } catch (SQLException suppressed) {
              e.addSuppressed(suppressed);
            }
            throw e;
          } finally {
            if (autoCommit) {
              try {
                c.setAutoCommit(true);
              } catch (SQLException ignored) {
                // the connection is broken; closing it is all that is left
              }
            }
          }
        });
  }

  private static void pause(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(10, 50) * (long) attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackerStoreException("interrupted while retrying", e);
    }
  }

  private static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  private static Instant micros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  private static LocalDateTime utc(Instant instant) {
    return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    LocalDateTime value = rs.getObject(column, LocalDateTime.class);
    return value == null ? null : value.toInstant(ZoneOffset.UTC);
  }

  // ---------------------------------------------------------------------------------------------
  // Schema

  private void createSchema() {
    List<String> statements = ddl(dialect, prefix);
    for (int attempt = 1; ; attempt++) {
      try {
        borrowed(dataSource, networkTimeout, c -> createSchema(c, statements));
        addMissingColumns();
        return;
      } catch (SQLException e) {
        // Another process creating the same tables at the same moment can make DDL fail (H2:
        // "object already exists" from a racing CREATE INDEX IF NOT EXISTS); the DDL is
        // idempotent, so try again unless the database is unreachable or refuses us.
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (attempt >= ATTEMPTS || state.startsWith("08") || state.startsWith("28")) {
          throw failures.translate("creating tables from " + dialect.ddlResource(), e);
        }
        pause(attempt);
      }
    }
  }

  /**
   * Adds the columns of {@link #ADDED_COLUMNS} to tables created by an earlier version, each by one
   * ALTER TABLE (MySQL 8 has no ADD COLUMN IF NOT EXISTS, so presence is checked first; a process
   * that loses the race to add one finds it there afterwards).
   */
  private void addMissingColumns() throws SQLException {
    for (Map.Entry<String, Map<String, String>> table : ADDED_COLUMNS.entrySet()) {
      String name = prefix + table.getKey();
      for (Map.Entry<String, String> column : table.getValue().entrySet()) {
        if (hasColumn(name, column.getKey())) {
          continue;
        }
        String sql =
            "ALTER TABLE " + name + " ADD COLUMN " + column.getKey() + " " + column.getValue();
        try {
          borrowed(
              dataSource,
              networkTimeout,
              c -> {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                  s.setQueryTimeout(queryTimeoutSeconds);
                  s.execute(sql);
                } finally {
                  c.setAutoCommit(autoCommit);
                }
                return null;
              });
          log.info(
              "Added column {} to {}, created by an earlier version: {}",
              column.getKey(),
              name,
              sql);
        } catch (SQLException e) {
          if (!hasColumn(name, column.getKey())) {
            throw e;
          }
        }
      }
    }
  }

  private boolean hasColumn(String table, String column) {
    try {
      return borrowed(
          dataSource,
          networkTimeout,
          c -> {
            try (PreparedStatement ps =
                    prepare(c, "SELECT " + column + " FROM " + table + " WHERE 1 = 0");
                ResultSet rs = ps.executeQuery()) {
              return true;
            }
          });
    } catch (SQLException e) {
      return false;
    }
  }

  private Void createSchema(Connection c, List<String> statements) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    boolean transactional = dialect.transactionalDdl();
    c.setAutoCommit(!transactional);
    try (Statement s = c.createStatement()) {
      s.setQueryTimeout(queryTimeoutSeconds);
      if (transactional) {
        dialect.lockSchema(c, prefix, queryTimeoutSeconds);
      }
      for (String sql : statements) {
        s.execute(sql);
      }
      if (transactional) {
        c.commit();
      }
    } catch (SQLException | RuntimeException e) {
      if (transactional) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    } finally {
      try {
        c.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // the connection is broken; closing it is all that is left
      }
    }
    return null;
  }

  /** The dialect's DDL statements with the prefix filled in. */
  static List<String> ddl(JdbcDialect dialect, String prefix) {
    String text;
    try (InputStream in =
        JdbcTrackerStore.class.getClassLoader().getResourceAsStream(dialect.ddlResource())) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + dialect.ddlResource());
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + dialect.ddlResource(), e);
    }
    StringBuilder sql = new StringBuilder();
    for (String line : text.split("\n")) {
      if (!line.strip().startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : sql.toString().replace("${prefix}", prefix).split(";")) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return statements;
  }

  private boolean schemaPresent() {
    try {
      verifySchema();
      return true;
    } catch (TrackerStoreException e) {
      return false;
    }
  }

  /** Checks that every table and column the store uses is there, with one query per table. */
  private void verifySchema() {
    Map<String, String> columns = new LinkedHashMap<>();
    columns.put("batch", BATCH_COLUMNS);
    columns.put("batch_attr", "batch_id, attr_key, attr_value");
    columns.put("stage", "batch_id, stage, last_marked_at");
    columns.put("marks", "batch_id, stage, id, marks");
    withConnection(
        "checking the tables",
        c -> {
          for (Map.Entry<String, String> table : columns.entrySet()) {
            String name = prefix + table.getKey();
            try (PreparedStatement ps =
                    prepare(c, "SELECT " + table.getValue() + " FROM " + name + " WHERE 1 = 0");
                ResultSet rs = ps.executeQuery()) {
              rs.next();
            } catch (SQLException e) {
              throw failures.translate(
                  "checking table " + name + " (columns " + table.getValue() + ")", e);
            }
          }
          return null;
        });
  }

  private static JdbcDialect detect(DataSource dataSource, String prefix, Duration queryTimeout) {
    NetworkTimeout timeout = new NetworkTimeout((int) queryTimeout.toSeconds());
    String[] productAndVersion;
    try {
      productAndVersion =
          borrowed(
              dataSource,
              timeout,
              c ->
                  new String[] {
                    c.getMetaData().getDatabaseProductName(),
                    c.getMetaData().getDatabaseProductVersion()
                  });
    } catch (SQLException e) {
      throw new SqlFailures(prefix, "the DDL file of its dialect")
          .translate("connecting to detect the database", e);
    }
    String product = productAndVersion[0];
    String version = productAndVersion[1];
    return JdbcDialect.forProduct(product)
        .orElseThrow(
            () ->
                new TrackerStoreException(
                    "no dialect for database \""
                        + product
                        + "\" "
                        + version
                        + "; supported are PostgreSQL, MySQL/MariaDB and H2. If it speaks one of"
                        + " their SQL, set it with JdbcTrackerStore.builder(ds).dialect(...)"));
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
     *     supported, or lacks a table or column (the message says which and what to do)
     */
    public JdbcTrackerStore build() {
      JdbcDialect chosen =
          dialect != null ? dialect : detect(dataSource, tablePrefix, queryTimeout);
      String how = dialect != null ? " (set explicitly)" : "";
      if (ANNOUNCED.add(chosen.name() + " " + tablePrefix + how)) {
        log.info("Using {} dialect for {} tables{}", chosen.name(), tablePrefix, how);
      } else {
        log.debug("Using {} dialect for {} tables{}", chosen.name(), tablePrefix, how);
      }
      JdbcTrackerStore store = new JdbcTrackerStore(this, chosen);
      try {
        // DDL only when something is missing: even an idempotent CREATE INDEX or ALTER TABLE
        // takes table locks that would stall (or deadlock with) other processes' writes.
        if (createSchema && !store.schemaPresent()) {
          store.createSchema();
        }
        store.verifySchema();
        if (!clockSet) {
          store.storeClock = StoreClock.following(store);
          store.clock = store.storeClock;
        }
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return store;
    }
  }
}
