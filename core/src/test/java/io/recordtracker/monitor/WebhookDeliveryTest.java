package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.RecordTrackerException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
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

    assertGivesUp(delivery, "2 attempts", "HTTP 500 (error at /…)");
    assertThat(delivery.endpoint()).startsWith("http://127.0.0.1:").endsWith("/…");
    assertThat(delivery.toString()).isEqualTo("WebhookDelivery{" + delivery.endpoint() + "}");
  }

  @Test
  void failure_counts_the_attempts_made_when_the_budget_ends_them_before_max_attempts() {
    server.thenRespond(500, Map.of(), "");
    WebhookDelivery delivery =
        delivery()
            .maxAttempts(4)
            .initialBackoff(Duration.ofSeconds(60))
            .maxBackoff(Duration.ofSeconds(60))
            .timeoutBudget(Duration.ofSeconds(30))
            .build();

    assertGivesUp(delivery, "1 attempt", "HTTP 500; next wait of 60000 ms exceeds the budget");
    assertThat(server.requests()).hasSize(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void refused_connection_is_said_in_words_with_the_attempts_made() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    WebhookDelivery delivery =
        WebhookDelivery.builder(URI.create("http://127.0.0.1:" + closedPort + "/hook/s3cret"))
            .maxAttempts(2)
            .sleeper(waits::add)
            .build();

    assertThat(delivery.endpoint()).isEqualTo("http://127.0.0.1:" + closedPort + "/…");
    assertGivesUp(
        delivery, "2 attempts", "the connection was refused (is the URL's host and port right?)");
    assertThat(waits).containsExactly(Duration.ofMillis(500));
  }

  /**
   * Asserts that posting fails naming the endpoint, what was posted, {@code attempts} ("2
   * attempts"), any time taken, and {@code lastFailure}.
   */
  private static void assertGivesUp(WebhookDelivery delivery, String attempts, String lastFailure) {
    assertThatThrownBy(
            () -> delivery.post(BODY.getBytes(StandardCharsets.UTF_8), "trigger of batch B-1"))
        .isInstanceOf(RecordTrackerException.class)
        .hasMessageMatching(
            Pattern.quote(
                    "webhook "
                        + delivery.endpoint()
                        + " did not take trigger of batch B-1; gave up after "
                        + attempts)
                + WebhookDiscrepancyListenerTest.TOOK
                + Pattern.quote(". Last failure: " + lastFailure));
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
