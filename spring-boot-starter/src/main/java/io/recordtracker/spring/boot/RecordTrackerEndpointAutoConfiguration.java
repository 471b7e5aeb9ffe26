package io.recordtracker.spring.boot;

import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordTracker;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code recordtracker} actuator endpoint ({@link RecordTrackerEndpoint}), when Spring Boot
 * Actuator is on the classpath and the endpoint is exposed ({@code
 * management.endpoints.web.exposure.include=health,recordtracker}).
 */
@AutoConfiguration(after = RecordTrackerAutoConfiguration.class)
@ConditionalOnClass(
    name = {
      "org.springframework.boot.actuate.endpoint.annotation.Endpoint",
      "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"
    })
@ConditionalOnBean({RecordTracker.class, MaintenanceGate.class})
public class RecordTrackerEndpointAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public RecordTrackerEndpointAutoConfiguration() {}

  // Nested, so that the endpoint condition's class is loaded only once actuator is present.
  @Configuration(proxyBeanMethods = false)
  static class Exposed {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint
    RecordTrackerEndpoint recordTrackerEndpoint(RecordTracker tracker, MaintenanceGate gate) {
      return new RecordTrackerEndpoint(tracker, gate);
    }
  }
}
