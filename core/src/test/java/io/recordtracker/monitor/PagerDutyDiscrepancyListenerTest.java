package io.recordtracker.monitor;

import static io.recordtracker.Json.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.FlakyStore;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.RecordTrackerException;
import io.recordtracker.SettableClock;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PagerDuty Events API v2 listener and the digests, against a real HTTP server on 127.0.0.1
 * that records what it receives.
 */
class PagerDutyDiscrepancyListenerTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private static final String ROUTING_KEY = "R0ut1ngK3yOfTheCisService0123456";

  private final SettableClock clock = new SettableClock(T0);
  private final RecordTracker tracker =
      RecordTracker.builder()
          .store(new FlakyStore())
          .clock(clock)
          .flushInterval(Duration.ofHours(1))
          .build();
  private final RecordingWebhook server;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();

  PagerDutyDiscrepancyListenerTest() throws IOException {
    server = new RecordingWebhook();
  }

  @AfterEach
  void close() {
    tracker.close();
    server.close();
  }

  private URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.url().getPort() + "/v2/enqueue");
  }

  private PagerDutyDiscrepancyListener.Builder pagerDuty() {
    return PagerDutyDiscrepancyListener.builder(ROUTING_KEY)
        .endpoint(endpoint())
        .initialBackoff(Duration.ofMillis(200))
        .sleeper(waits::add);
  }

  /** {@code name}: 1,000 records sent, 900-999 never processed. */
  private BatchId lossy(String name) {
    BatchId id = BatchId.of(name);
    tracker.openBatch(id, 1_000, Map.of("file", name.toLowerCase() + ".edi"));
    tracker.markSent(id, RecordRange.of(0, 999));
    tracker.markProcessed(id, RecordRange.of(0, 899));
    tracker.flush();
    return id;
  }

  private void processRest(BatchId id) {
    tracker.markProcessed(id, RecordRange.of(900, 999));
    tracker.flush();
  }

  @Test
  void finding_triggers_and_its_resolution_resolves_with_the_same_dedup_key() {
    BatchId id = lossy("EDI-1");
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker).listener(pagerDuty().build()).build();
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    processRest(id);
    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();

    List<RecordingWebhook.Request> requests = server.requests();
    assertThat(requests).hasSize(2);
    assertThat(requests)
        .allSatisfy(
            r -> {
              assertThat(r.method()).isEqualTo("POST");
              assertThat(r.path()).isEqualTo("/v2/enqueue");
              assertThat(r.contentType()).isEqualTo("application/json; charset=utf-8");
            });
    Map<String, Object> trigger = server.messages().get(0);
    assertThat(trigger.get("routing_key")).isEqualTo(ROUTING_KEY);
    assertThat(trigger.get("event_action")).isEqualTo("trigger");
    assertThat(trigger.get("dedup_key")).isEqualTo("record-tracker/EDI-1/sent->processed");
    assertThat(trigger.get("client")).isEqualTo("record-tracker");
    assertThat(at(trigger, "payload", "summary"))
        .isEqualTo(
            "100 records missing in batch EDI-1 (edi-1.edi), sent → processed, overdue by 1m");
    assertThat(at(trigger, "payload", "source")).isEqualTo("record-tracker");
    assertThat(at(trigger, "payload", "severity")).isEqualTo("error");
    assertThat(at(trigger, "payload", "timestamp")).isEqualTo("2020-08-23T11:16:00Z");
    assertThat(at(trigger, "payload", "component")).isEqualTo("EDI-1");
    assertThat(at(trigger, "payload", "group")).isEqualTo("sent->processed");
    assertThat(at(trigger, "payload", "class")).isEqualTo("overdue");
    assertThat(at(trigger, "payload", "custom_details", "event")).isEqualTo("NEW");
    assertThat(at(trigger, "payload", "custom_details", "missing")).isEqualTo(100L);
    assertThat(at(trigger, "payload", "custom_details", "expected")).isEqualTo(1000L);
    assertThat(at(trigger, "payload", "custom_details", "firstMissingRanges")).isEqualTo("900-999");
    assertThat(at(trigger, "payload", "custom_details", "attributes", "file"))
        .isEqualTo("edi-1.edi");
    assertThat(server.messages().get(1))
        .isEqualTo(
            Map.of(
                "routing_key",
                ROUTING_KEY,
                "dedup_key",
                "record-tracker/EDI-1/sent->processed",
                "event_action",
                "resolve"));
  }

  @Test
  void a_retried_event_is_sent_byte_for_byte_again_so_pagerduty_folds_it_into_one_alert() {
    lossy("EDI-1");
    clock.advance(Duration.ofMinutes(16));
    Finding f = CompletenessMonitor.builder(tracker).listener(e -> {}).build().runOnce().get(0);
    server.thenRespond(503, Map.of(), "");
    server.thenRespond(429, Map.of("Retry-After", "1"), "");

    pagerDuty().build().onEvent(DiscrepancyEvent.newFinding(f, clock.instant()));

    List<RecordingWebhook.Request> requests = server.requests();
    assertThat(requests).hasSize(3);
    assertThat(requests.get(1).body()).isEqualTo(requests.get(0).body());
    assertThat(requests.get(2).body()).isEqualTo(requests.get(0).body());
    assertThat(waits).containsExactly(Duration.ofMillis(200), Duration.ofSeconds(1));
  }

  @Test
  void routing_key_appears_in_no_message_log_line_or_to_string_even_when_the_endpoint_echoes_it() {
    lossy("EDI-1");
    clock.advance(Duration.ofMinutes(16));
    Finding f = CompletenessMonitor.builder(tracker).listener(e -> {}).build().runOnce().get(0);
    // PagerDuty answers a bad event with 400; this endpoint quotes the request body in it.
    server.thenRespond(500, Map.of(), "{\"echo\":{body}}");
    server.thenRespond(400, Map.of(), "{\"status\":\"invalid event\",\"echo\":{body}}");
    PagerDutyDiscrepancyListener listener = pagerDuty().build();
    List<Throwable> thrown = new ArrayList<>();

    String log =
        Slf4jDiscrepancyListenerTest.captureStderr(
            () -> {
              try {
                listener.onEvent(DiscrepancyEvent.newFinding(f, clock.instant()));
              } catch (RecordTrackerException e) {
                thrown.add(e);
              }
            });

    assertThat(server.requests()).hasSize(2);
    assertThat(thrown).hasSize(1);
    String message = thrown.get(0).getMessage();
    assertThat(message)
        .startsWith("webhook http://127.0.0.1:" + server.url().getPort() + "/… rejected")
        .contains("HTTP 400 ({\"status\":\"invalid event\",\"echo\":{\"routing_key\":\"…\"")
        .doesNotContain(ROUTING_KEY);
    assertThat(log).contains("attempt 1 failed (HTTP 500").doesNotContain(ROUTING_KEY);
    assertThat(listener.toString())
        .isEqualTo(
            "PagerDutyDiscrepancyListener{http://127.0.0.1:" + server.url().getPort() + "/…}");
    assertThat(pagerDuty().toString()).doesNotContain(ROUTING_KEY);
    assertThatThrownBy(() -> PagerDutyDiscrepancyListener.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routingKey must not be blank");
    assertThatThrownBy(() -> PagerDutyDiscrepancyListener.builder(null))
        .hasMessage("routingKey must not be null");
    assertThatThrownBy(() -> pagerDuty().digestAbove(0))
        .hasMessage("digestAbove must be at least 1: 0");
  }

  @Test
  void default_endpoint_is_pagerduty_events_api_v2() {
    assertThat(PagerDutyDiscrepancyListener.DEFAULT_ENDPOINT)
        .isEqualTo(URI.create("https://events.pagerduty.com/v2/enqueue"));
    assertThat(PagerDutyDiscrepancyListener.builder(ROUTING_KEY).build())
        .hasToString("PagerDutyDiscrepancyListener{https://events.pagerduty.com/…}");
  }

  /** An outage: {@code n} batches overdue in the same round. */
  private List<BatchId> outage(int n) {
    List<BatchId> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(lossy(String.format("OUT-%03d", i)));
    }
    return ids;
  }

  @Test
  void an_outage_pages_once_with_a_digest_and_resolves_each_alert() {
    List<BatchId> ids = outage(25);
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker).listener(pagerDuty().digestAbove(20).build()).build();
    clock.advance(Duration.ofMinutes(16));

    assertThat(monitor.runOnce()).hasSize(25);

    assertThat(server.requests()).hasSize(1);
    Map<String, Object> digest = server.messages().get(0);
    assertThat(digest.get("event_action")).isEqualTo("trigger");
    assertThat(digest.get("dedup_key")).isEqualTo("record-tracker/digest/2020-08-23T11:16:00Z");
    assertThat(at(digest, "payload", "summary"))
        .isEqualTo("record-tracker: 25 findings this round: 25 new");
    assertThat(at(digest, "payload", "custom_details", "findings")).isEqualTo(25L);
    List<?> lines = (List<?>) at(digest, "payload", "custom_details", "events");
    assertThat(lines).hasSize(25);
    assertThat(lines.stream().map(Object::toString))
        .contains("NEW overdue OUT-007 sent → processed: 100 missing of 1000");
    assertThat(at(digest, "payload", "custom_details", "notListed")).isEqualTo(0L);

    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();
    assertThat(server.requests()).hasSize(1); // nothing changed: nothing sent

    ids.forEach(this::processRest);
    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();
    assertThat(server.requests()).hasSize(26);
    assertThat(server.messages().subList(1, 26))
        .extracting(m -> m.get("event_action"))
        .containsOnly("resolve");
    assertThat(server.messages().subList(1, 26))
        .extracting(m -> m.get("dedup_key"))
        .doesNotHaveDuplicates()
        .contains("record-tracker/OUT-007/sent->processed");
  }

  @Test
  void a_round_at_the_digest_threshold_still_sends_one_event_each() {
    outage(3);
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker).listener(pagerDuty().digestAbove(3).build()).build();
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();

    assertThat(server.messages())
        .extracting(m -> m.get("dedup_key"))
        .containsExactly(
            "record-tracker/OUT-002/sent->processed",
            "record-tracker/OUT-001/sent->processed",
            "record-tracker/OUT-000/sent->processed");
  }

  @Test
  void slack_webhook_posts_one_digest_message_for_an_outage_and_one_for_its_resolution() {
    List<BatchId> ids = outage(25);
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker)
            .listener(WebhookDiscrepancyListener.builder(server.url()).digestAbove(20).build())
            .build();
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    ids.forEach(this::processRest);
    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();

    List<Map<String, Object>> messages = server.messages();
    assertThat(messages).hasSize(2);
    assertThat(messages.get(0).get("text"))
        .isEqualTo(":rotating_light: record-tracker: 25 findings this round: 25 new");
    assertThat(at(messages.get(0), "blocks", 0, "text", "text"))
        .isEqualTo("25 findings this round: 25 new");
    String list = (String) at(messages.get(0), "blocks", 1, "text", "text");
    assertThat(list.lines().toList()).hasSize(25);
    assertThat(list.lines().toList().get(0))
        .isEqualTo("• NEW overdue OUT-024 sent → processed: 100 missing of 1000");
    assertThat(messages.get(1).get("text"))
        .isEqualTo(":rotating_light: record-tracker: 25 findings this round: 25 resolved");
  }

  @Test
  void a_webhook_failing_midway_through_a_round_gets_only_the_events_it_did_not_take_again() {
    outage(3);
    server.thenRespond(200, Map.of(), "ok");
    server.thenRespond(404, Map.of(), "no_service"); // fails at once, no retry
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker)
            .listener(WebhookDiscrepancyListener.builder(server.url()).build())
            .build();
    clock.advance(Duration.ofMinutes(16));
    monitor.runOnce();
    clock.advance(Duration.ofMinutes(1));
    monitor.runOnce();

    assertThat(server.messages())
        .extracting(m -> at(m, "blocks", 0, "text", "text"))
        .containsExactly(
            "Missing records: batch OUT-002",
            "Missing records: batch OUT-001",
            "Missing records: batch OUT-001",
            "Missing records: batch OUT-000");
  }
}
