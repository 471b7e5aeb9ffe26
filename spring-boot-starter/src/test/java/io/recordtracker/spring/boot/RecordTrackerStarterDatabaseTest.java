package io.recordtracker.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The starter on real databases, H2 and embedded PostgreSQL: marks flushed when the context closes
 * (before its connection pool does), the health indicator following the store through an outage,
 * and the endpoint's answers.
 */
class RecordTrackerStarterDatabaseTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private static ApplicationContextRunner runner(String url) {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                RecordTrackerAutoConfiguration.class,
                RecordTrackerHealthAutoConfiguration.class,
                RecordTrackerEndpointAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=" + url,
            "management.endpoints.web.exposure.include=health,recordtracker");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void marks_still_buffered_are_flushed_when_the_context_closes(String database) {
    String url = TestDatabases.url(database);
    BatchId id = BatchId.generate();
    runner(url)
        .withPropertyValues("record-tracker.flush-interval=1h")
        .run(
            context -> {
              RecordTracker tracker = context.getBean(RecordTracker.class);
              tracker.openBatch(id, 100);
              tracker.markSent(id, RecordRange.of(0, 99));
              tracker.markProcessed(id, RecordRange.of(0, 49));
              assertThat(tracker.stats().bufferedRecords()).isEqualTo(150);
            });
    // The context closed its Hikari pool after the tracker's final flush: a fresh store sees it.
    try (JdbcTrackerStore store = JdbcTrackerStore.builder(TestDatabases.dataSource(url)).build()) {
      assertThat(store.load(id, Stage.SENT).getCardinality()).isEqualTo(100);
      assertThat(store.load(id, Stage.PROCESSED).getCardinality()).isEqualTo(50);
      assertThat(store.load(id, Stage.PROCESSED).last()).isEqualTo(49);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void health_is_up_down_with_the_cause_while_the_database_fails_and_up_again(String database) {
    TestDatabases.SwitchableDataSource dataSource =
        new TestDatabases.SwitchableDataSource(
            TestDatabases.dataSource(TestDatabases.url(database)));
    runner(TestDatabases.url(database))
        .withBean("dataSource", javax.sql.DataSource.class, () -> dataSource)
        .withPropertyValues("record-tracker.flush-interval=50ms")
        .run(
            context -> {
              RecordTracker tracker = context.getBean(RecordTracker.class);
              RecordTrackerHealthIndicator health =
                  context.getBean(RecordTrackerHealthIndicator.class);
              BatchId id = BatchId.generate();
              tracker.openBatch(id, 30);
              tracker.markSent(id, RecordRange.of(0, 9));
              awaitTrue(() -> tracker.stats().bufferedRecords() == 0, "first marks flushed");
              assertThat(health.health().getStatus()).isEqualTo(Status.UP);

              dataSource.failing(true);
              tracker.markSent(id, RecordRange.of(10, 29));
              awaitTrue(() -> !tracker.stats().storeHealthy(), "a flush failed");
              Health down = health.health();
              assertThat(down.getStatus()).isEqualTo(Status.DOWN);
              assertThat(down.getDetails().get("error").toString())
                  .contains(TestDatabases.SwitchableDataSource.FAILURE);
              assertThat(down.getDetails().get("bufferedRecords")).isEqualTo(20L);

              dataSource.failing(false);
              awaitTrue(() -> health.health().getStatus().equals(Status.UP), "health UP again");
              assertThat(tracker.stats().bufferedRecords()).isZero();
              assertThat(tracker.reconcile(id).absentUpstream()).isEmpty();
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void the_endpoint_shows_a_batch_reconciliation_and_what_is_in_flight(String database) {
    runner(TestDatabases.url(database))
        .run(
            context -> {
              RecordTracker tracker = context.getBean(RecordTracker.class);
              RecordTrackerEndpoint endpoint = context.getBean(RecordTrackerEndpoint.class);
              BatchId id = BatchId.generate();
              tracker.openBatch(id, 30, Map.of("file", "customers.edi"));
              tracker.markSent(id, RecordRange.of(0, 29));
              tracker.markProcessed(id, RecordRange.of(0, 4));
              tracker.markProcessed(id, RecordRange.of(10, 19));
              tracker.markProcessed(id, RecordRange.of(21, 29));
              tracker.flush();

              Map<String, Object> batch = endpoint.batch(id.value());
              @SuppressWarnings("unchecked")
              Map<String, Object> reconciliation =
                  (Map<String, Object>) batch.get("reconciliation");
              assertThat(reconciliation)
                  .containsEntry("batch", id.value())
                  .containsEntry("expected", 30)
                  .containsEntry("complete", false)
                  .containsEntry(
                      "counts",
                      Map.of("missing", 6, "absentUpstream", 0, "unexpected", 0, "repeated", 0))
                  .containsEntry(
                      "ranges",
                      Map.of(
                          "missing",
                          List.of(List.of(5, 9), List.of(20, 20)),
                          "absentUpstream",
                          List.of(),
                          "unexpected",
                          List.of(),
                          "repeated",
                          List.of()))
                  .containsEntry("repeatsCounted", true);
              @SuppressWarnings("unchecked")
              Map<String, Object> plan = (Map<String, Object>) batch.get("resendPlan");
              assertThat(plan)
                  .containsEntry("batch", id.value())
                  .containsEntry("attributes", Map.of("file", "customers.edi"))
                  .containsEntry("ranges", List.of(List.of(5, 9), List.of(20, 20)));

              assertThat(endpoint.batch(BatchId.generate().value())).isNull();

              Map<String, Object> summary = endpoint.summary();
              assertThat(ids(summary.get("incomplete"))).contains(id.value());
              assertThat(ids(summary.get("inFlight"))).contains(id.value());
              assertThat(summary.get("gate").toString()).contains(id.value());
              if (database.equals("h2")) { // its own database: nothing else is there
                assertThat(ids(summary.get("incomplete"))).containsExactly(id.value());
                assertThat(ids(summary.get("inFlight"))).containsExactly(id.value());
                assertThat(summary.get("unreadable")).isEqualTo(Map.of());
              }
            });
  }

  @SuppressWarnings("unchecked")
  private static List<Object> ids(Object batches) {
    return ((List<Map<String, Object>>) batches).stream().map(b -> b.get("id")).toList();
  }

  /** Polls {@code condition} until it holds, failing after a generous deadline. */
  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    Instant deadline = Instant.now().plus(DEADLINE);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + DEADLINE + ": " + what);
      }
      Thread.sleep(10);
    }
  }
}
