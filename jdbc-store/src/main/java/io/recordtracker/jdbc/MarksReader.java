package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.StageMarks;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.roaringbitmap.FastAggregation;
import org.roaringbitmap.RoaringBitmap;

/**
 * Reads marks rows and unions them into a stage's marks. Every blob is checked before it is
 * decoded: one longer than any bitmap of its batch is not even fetched (the query returns NULL in
 * its place, beside its length), and a corrupt or truncated one fails the read with a {@link
 * TrackerStoreException} naming the batch, stage and row, never a wrong answer.
 */
final class MarksReader {

  private final JdbcRunner runner;
  private final SqlStatements sql;
  private final Compactor compactor;

  MarksReader(JdbcRunner runner, SqlStatements sql, Compactor compactor) {
    this.runner = runner;
    this.sql = sql;
    this.compactor = compactor;
  }

  /** The union of the marks rows of (batch, stage), in one round trip. */
  RoaringBitmap load(BatchId batch, Stage stage) {
    return union(loadParts(batch, stage));
  }

  /**
   * The repeats among the marks rows of (batch, stage), in one round trip; see {@link #repeats}.
   */
  RoaringBitmap loadRepeats(BatchId batch, Stage stage) {
    return repeats(loadParts(batch, stage));
  }

  private List<Part> loadParts(BatchId batch, Stage stage) {
    List<Part> parts =
        runner.withConnection(
            "load marks of batch " + batch + ", stage " + stage,
            c -> {
              try (PreparedStatement ps = runner.prepare(c, sql.loadMarks)) {
                ps.setString(1, batch.value());
                ps.setString(2, stage.name());
                try (ResultSet rs = ps.executeQuery()) {
                  return readMarks(rs, batch, stage, null);
                }
              }
            });
    compactor.seen(new Compactor.Key(batch, stage), parts.size());
    return parts;
  }

  /**
   * Reads the batch row and the marks rows of {@code stages} in one statement, so that the marks
   * are those of the incarnation it returns, in one round trip: the batch LEFT JOINed to its marks
   * rows, one row with NULL marks when the stages have none, no row when the batch is gone.
   */
  Optional<StageMarks> read(BatchId batch, Set<Stage> stages) {
    List<Stage> order = new ArrayList<>(stages);
    String query = sql.readMarks(order.size());
    Map<Stage, List<StoredRow>> rows = new HashMap<>();
    long[] batchRow =
        runner.withConnection(
            "read " + order + " marks of batch " + batch,
            c -> {
              try (PreparedStatement ps = runner.prepare(c, query)) {
                for (int i = 0; i < order.size(); i++) {
                  ps.setString(i + 1, order.get(i).name());
                }
                ps.setString(order.size() + 1, batch.value());
                try (ResultSet rs = ps.executeQuery()) {
                  long[] row = null;
                  while (rs.next()) {
                    if (row == null) {
                      row = new long[] {rs.getLong(5), rs.getInt(3), rs.getInt(9)};
                    }
                    String stage = rs.getString(8);
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
    Map<Stage, RoaringBitmap> repeats = new HashMap<>();
    for (Stage stage : order) {
      List<Part> parts = new ArrayList<>();
      for (StoredRow row : rows.getOrDefault(stage, List.of())) {
        parts.add(new Part(decode(row, batch, stage), row.token(), row.repeated()));
      }
      compactor.seen(new Compactor.Key(batch, stage), parts.size());
      marks.put(stage, union(parts));
      if (stage.countsRepeats()) {
        repeats.put(stage, repeats(parts));
      }
    }
    return Optional.of(
        new StageMarks(batchRow[0], (int) batchRow[1], batchRow[2] != 0, marks, repeats));
  }

  /**
   * The highest record in rows of (blob length, marks, expected_records, id, incarnation, stage),
   * each decoded and checked as {@link #read} does; -1 if there is none.
   */
  long highestMark(ResultSet rs, BatchId batch) throws SQLException {
    long highest = -1;
    while (rs.next()) {
      RoaringBitmap marks = decode(StoredRow.of(rs), batch, Stage.of(rs.getString(8)));
      if (!marks.isEmpty()) {
        highest = Math.max(highest, marks.last() & 0xFFFF_FFFFL);
      }
    }
    return highest;
  }

  /**
   * Decodes rows of (blob length, marks or NULL if over the limit, expected_records, id,
   * incarnation); collects the ids if {@code ids} is given, with the batch's incarnation as its
   * first element. The query leaves out an oversized blob, so a corrupt one is never transferred
   * nor allocated; its length is reported here.
   */
  List<Part> readMarks(ResultSet rs, BatchId batch, Stage stage, List<Long> ids)
      throws SQLException {
    List<Part> parts = new ArrayList<>();
    while (rs.next()) {
      if (ids != null && ids.isEmpty()) {
        ids.add(rs.getLong(5));
      }
      StoredRow row = StoredRow.of(rs);
      parts.add(new Part(decode(row, batch, stage), row.token(), row.repeated()));
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
      throw corrupt(
          batch,
          stage,
          id,
          "",
          missing
              ? "the blob is NULL"
              : "the blob is "
                  + length
                  + " bytes, more than the "
                  + limit
                  + " any bitmap of "
                  + expected
                  + " records takes",
          null);
    }
    byte[] blob = row.blob();
    try {
      return PortableBitmaps.deserialize(blob, expected);
    } catch (PortableBitmaps.CorruptMarksException e) {
      throw corrupt(
          batch, stage, id, ", " + (blob == null ? 0 : blob.length) + " bytes", e.getMessage(), e);
    }
  }

  /** The failure for a row whose marks cannot be read, with what to do about it. */
  private TrackerStoreException corrupt(
      BatchId batch, Stage stage, long id, String size, String detail, Throwable cause) {
    return new TrackerStoreException(
        TrackerStoreException.Reason.CORRUPT_DATA,
        "stored marks of batch "
            + batch
            + ", stage "
            + stage
            + " are corrupt (row id "
            + id
            + " of "
            + sql.prefix
            + "marks"
            + size
            + "): "
            + detail
            + ". Restore the row from a backup or delete it and re-mark those records.",
        cause);
  }

  /**
   * One marks row as read (columns: length, blob or NULL if over the limit, expected records, row
   * id, incarnation, token, repeated); length -1 if the blob is NULL, token {@link #NO_TOKEN} if
   * NULL.
   */
  private record StoredRow(
      long length, byte[] blob, int expectedRecords, long id, long token, boolean repeated) {
    static StoredRow of(ResultSet rs) throws SQLException {
      long length = rs.getLong(1);
      if (rs.wasNull()) {
        length = -1;
      }
      long token = rs.getLong(6);
      if (rs.wasNull()) {
        token = NO_TOKEN;
      }
      return new StoredRow(
          length, rs.getBytes(2), rs.getInt(3), rs.getLong(4), token, rs.getInt(7) != 0);
    }
  }

  /**
   * The token of rows without one (NULL in the table): rows folded together, whose own repeats the
   * fold kept in a row of repeats, and rows written before rows had a token. They count as one
   * marking among themselves: every fold reads them all, and repeats are never guessed from rows
   * whose markings cannot be told apart.
   */
  static final long NO_TOKEN = 0;

  /**
   * One decoded marks row: its marks, the token of the marking that wrote it ({@link #NO_TOKEN} if
   * none), and whether it is a row of repeats (records a marking found repeated; also marks).
   */
  record Part(RoaringBitmap marks, long token, boolean repeated) {}

  /** The union of the marks of {@code parts}; may return one of them. */
  static RoaringBitmap union(List<Part> parts) {
    if (parts.isEmpty()) {
      return new RoaringBitmap();
    }
    if (parts.size() == 1) {
      return parts.get(0).marks();
    }
    return FastAggregation.or(parts.stream().map(Part::marks).iterator());
  }

  /**
   * The records of {@code parts} marked by two or more markings: the rows of repeats, plus every
   * record held by rows of two or more tokens. Rows of one token are one marking (a merge retried
   * after its commit's answer was lost writes its rows again under the same token); folded rows
   * have none ({@link #NO_TOKEN}), and two stores folding at once fold nested sets of rows, so
   * their duplicate rows never count twice. Computed from the rows as read, never stored per mark.
   */
  static RoaringBitmap repeats(List<Part> parts) {
    RoaringBitmap repeated = new RoaringBitmap();
    Map<Long, RoaringBitmap> byToken = new HashMap<>();
    for (Part part : parts) {
      if (part.repeated()) {
        repeated.or(part.marks());
      } else {
        RoaringBitmap same = byToken.get(part.token());
        if (same == null) {
          byToken.put(part.token(), part.marks()); // shared until a second row of the token
        } else {
          byToken.put(part.token(), RoaringBitmap.or(same, part.marks()));
        }
      }
    }
    if (byToken.size() > 1) {
      RoaringBitmap seen = new RoaringBitmap();
      for (RoaringBitmap marking : byToken.values()) {
        if (RoaringBitmap.intersects(seen, marking)) {
          repeated.or(RoaringBitmap.and(seen, marking));
        }
        seen.or(marking);
      }
    }
    return repeated;
  }
}
