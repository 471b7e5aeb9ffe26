package io.recordtracker.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.jdbc.PostgresStandby;
import java.sql.Connection;
import java.time.Instant;
import java.util.Map;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

class JdbcTrackerStoreMetricsTest {

  private static final Stage AUDITED = Stage.of("AUDITED");

  @Test
  void records_marked_within_callers_transactions_are_counted_per_stage() throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rtmicrometer_within;DB_CLOSE_DELAY=-1");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(h2).build();
        Connection c = h2.getConnection()) {
      new JdbcTrackerStoreMetrics(store, Tags.of("app", "cis")).stages(AUDITED).bindTo(registry);
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 100, Instant.parse("2026-11-25T08:00:00Z"), Map.of()));
      c.setAutoCommit(false);
      store.markWithin(c, id, Stage.PROCESSED, 1);
      store.markWithin(c, id, Stage.PROCESSED, new int[] {2, 3});
      store.markWithin(c, id, AUDITED, RecordRange.of(0, 9));
      c.commit();

      assertThat(counter(registry, Stage.PROCESSED)).isEqualTo(3.0);
      assertThat(counter(registry, AUDITED)).isEqualTo(10.0);
      assertThat(counter(registry, Stage.SENT)).isZero();
    }
  }

  @Test
  void the_replication_lag_gauge_is_bound_for_a_read_only_store_only() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rtmicrometer_lag;DB_CLOSE_DELAY=-1");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (JdbcTrackerStore writer = JdbcTrackerStore.builder(h2).build();
        JdbcTrackerStore reader = JdbcTrackerStore.builder(h2).readOnly(true).build()) {
      new JdbcTrackerStoreMetrics(writer, Tags.of("app", "edi")).bindTo(registry);
      new JdbcTrackerStoreMetrics(reader, Tags.of("app", "reports")).bindTo(registry);
      assertThat(registry.find("recordtracker.store.replication.lag").timeGauges())
          .singleElement()
          .satisfies(
              g -> {
                assertThat(g.getId().getTag("app")).isEqualTo("reports");
                assertThat(g.value()).isNaN(); // H2 has no standby to measure
              });
    }
  }

  @Test
  void the_replication_lag_gauge_reads_a_postgresql_standby() throws Exception {
    try (PostgresStandby pg = PostgresStandby.start();
        JdbcTrackerStore writer =
            JdbcTrackerStore.builder(new DriverManagerDataSource(pg.primaryUrl(), null, null))
                .tablePrefix("rtmetsby_")
                .build()) {
      BatchId id = BatchId.generate();
      writer.openBatch(BatchInfo.of(id, 10, Instant.now(), Map.of()));
      try (JdbcTrackerStore standby =
          JdbcTrackerStore.builder(new DriverManagerDataSource(pg.standbyUrl(), null, null))
              .tablePrefix("rtmetsby_")
              .build()) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (standby.findBatch(id).isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new JdbcTrackerStoreMetrics(standby, Tags.empty()).bindTo(registry);
        double seconds = registry.get("recordtracker.store.replication.lag").timeGauge().value();
        assertThat(standby.readOnly()).isTrue();
        // Replayed what the primary committed: streaming and caught up, or a fresh replay's age.
        assertThat(seconds).isBetween(0.0, 60.0);
      }
    }
  }

  @Test
  void null_arguments_are_refused_by_name() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rtmicrometer_nulls;DB_CLOSE_DELAY=-1");
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(h2).build()) {
      assertThatThrownBy(() -> new JdbcTrackerStoreMetrics(null, Tags.empty()))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("store must not be null");
      assertThatThrownBy(() -> new JdbcTrackerStoreMetrics(store, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("tags must not be null");
      assertThatThrownBy(
              () -> new JdbcTrackerStoreMetrics(store, Tags.empty()).stages(AUDITED, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("stage must not be null");
    }
  }

  private static double counter(SimpleMeterRegistry registry, Stage stage) {
    return registry
        .get("recordtracker.records.marked.within")
        .tags("app", "cis", "stage", stage.name())
        .functionCounter()
        .count();
  }
}
