package io.recordtracker.spring.boot;

import io.recordtracker.RecordTracker;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code recordTracker} health indicator ({@link RecordTrackerHealthIndicator}), when Spring
 * Boot's health support is on the classpath; switch it off with {@code
 * management.health.recordtracker.enabled=false}.
 */
@AutoConfiguration(after = RecordTrackerAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(RecordTracker.class)
public class RecordTrackerHealthAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public RecordTrackerHealthAutoConfiguration() {}

  // Nested, so that the health condition's class is loaded only once health is on the classpath.
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnEnabledHealthIndicator("recordtracker")
  static class Indicator {

    @Bean
    @ConditionalOnMissingBean(name = "recordTrackerHealthIndicator")
    RecordTrackerHealthIndicator recordTrackerHealthIndicator(RecordTracker tracker) {
      return new RecordTrackerHealthIndicator(tracker);
    }
  }
}
