package io.recordtracker.monitor;

import static io.recordtracker.Json.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.recordtracker.BatchId;
import io.recordtracker.FlakyStore;
import io.recordtracker.Json;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.RecordTrackerException;
import io.recordtracker.SettableClock;
import io.recordtracker.TestTrackers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The webhook listener against a real HTTP server on 127.0.0.1 that records what it receives. */
class WebhookDiscrepancyListenerTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private static final String SECRET = "s3cr3tT0k3nXYZ";

  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker =
      RecordTracker.builder().clock(clock).flushInterval(Duration.ofHours(1)).build();

  /** How long the attempts took, as a failure says it: never asserted, it is a duration. */
  static final String TOOK = " in \\d+\\.\\d s";

  private final RecordingWebhook server;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();

  WebhookDiscrepancyListenerTest() throws IOException {
    server = new RecordingWebhook();
  }

  @AfterEach
  void close() {
    tracker.close();
    server.close();
  }

  private WebhookDiscrepancyListener.Builder webhook(URI url) {
    return WebhookDiscrepancyListener.builder(url)
        .initialBackoff(Duration.ofMillis(200))
        .maxBackoff(Duration.ofSeconds(10))
        .sleeper(waits::add);
  }

  /** The postmortem: 486,000 records sent; two runs never processed while a patch ran. */
  private BatchId lostDuringPatch() {
    BatchId id = BatchId.of("EDI-20200823-0001");
    tracker.openBatch(id, 486_000, Map.of("file", "customers-20200823.edi", "customer", "AES CIS"));
    tracker.markSent(id, RecordRange.of(0, 485_999));
    tracker.markProcessed(id, RecordRange.of(0, 299_999));
    tracker.markProcessed(id, RecordRange.of(300_100, 399_999));
    tracker.markProcessed(id, RecordRange.of(420_000, 485_999));
    tracker.flush();
    return id;
  }

  @Test
  void missing_records_alert_names_the_exact_ranges_and_resend_posts_resolution() {
    BatchId id = lostDuringPatch();
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker).listener(webhook(server.url()).build()).build();
    clock.advance(Duration.ofMinutes(14));
    monitor.runOnce();
    assertThat(server.requests()).isEmpty(); // within grace

    clock.advance(Duration.ofMinutes(3)); // one round after the grace
    monitor.runOnce();

    assertThat(server.requests()).hasSize(1);
    RecordingWebhook.Request post = server.requests().get(0);
    assertThat(post.method()).isEqualTo("POST");
    assertThat(post.path()).isEqualTo(RecordingWebhook.SECRET_PATH);
    assertThat(post.contentType()).isEqualTo("application/json; charset=utf-8");
    Map<String, Object> alert = server.messages().get(0);
    assertThat(alert.keySet()).containsExactly("text", "blocks");
    assertThat(alert.get("text"))
        .isEqualTo(
            ":warning: 20100 records missing in batch EDI-20200823-0001"
                + " (customers-20200823.edi), sent → processed, overdue by 2m."
                + " First missing ranges: 300000-300099, 400000-419999");
    assertThat(at(alert, "blocks", 0))
        .isEqualTo(
            Map.of(
                "type",
                "header",
                "text",
                Map.of("type", "plain_text", "text", "Missing records: batch EDI-20200823-0001")));
    List<Map<String, Object>> fields = Json.listAt(alert, "blocks", 1, "fields");
    assertThat(at(alert, "blocks", 1, "type")).isEqualTo("section");
    assertThat(fields).allSatisfy(f -> assertThat(f.get("type")).isEqualTo("mrkdwn"));
    assertThat(fields)
        .extracting(f -> f.get("text"))
        .containsExactly(
            "*Batch*\nEDI-20200823-0001",
            "*Stages*\nsent → processed",
            "*Missing*\n20100 of 486000",
            "*Overdue by*\n2m",
            "*file*\ncustomers-20200823.edi",
            "*customer*\nAES CIS");
    assertThat(at(alert, "blocks", 2))
        .isEqualTo(
            Map.of(
                "type",
                "section",
                "text",
                Map.of(
                    "type",
                    "mrkdwn",
                    "text",
                    "*First missing ranges*\n```300000-300099, 400000-419999```")));
    assertThat(at(alert, "blocks", 3, "type")).isEqualTo("context");
    assertThat(at(alert, "blocks", 3, "elements", 0, "text"))
        .isEqualTo("record-tracker · NEW · 2020-08-23T11:17:00Z");
    assertThat(Json.listAt(alert, "blocks")).hasSize(4);

    // The sender resends exactly the reported ranges; CIS processes them.
    tracker.markSent(id, RecordRange.of(300_000, 300_099));
    tracker.markSent(id, RecordRange.of(400_000, 419_999));
    tracker.markProcessed(id, RecordRange.of(300_000, 300_099));
    tracker.markProcessed(id, RecordRange.of(400_000, 419_999));
    tracker.flush();
    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();

    assertThat(server.requests()).hasSize(2);
    Map<String, Object> resolved = server.messages().get(1);
    assertThat(resolved.get("text"))
        .isEqualTo(
            ":white_check_mark: Resolved: batch EDI-20200823-0001 (customers-20200823.edi)"
                + " sent → processed is complete (20100 missing and 0 never sent when last"
                + " reported)");
    assertThat(at(resolved, "blocks", 0, "text", "text"))
        .isEqualTo("Resolved: batch EDI-20200823-0001");
    assertThat(Json.listAt(resolved, "blocks")).hasSize(3); // no ranges left to list
    assertThat(at(resolved, "blocks", 2, "elements", 0, "text"))
        .isEqualTo("record-tracker · RESOLVED · 2020-08-23T11:18:00Z");
    assertThat(at(resolved, "blocks", 1, "fields", 3, "text")).isEqualTo("*Was overdue by*\n3m");

    clock.advance(Duration.ofHours(5));
    monitor.runOnce();
    assertThat(server.requests()).hasSize(2);
  }

  private DiscrepancyEvent overdueEvent() {
    lostDuringPatch();
    clock.advance(Duration.ofMinutes(20));
    // A listener of its own name: what it is told is not what a test's monitor tells its listener.
    return new DiscrepancyEvent(
        DiscrepancyEvent.Kind.NEW,
        CompletenessMonitor.builder(tracker).listener("finder", e -> {}).build().runOnce().get(0),
        clock.instant());
  }

  @Test
  void server_error_is_retried_with_backoff_until_it_succeeds() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(500, Map.of(), "internal error");
    server.thenRespond(502, Map.of(), "");

    webhook(server.url()).build().onEvent(event);

    assertThat(server.requests()).hasSize(3);
    assertThat(server.requests().get(2).body()).isEqualTo(server.requests().get(0).body());
    assertThat(waits).containsExactly(Duration.ofMillis(200), Duration.ofMillis(400));
  }

  @Test
  void too_many_requests_waits_as_retry_after_says_capped_at_max_backoff() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(429, Map.of("Retry-After", "7"), "rate limited");
    server.thenRespond(429, Map.of("Retry-After", "3600"), "rate limited");

    webhook(server.url()).build().onEvent(event);

    assertThat(server.requests()).hasSize(3);
    assertThat(waits).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(10));
  }

  @Test
  void client_error_fails_at_once_without_retry_and_without_the_secret() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(404, Map.of(), "no_service");
    WebhookDiscrepancyListener listener = webhook(server.url()).build();

    assertThatThrownBy(() -> listener.onEvent(event))
        .isInstanceOf(RecordTrackerException.class)
        .hasMessage(
            "webhook http://127.0.0.1:"
                + server.url().getPort()
                + "/… rejected the message: HTTP 404 (no_service); not retried");
    assertThat(server.requests()).hasSize(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void persistent_server_error_gives_up_after_max_attempts() {
    DiscrepancyEvent event = overdueEvent();
    for (int i = 0; i < 3; i++) {
      server.thenRespond(503, Map.of(), "");
    }
    WebhookDiscrepancyListener listener = webhook(server.url()).maxAttempts(3).build();

    assertThatThrownBy(() -> listener.onEvent(event))
        .isInstanceOf(RecordTrackerException.class)
        .hasMessageContaining("; gave up after 3 attempts in ")
        .hasMessageEndingWith(": HTTP 503")
        .message()
        .doesNotContain(SECRET);
    assertThat(server.requests()).hasSize(3);
  }

  @Test
  void endpoint_that_never_answers_does_not_hold_the_monitor_beyond_the_budget() throws Exception {
    lostDuringPatch();
    List<Socket> held = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(silent.accept()); // accept, read nothing, answer nothing
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      URI url = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/hooks/" + SECRET);
      WebhookDiscrepancyListener dead =
          WebhookDiscrepancyListener.builder(url)
              .requestTimeout(Duration.ofMillis(300))
              .timeoutBudget(Duration.ofSeconds(1))
              .initialBackoff(Duration.ofMillis(50))
              .maxAttempts(100)
              .build();
      List<DiscrepancyEvent> logged = new CopyOnWriteArrayList<>();
      CompletenessMonitor monitor =
          CompletenessMonitor.builder(tracker).listener(dead).listener(logged::add).build();
      clock.advance(Duration.ofMinutes(16));

      PrintStream err = System.err;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      List<Finding> findings;
      try {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        // A bound for a hung test, not a performance assertion: the budget is one second.
        findings = assertTimeoutPreemptively(Duration.ofSeconds(20), monitor::runOnce);
      } finally {
        System.setErr(err);
      }

      assertThat(findings).hasSize(1);
      assertThat(logged)
          .extracting(DiscrepancyEvent::kind)
          .containsExactly(DiscrepancyEvent.Kind.NEW);
      String log = captured.toString(StandardCharsets.UTF_8);
      assertThat(log)
          .contains("Listener WebhookDiscrepancyListener{http://127.0.0.1:" + silent.getLocalPort())
          .contains("did not take NEW of batch EDI-20200823-0001")
          .doesNotContain(SECRET);
      assertThat(dead.toString())
          .isEqualTo(
              "WebhookDiscrepancyListener{http://127.0.0.1:" + silent.getLocalPort() + "/…}");
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  /** The query's secret, percent-encoded as it is in the URL; decoded it reads "qu3ryS3cr3t/ab". */
  private static final String QUERY_SECRET = "qu3ryS3cr3t%2Fab";

  /** Every piece of the URL that must not show: the token, the ids, the query value. */
  private static final List<String> SECRETS =
      List.of(SECRET, "T0ACME", "B0OPS", "qu3ryS3cr3t", RecordingWebhook.SECRET_PATH);

  private URI secretUrl() {
    return URI.create(server.url() + "?token=" + QUERY_SECRET);
  }

  private String host() {
    return "http://127.0.0.1:" + server.url().getPort() + "/…";
  }

  /** Every text a failure leaves: log lines, the exception's message, causes, stack trace. */
  private static String everything(String log, Throwable thrown, Object listener) {
    StringBuilder all = new StringBuilder(log).append('\n').append(listener);
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      all.append('\n').append(t.getMessage()).append('\n').append(t);
    }
    if (thrown != null) {
      java.io.StringWriter trace = new java.io.StringWriter();
      thrown.printStackTrace(new java.io.PrintWriter(trace));
      all.append('\n').append(trace);
    }
    return all.toString();
  }

  private static void assertNoSecret(String text) {
    for (String secret : SECRETS) {
      assertThat(text).doesNotContainIgnoringCase(secret);
    }
  }

  /** What a failing action threw and what it logged meanwhile. */
  private record Failure(RuntimeException thrown, String log) {
    /** Every text the failure leaves, with the listener's own {@code toString()}. */
    String everything(Object listener) {
      return WebhookDiscrepancyListenerTest.everything(log, thrown, listener);
    }
  }

  private static Failure failing(Runnable action) {
    RuntimeException[] thrown = new RuntimeException[1];
    String log =
        Slf4jDiscrepancyListenerTest.captureStderr(
            () -> {
              try {
                action.run();
              } catch (RuntimeException e) {
                thrown[0] = e;
              }
            });
    if (thrown[0] == null) {
      throw new AssertionError("nothing thrown");
    }
    return new Failure(thrown[0], log);
  }

  @Test
  void spring_server_error_echoing_the_url_is_reported_with_host_and_status_but_no_secret() {
    DiscrepancyEvent event = overdueEvent();
    String spring =
        "{\"timestamp\":\"2020-08-23T11:20:00.000+00:00\",\"status\":500,"
            + "\"error\":\"Internal Server Error\",\"message\":\"No handler for POST"
            + " {path}?{query}\",\"path\":\"{path}\"}";
    for (int i = 0; i < 4; i++) {
      server.thenRespond(500, Map.of(), spring);
    }
    WebhookDiscrepancyListener listener = webhook(secretUrl()).maxAttempts(2).build();

    Failure failure = failing(() -> listener.onEvent(event));

    String redactedSpring =
        "{\"timestamp\":\"2020-08-23T11:20:00.000+00:00\",\"status\":500,"
            + "\"error\":\"Internal Server Error\",\"message\":\"No handler for POST /…?…\","
            + "\"path\":\"/…\"}";
    assertThat(failure.thrown())
        .isInstanceOf(RecordTrackerException.class)
        .hasMessageMatching(
            Pattern.quote(
                    "webhook "
                        + host()
                        + " did not take NEW of batch EDI-20200823-0001; gave up after 2 attempts")
                + TOOK
                + Pattern.quote(". Last failure: HTTP 500 (" + redactedSpring + ")"))
        .hasNoCause();
    assertThat(failure.log())
        .contains(
            "DEBUG io.recordtracker.monitor.WebhookDiscrepancyListener - Webhook "
                + host()
                + " attempt 1 failed (HTTP 500 ("
                + redactedSpring
                + ")); retrying in PT0.2S");
    assertNoSecret(failure.everything(listener));
    assertThat(server.requests()).hasSize(2);
    assertThat(server.requests().get(0).path()).isEqualTo(RecordingWebhook.SECRET_PATH);

    // The monitor's WARN line quotes the listener and its exception.
    CompletenessMonitor monitor = CompletenessMonitor.builder(tracker).listener(listener).build();
    String warn = Slf4jDiscrepancyListenerTest.captureStderr(monitor::runOnce);
    assertThat(warn)
        .contains(
            "WARN io.recordtracker.monitor.CompletenessMonitor - Listener"
                + " WebhookDiscrepancyListener{"
                + host()
                + "} failed on NEW of batch EDI-20200823-0001")
        .containsPattern(
            Pattern.quote("; gave up after 2 attempts")
                + TOOK
                + Pattern.quote(". Last failure: HTTP 500 (" + redactedSpring + ")"));
    assertNoSecret(warn);
  }

  @Test
  void not_found_page_echoing_path_query_and_headers_fails_at_once_without_the_secret() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(
        404,
        Map.of("Content-Type", "text/html"),
        "<html><body><h1>404 Not Found</h1><p>No webhook at {PATH} for token {decodedQuery}"
            + " ({query})</p><pre>{headers}</pre></body></html>");
    WebhookDiscrepancyListener listener = webhook(secretUrl()).build();

    Failure failure = failing(() -> listener.onEvent(event));

    assertThat(failure.thrown())
        .isInstanceOf(RecordTrackerException.class)
        .hasMessageStartingWith(
            "webhook "
                + host()
                + " rejected the message: HTTP 404 (<html><body><h1>404 Not Found</h1><p>No"
                + " webhook at /… for token … (…)</p><pre>{")
        .hasMessageEndingWith("; not retried")
        .hasNoCause();
    assertNoSecret(failure.everything(listener));
    assertThat(server.requests()).hasSize(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void rate_limit_echoing_the_url_waits_as_retry_after_says_and_logs_no_secret() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(
        429,
        Map.of("Retry-After", "1"),
        "{\"ok\":false,\"error\":\"rate_limited\",\"url\":\"{jsonPath}?{decodedQuery}\"}");
    WebhookDiscrepancyListener listener = webhook(secretUrl()).build();

    String log = Slf4jDiscrepancyListenerTest.captureStderr(() -> listener.onEvent(event));

    assertThat(waits).containsExactly(Duration.ofSeconds(1));
    assertThat(server.requests()).hasSize(2);
    assertThat(log)
        .contains(
            "DEBUG io.recordtracker.monitor.WebhookDiscrepancyListener - Webhook "
                + host()
                + " attempt 1 failed (HTTP 429 ({\"ok\":false,\"error\":\"rate_limited\","
                + "\"url\":\"…?…\"})); retrying in PT1S")
        .contains(
            "INFO io.recordtracker.monitor.WebhookDiscrepancyListener - Webhook "
                + host()
                + " took NEW of batch EDI-20200823-0001 on attempt 2");
    assertNoSecret(everything(log, null, listener));
  }

  @Test
  void redirect_whose_location_echoes_the_secret_names_only_the_new_host() {
    DiscrepancyEvent event = overdueEvent();
    server.thenRespond(
        301,
        Map.of("Location", "https://hooks.example.org{path}?{query}"),
        "Moved Permanently: https://hooks.example.org{path}?{query}");
    WebhookDiscrepancyListener listener = webhook(secretUrl()).build();

    Failure failure = failing(() -> listener.onEvent(event));

    assertThat(failure.thrown())
        .isInstanceOf(RecordTrackerException.class)
        .hasMessage(
            "webhook "
                + host()
                + " rejected the message: HTTP 301 to https://hooks.example.org/… (Moved"
                + " Permanently: https://hooks.example.org/…?…); not retried")
        .hasNoCause();
    assertNoSecret(failure.everything(listener));
    assertThat(server.requests()).hasSize(1);
  }

  @Test
  void refused_connection_is_chained_as_a_redacted_copy_of_the_jdk_exception() throws IOException {
    DiscrepancyEvent event = overdueEvent();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    URI url =
        URI.create(
            "http://127.0.0.1:"
                + closedPort
                + RecordingWebhook.SECRET_PATH
                + "?token="
                + QUERY_SECRET);
    WebhookDiscrepancyListener listener = webhook(url).maxAttempts(2).build();

    Failure failure = failing(() -> listener.onEvent(event));

    assertThat(failure.thrown())
        .isInstanceOf(RecordTrackerException.class)
        .hasMessageStartingWith(
            "webhook http://127.0.0.1:"
                + closedPort
                + "/… did not take NEW of batch EDI-20200823-0001; gave up after 2 attempts in ")
        .hasMessageEndingWith(
            " s. Last failure: the connection was refused (is the URL's host and port right?)")
        .cause()
        .isInstanceOf(WebhookRedactor.Redacted.class)
        .hasMessageStartingWith("java.net.ConnectException");
    assertThat(failure.thrown().getCause().getStackTrace()).isNotEmpty();
    assertNoSecret(failure.everything(listener));
  }

  @Test
  void stalled_batch_message_says_nothing_was_sent() {
    tracker.openBatch(BatchId.of("B-STALL"), 1_000, Map.of("file", "a<b>&c.edi"));
    clock.advance(Duration.ofMinutes(61));
    CompletenessMonitor.builder(tracker).listener(webhook(server.url()).build()).build().runOnce();

    Map<String, Object> msg = server.messages().get(0);
    assertThat(msg.get("text"))
        .isEqualTo(
            ":warning: Batch B-STALL (a&lt;b&gt;&amp;c.edi) stalled: nothing sent of 1000 expected"
                + " records, overdue by 1m");
    assertThat(at(msg, "blocks", 2, "text", "text"))
        .isEqualTo("*First ranges never sent*\n```0-999```");
  }

  @Test
  void unreadable_batch_message_says_why_and_its_resolution_says_it_is_readable() {
    FlakyStore store = new FlakyStore();
    try (RecordTracker t = TestTrackers.flushingOnRequest(store, clock)) {
      BatchId id = BatchId.of("B-BAD");
      t.openBatch(id, 100, Map.of("file", "corrupt.edi"));
      t.markSent(id, RecordRange.of(0, 99));
      t.flush();
      store.unreadable.add(id);
      CompletenessMonitor monitor =
          CompletenessMonitor.builder(t).listener(webhook(server.url()).build()).build();
      clock.advance(Duration.ofMinutes(20));
      monitor.runOnce();
      store.unreadable.clear();
      t.markProcessed(id, RecordRange.of(0, 99));
      t.flush();
      monitor.runOnce();

      assertThat(server.messages()).hasSize(2);
      Map<String, Object> alert = server.messages().get(0);
      assertThat(alert.get("text"))
          .isEqualTo(
              ":x: Batch B-BAD (corrupt.edi) sent → processed cannot be read, so whether records"
                  + " are missing is unknown: stored marks of batch B-BAD, stage sent are corrupt"
                  + " (simulated)");
      assertThat(at(alert, "blocks", 0, "text", "text")).isEqualTo("Unreadable: batch B-BAD");
      assertThat(at(alert, "blocks", 1, "fields", 2, "text"))
          .isEqualTo("*Missing*\nunknown: the marks cannot be read");
      assertThat(at(alert, "blocks", 2, "text", "text"))
          .isEqualTo(
              "*Why it cannot be read*\n```stored marks of batch B-BAD, stage sent are corrupt"
                  + " (simulated)```");
      Map<String, Object> resolved = server.messages().get(1);
      assertThat(resolved.get("text"))
          .isEqualTo(
              ":white_check_mark: Resolved: batch B-BAD (corrupt.edi) sent → processed is no"
                  + " longer unreadable (it can be read again, or was purged)");
      assertThat(at(resolved, "blocks", 0, "text", "text"))
          .isEqualTo("Resolved: batch B-BAD is readable");
    }
  }

  @Test
  void url_without_http_scheme_is_rejected_without_echoing_it() {
    assertThatThrownBy(
            () -> WebhookDiscrepancyListener.builder(URI.create("ftp://example.org/" + SECRET)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "webhook url must be an absolute http or https URL with a host, got one with scheme"
                + " ftp and host example.org");
    assertThatThrownBy(() -> webhook(server.url()).maxAttempts(0))
        .hasMessage("maxAttempts must be at least 1: 0");
    assertThatThrownBy(() -> webhook(server.url()).requestTimeout(Duration.ofSeconds(-2)))
        .hasMessage("requestTimeout must be positive: PT-2S");
  }
}
