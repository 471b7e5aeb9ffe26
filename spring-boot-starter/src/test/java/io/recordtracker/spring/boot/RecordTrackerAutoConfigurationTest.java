package io.recordtracker.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.recordtracker.BatchId;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.micrometer.RecordTrackerMetrics;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.PagerDutyDiscrepancyListener;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import io.recordtracker.spi.TrackerStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Every condition of the auto-configuration, each in its own small context. */
class RecordTrackerAutoConfigurationTest {

  private static final AutoConfigurations STARTER =
      AutoConfigurations.of(
          RecordTrackerAutoConfiguration.class,
          RecordTrackerMetricsAutoConfiguration.class,
          RecordTrackerHealthAutoConfiguration.class,
          RecordTrackerEndpointAutoConfiguration.class);

  private final ApplicationContextRunner withoutDataSource =
      new ApplicationContextRunner().withConfiguration(STARTER);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
          .withConfiguration(STARTER)
          .withPropertyValues("spring.datasource.url=" + TestDatabases.newH2Url());

  @Test
  void without_a_datasource_nothing_is_configured() {
    withoutDataSource.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean(TrackerStore.class);
          assertThat(context).doesNotHaveBean(RecordTracker.class);
          assertThat(context).doesNotHaveBean(MaintenanceGate.class);
          assertThat(context).doesNotHaveBean(RecordTrackerHealthIndicator.class);
        });
  }

  @Test
  void a_datasource_gets_a_jdbc_store_a_tracker_a_gate_and_a_health_indicator() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(JdbcTrackerStore.class);
          assertThat(context).hasSingleBean(RecordTracker.class);
          assertThat(context).hasSingleBean(MaintenanceGate.class);
          assertThat(context).hasSingleBean(RecordTrackerHealthIndicator.class);
          assertThat(context).doesNotHaveBean(CompletenessMonitor.class);
          assertThat(context).doesNotHaveBean(MonitorSchedule.class);
          // not exposed: the endpoint needs management.endpoints.*.exposure.include
          assertThat(context).doesNotHaveBean(RecordTrackerEndpoint.class);
          assertThat(context.getBean(JdbcTrackerStore.class).tablePrefix()).isEqualTo("rt_");
        });
  }

  @Test
  void store_settings_come_from_the_properties() {
    runner
        .withPropertyValues("record-tracker.table-prefix=app_rt_")
        .run(
            context ->
                assertThat(context.getBean(JdbcTrackerStore.class).tablePrefix())
                    .isEqualTo("app_rt_"));
  }

  @Test
  void disabled_by_property_configures_nothing() {
    runner
        .withPropertyValues("record-tracker.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(RecordTracker.class);
              assertThat(context).doesNotHaveBean(TrackerStore.class);
            });
  }

  @Test
  void the_users_own_tracker_replaces_the_store_and_the_tracker() {
    RecordTracker own = RecordTracker.inMemory();
    runner
        .withBean("ownTracker", RecordTracker.class, () -> own)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(TrackerStore.class);
              assertThat(context).hasSingleBean(RecordTracker.class);
              assertThat(context.getBean(RecordTracker.class)).isSameAs(own);
              assertThat(context).hasSingleBean(MaintenanceGate.class);
            });
  }

  @Test
  void the_users_own_store_is_used_by_the_auto_configured_tracker() {
    TrackerStore own = TrackerStore.inMemory();
    runner
        .withBean("ownStore", TrackerStore.class, () -> own)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(JdbcTrackerStore.class);
              BatchId id = BatchId.generate();
              context.getBean(RecordTracker.class).openBatch(id, 10);
              assertThat(own.findBatch(id)).isPresent();
            });
  }

  @Test
  void without_actuator_on_the_classpath_the_tracker_works_without_health_or_endpoint() {
    runner
        .withClassLoader(
            new FilteredClassLoader(
                "org.springframework.boot.actuate", "org.springframework.boot.health"))
        .withPropertyValues("management.endpoints.web.exposure.include=recordtracker")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(RecordTracker.class);
              assertThat(context).doesNotHaveBean(RecordTrackerHealthIndicator.class);
              assertThat(context).doesNotHaveBean(RecordTrackerEndpoint.class);
            });
  }

  @Test
  void the_health_indicator_can_be_switched_off() {
    runner
        .withPropertyValues("management.health.recordtracker.enabled=false")
        .run(
            context -> {
              assertThat(context).hasSingleBean(RecordTracker.class);
              assertThat(context).doesNotHaveBean(RecordTrackerHealthIndicator.class);
            });
  }

  @Test
  void the_endpoint_exists_once_exposed() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=recordtracker")
        .run(context -> assertThat(context).hasSingleBean(RecordTrackerEndpoint.class));
  }

  @Test
  void with_a_meter_registry_the_tracker_meters_are_bound() {
    runner
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class))
        .run(
            context -> {
              assertThat(context).hasSingleBean(RecordTrackerMetrics.class);
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(registry.get("recordtracker.store.healthy").gauge().value())
                  .isEqualTo(1.0);
            });
  }

  @Test
  void without_a_meter_registry_no_meters_are_bound() {
    runner.run(context -> assertThat(context).doesNotHaveBean(RecordTrackerMetrics.class));
  }

  @Test
  void without_micrometer_on_the_classpath_the_tracker_works_without_meters() {
    runner
        .withClassLoader(new FilteredClassLoader("io.micrometer", "io.recordtracker.micrometer"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(RecordTracker.class);
              assertThat(context).doesNotHaveBean(RecordTrackerMetrics.class);
            });
  }

  @Test
  void the_monitor_runs_when_enabled_with_the_webhook_of_the_properties() {
    runner
        .withPropertyValues(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.period=1h",
            "record-tracker.monitor.grace=5m",
            "record-tracker.monitor.watch=sent:received,received:processed",
            "record-tracker.monitor.webhook.url=https://hooks.example.com/services/T0/B0/secret")
        .run(
            context -> {
              assertThat(context).hasSingleBean(CompletenessMonitor.class);
              assertThat(context.getBean(MonitorSchedule.class).isRunning()).isTrue();
              String monitor = context.getBean(CompletenessMonitor.class).toString();
              assertThat(monitor)
                  .contains("grace=PT5M")
                  .contains("sent->received")
                  .contains("received->processed");
              assertThat(context.getBean(WebhookDiscrepancyListener.class))
                  .hasToString("WebhookDiscrepancyListener{https://hooks.example.com/…}");
            });
  }

  @Test
  void pagerduty_listener_runs_with_the_routing_key_of_the_properties_and_never_shows_it() {
    runner
        .withPropertyValues(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.period=1h",
            "record-tracker.monitor.pagerduty.routing-key=R0ut1ngK3yOfTheCisService0123456",
            "record-tracker.monitor.pagerduty.digest-above=50",
            "record-tracker.monitor.webhook.url=https://hooks.example.com/services/T0/B0/secret",
            "record-tracker.monitor.webhook.digest-above=30")
        .run(
            context -> {
              assertThat(context).hasSingleBean(PagerDutyDiscrepancyListener.class);
              assertThat(context.getBean(PagerDutyDiscrepancyListener.class))
                  .hasToString("PagerDutyDiscrepancyListener{https://events.pagerduty.com/…}");
              assertThat(context.getBean(RecordTrackerProperties.class).getMonitor().getPagerduty())
                  .hasToString(
                      "PagerDuty{endpoint=https://events.pagerduty.com/v2/enqueue,"
                          + " routingKey=(set)}");
            });
    assertStartupFails(
        List.of(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.pagerduty.routing-key=R0ut1ngK3y",
            "record-tracker.monitor.pagerduty.digest-above=0"),
        "monitor.pagerduty.digestAbove",
        "digestAbove must be at least 1: 0");
  }

  @Test
  void a_bad_flush_interval_fails_startup_naming_the_property() {
    assertStartupFails(
        List.of("record-tracker.flush-interval=-1s"),
        "record-tracker",
        "flushInterval",
        "flushInterval must be positive: PT-1S");
  }

  @Test
  void a_bad_table_prefix_fails_startup_naming_the_property() {
    assertStartupFails(
        List.of("record-tracker.table-prefix=Bad-Prefix"),
        "tablePrefix",
        "tablePrefix must match [a-z][a-z0-9_]{0,29}: \"Bad-Prefix\"");
  }

  @Test
  void a_flush_threshold_above_the_buffer_bound_fails_startup_naming_both() {
    assertStartupFails(
        List.of("record-tracker.flush-threshold=2000", "record-tracker.max-buffered-records=1000"),
        "flushThreshold",
        "flushThreshold (2000) must not exceed maxBufferedRecords (1000)");
  }

  @Test
  void a_bad_monitor_setting_fails_startup_naming_the_property() {
    assertStartupFails(
        List.of(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.grace=0s",
            "record-tracker.monitor.watch=sent-processed"),
        "monitor.grace",
        "grace must be positive: PT0S",
        "monitor.watch",
        "watch must be upstream:downstream, for example sent:processed: sent-processed");
  }

  @Test
  void a_monitor_deadline_shorter_than_its_grace_fails_startup_naming_both() {
    assertStartupFails(
        List.of(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.grace=30m",
            "record-tracker.monitor.deadline=20m"),
        "monitor.deadline",
        "deadline must be at least grace: deadline=PT20M, grace=PT30M");
  }

  @Test
  void an_unset_monitor_deadline_follows_a_grace_longer_than_an_hour() {
    runner
        .withPropertyValues(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.period=1h",
            "record-tracker.monitor.grace=2h")
        .run(
            context ->
                assertThat(context.getBean(CompletenessMonitor.class).toString())
                    .contains("grace=PT2H, deadline=PT2H,"));
  }

  @Test
  void a_webhook_url_that_is_not_http_fails_startup_naming_the_property() {
    assertStartupFails(
        List.of(
            "record-tracker.monitor.enabled=true",
            "record-tracker.monitor.webhook.url=ftp://hooks.example.com/x"),
        "monitor.webhook.url");
  }

  private void assertStartupFails(List<String> properties, String... fragments) {
    runner
        .withPropertyValues(properties.toArray(String[]::new))
        .run(
            context -> {
              assertThat(context).hasFailed();
              String messages = messages(context.getStartupFailure());
              assertThat(messages).contains(fragments);
            });
  }

  private static String messages(Throwable failure) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      s.append(t.getMessage()).append('\n');
    }
    return s.toString();
  }
}
