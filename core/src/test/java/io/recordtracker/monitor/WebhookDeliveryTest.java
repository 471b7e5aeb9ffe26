package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.RecordTrackerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The delivery on its own, as another listener (PagerDuty's Events API, a digest) would use it: any
 * JSON body, named by the caller in what it logs and throws.
 */
class WebhookDeliveryTest {

  private static final String BODY = "{\"event_action\":\"trigger\",\"dedup_key\":\"B-1\"}";

  private final RecordingWebhook server;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();

  WebhookDeliveryTest() throws IOException {
    server = new RecordingWebhook();
  }

  @AfterEach
  void close() {
    server.close();
  }

  private WebhookDelivery.Builder delivery() {
    return WebhookDelivery.builder(server.url())
        .initialBackoff(Duration.ofMillis(100))
        .sleeper(waits::add);
  }

  @Test
  void posts_any_json_body_and_retries_a_server_error() {
    server.thenRespond(503, Map.of("Retry-After", "2"), "");
    server.thenRespond(500, Map.of(), "");

    delivery().build().post(BODY.getBytes(StandardCharsets.UTF_8), "trigger of batch B-1");

    assertThat(server.requests())
        .extracting(RecordingWebhook.Request::body)
        .containsExactly(BODY, BODY, BODY);
    assertThat(server.requests())
        .extracting(RecordingWebhook.Request::contentType)
        .containsOnly("application/json; charset=utf-8");
    assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofMillis(200));
  }

  @Test
  void failure_names_what_the_caller_posted_and_the_endpoint_without_its_secret() {
    for (int i = 0; i < 2; i++) {
      server.thenRespond(500, Map.of(), "error at {path}");
    }
    WebhookDelivery delivery =
        delivery()
            .maxAttempts(2)
            .logger(LoggerFactory.getLogger("io.recordtracker.monitor.PagerDuty"))
            .build();

    assertThatThrownBy(
            () -> delivery.post(BODY.getBytes(StandardCharsets.UTF_8), "trigger of batch B-1"))
        .isInstanceOf(RecordTrackerException.class)
        .hasMessage(
            "webhook "
                + delivery.endpoint()
                + " did not take trigger of batch B-1 within 2 attempts and 30000 ms:"
                + " HTTP 500 (error at /…)");
    assertThat(delivery.endpoint()).startsWith("http://127.0.0.1:").endsWith("/…");
    assertThat(delivery.toString()).isEqualTo("WebhookDelivery{" + delivery.endpoint() + "}");
  }

  @Test
  void builder_rejects_null_sleeper_and_logger_naming_them() {
    assertThatThrownBy(() -> delivery().sleeper(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("sleeper must not be null");
    assertThatThrownBy(() -> delivery().logger(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("log must not be null");
  }
}
