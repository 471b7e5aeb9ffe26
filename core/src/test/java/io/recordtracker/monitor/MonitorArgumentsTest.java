package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * The package's rule for arguments, in every public builder and listener: null is a
 * NullPointerException naming the argument, a bad value an IllegalArgumentException naming it and
 * the value.
 */
class MonitorArgumentsTest {

  private static final URI URL = URI.create("https://hooks.example.org/services/T0/B0/s3cr3t");

  @Test
  void completeness_monitor_rejects_null_with_npe_naming_the_argument() {
    assertThatThrownBy(() -> CompletenessMonitor.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("tracker must not be null");
    try (RecordTracker tracker = RecordTracker.builder().build()) {
      CompletenessMonitor.Builder b = CompletenessMonitor.builder(tracker);
      assertThatThrownBy(() -> b.grace(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("grace must not be null");
      assertThatThrownBy(() -> b.deadline(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("deadline must not be null");
      assertThatThrownBy(() -> b.renotifyAfter(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("renotifyAfter must not be null");
      assertThatThrownBy(() -> b.watch(null, Stage.PROCESSED))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("upstream must not be null");
      assertThatThrownBy(() -> b.watch(Stage.SENT, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("downstream must not be null");
      assertThatThrownBy(() -> b.listener(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("listener must not be null");
      CompletenessMonitor monitor = b.build();
      assertThatThrownBy(() -> monitor.start(null, Duration.ofMinutes(1)))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("scheduler must not be null");
      ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
      try {
        assertThatThrownBy(() -> monitor.start(scheduler, null))
            .isInstanceOf(NullPointerException.class)
            .hasMessage("period must not be null");
        assertThatThrownBy(() -> monitor.start(scheduler, Duration.ZERO))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("period must be positive: PT0S");
      } finally {
        scheduler.shutdownNow();
      }
    }
  }

  @Test
  void webhook_listener_rejects_null_with_npe_naming_the_argument() {
    assertThatThrownBy(() -> WebhookDiscrepancyListener.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("url must not be null");
    WebhookDiscrepancyListener.Builder b = WebhookDiscrepancyListener.builder(URL);
    assertThatThrownBy(() -> b.connectTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connectTimeout must not be null");
    assertThatThrownBy(() -> b.requestTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("requestTimeout must not be null");
    assertThatThrownBy(() -> b.timeoutBudget(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("timeoutBudget must not be null");
    assertThatThrownBy(() -> b.initialBackoff(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("initialBackoff must not be null");
    assertThatThrownBy(() -> b.maxBackoff(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("maxBackoff must not be null");
    assertThatThrownBy(() -> b.build().onEvent(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("event must not be null");
  }

  @Test
  void webhook_listener_rejects_bad_values_naming_them() {
    WebhookDiscrepancyListener.Builder b = WebhookDiscrepancyListener.builder(URL);
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be positive: PT0S");
    assertThatThrownBy(() -> b.timeoutBudget(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeoutBudget must be positive: PT-0.001S");
    assertThatThrownBy(() -> b.maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be at least 1: 0");
    assertThatThrownBy(() -> b.rangesShown(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rangesShown must be at least 1: -3");
  }

  @Test
  void slf4j_listener_rejects_a_null_event_naming_it() {
    assertThatThrownBy(() -> new Slf4jDiscrepancyListener().onEvent(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("event must not be null");
  }
}
