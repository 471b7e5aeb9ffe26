package io.recordtracker.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.recordtracker.RecordTracker;
import io.recordtracker.micrometer.RecordTrackerMetrics;
import io.recordtracker.monitor.CompletenessMonitor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Binds the tracker's meters ({@link RecordTrackerMetrics}, with the monitor's when one runs) when
 * Micrometer and {@code record-tracker-micrometer} are on the classpath and a {@link MeterRegistry}
 * bean exists; Spring Boot binds the {@code MeterBinder} to every registry.
 */
@AutoConfiguration(
    after = RecordTrackerAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass({MeterRegistry.class, RecordTrackerMetrics.class})
@ConditionalOnBean({RecordTracker.class, MeterRegistry.class})
public class RecordTrackerMetricsAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public RecordTrackerMetricsAutoConfiguration() {}

  /**
   * The tracker's meters, and the monitor's when a monitor bean exists.
   *
   * @param tracker the tracker
   * @param monitor the monitor, if any
   * @return the binder
   */
  @Bean
  @ConditionalOnMissingBean
  public RecordTrackerMetrics recordTrackerMetrics(
      RecordTracker tracker, ObjectProvider<CompletenessMonitor> monitor) {
    return new RecordTrackerMetrics(tracker, monitor.getIfAvailable(), Tags.empty());
  }
}
