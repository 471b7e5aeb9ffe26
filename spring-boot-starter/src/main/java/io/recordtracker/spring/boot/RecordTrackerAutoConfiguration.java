package io.recordtracker.spring.boot;

import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyListener;
import io.recordtracker.monitor.PagerDutyDiscrepancyListener;
import io.recordtracker.monitor.Slf4jDiscrepancyListener;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import io.recordtracker.spi.TrackerStore;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configures, on the application's {@link DataSource}: a {@link JdbcTrackerStore}, a {@link
 * RecordTracker} flushed and closed on shutdown before the DataSource is, a {@link MaintenanceGate}
 * and, with {@code record-tracker.monitor.enabled=true}, a {@link CompletenessMonitor} run on its
 * own scheduler thread. Each backs off when the application defines its own bean of that type; a
 * user-defined {@link TrackerStore} or {@link RecordTracker} replaces the JDBC store.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnBean(DataSource.class)
@ConditionalOnBooleanProperty(name = "record-tracker.enabled", matchIfMissing = true)
@EnableConfigurationProperties(RecordTrackerProperties.class)
public class RecordTrackerAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public RecordTrackerAutoConfiguration() {}

  /**
   * The JDBC store on the application's DataSource. Its destroy method is disabled: the tracker
   * closes the store it was built with.
   *
   * @param dataSource the application's DataSource
   * @param properties the {@code record-tracker.*} settings
   * @return the store, its tables created or checked
   */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean({TrackerStore.class, RecordTracker.class})
  public JdbcTrackerStore recordTrackerStore(
      DataSource dataSource, RecordTrackerProperties properties) {
    return JdbcTrackerStore.builder(dataSource)
        .tablePrefix(properties.getTablePrefix())
        .createSchema(properties.isCreateSchema())
        .queryTimeout(properties.getQueryTimeout())
        .build();
  }

  /**
   * The tracker on the store. It takes the DataSource as an argument so that Spring records the
   * dependency and destroys the tracker (a final flush, then closing the store) before it closes
   * the DataSource, even when the store is the application's own.
   *
   * @param store the store, the auto-configured JDBC one or the application's
   * @param dataSource the application's DataSource, which must outlive the tracker
   * @param properties the {@code record-tracker.*} settings
   * @return the tracker, its flusher started
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public RecordTracker recordTracker(
      TrackerStore store, DataSource dataSource, RecordTrackerProperties properties) {
    return RecordTracker.builder()
        .store(store)
        .flushInterval(properties.getFlushInterval())
        .flushThreshold(properties.getFlushThreshold())
        .maxBufferedRecords(properties.getMaxBufferedRecords())
        .build();
  }

  /**
   * The maintenance gate over the tracker's store.
   *
   * @param tracker the tracker
   * @param properties the {@code record-tracker.*} settings
   * @return the gate
   */
  @Bean
  @ConditionalOnMissingBean
  public MaintenanceGate recordTrackerMaintenanceGate(
      RecordTracker tracker, RecordTrackerProperties properties) {
    return properties.getGate().apply(MaintenanceGate.builder(tracker)).build();
  }

  /**
   * The completeness monitor, telling the log and every {@link DiscrepancyListener} bean: the
   * webhook's when {@code record-tracker.monitor.webhook.url} is set, PagerDuty's when {@code
   * record-tracker.monitor.pagerduty.routing-key} is, and the application's own.
   *
   * @param tracker the tracker
   * @param properties the {@code record-tracker.*} settings
   * @param listeners the application's listeners
   * @return the monitor, not yet started
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty("record-tracker.monitor.enabled")
  public CompletenessMonitor recordTrackerCompletenessMonitor(
      RecordTracker tracker,
      RecordTrackerProperties properties,
      ObjectProvider<DiscrepancyListener> listeners) {
    RecordTrackerProperties.Monitor settings = properties.getMonitor();
    CompletenessMonitor.Builder b = settings.apply(CompletenessMonitor.builder(tracker));
    b.listener(new Slf4jDiscrepancyListener());
    listeners.orderedStream().forEach(b::listener);
    return b.build();
  }

  /**
   * Posts the monitor's events to the Slack-compatible webhook of {@code
   * record-tracker.monitor.webhook.url}.
   *
   * @param properties the {@code record-tracker.*} settings
   * @return the listener
   */
  @Bean
  @ConditionalOnBooleanProperty("record-tracker.monitor.enabled")
  @ConditionalOnProperty("record-tracker.monitor.webhook.url")
  public WebhookDiscrepancyListener recordTrackerWebhookListener(
      RecordTrackerProperties properties) {
    return properties.getMonitor().getWebhook().listener();
  }

  /**
   * Sends the monitor's events to PagerDuty with the routing key of {@code
   * record-tracker.monitor.pagerduty.routing-key}.
   *
   * @param properties the {@code record-tracker.*} settings
   * @return the listener
   */
  @Bean
  @ConditionalOnBooleanProperty("record-tracker.monitor.enabled")
  @ConditionalOnProperty("record-tracker.monitor.pagerduty.routing-key")
  public PagerDutyDiscrepancyListener recordTrackerPagerDutyListener(
      RecordTrackerProperties properties) {
    return properties.getMonitor().getPagerduty().listener();
  }

  /**
   * Runs the monitor every {@code record-tracker.monitor.period} once the context is refreshed, and
   * stops it when the context closes, before the tracker.
   *
   * @param monitor the monitor
   * @param properties the {@code record-tracker.*} settings
   * @return the schedule
   */
  @Bean
  @ConditionalOnBooleanProperty("record-tracker.monitor.enabled")
  MonitorSchedule recordTrackerMonitorSchedule(
      CompletenessMonitor monitor, RecordTrackerProperties properties) {
    return new MonitorSchedule(monitor, properties.getMonitor().getPeriod());
  }
}
