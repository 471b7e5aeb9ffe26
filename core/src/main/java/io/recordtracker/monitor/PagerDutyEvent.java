package io.recordtracker.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.Reconciliation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Formats events as PagerDuty Events API v2 JSON: a {@code trigger} with a payload, a {@code
 * resolve}, or one digest {@code trigger} listing a round's triggers. Immutable.
 */
final class PagerDutyEvent {

  /** PagerDuty's limits: a dedup key of 255 characters, a summary of 1024. */
  private static final int MAX_DEDUP_KEY = 255;

  private static final int MAX_SUMMARY = 1_024;
  private static final int DIGEST_LINES = 100;
  private static final JsonFactory JSON = new JsonFactory();

  private final String routingKey;
  private final String source;
  private final int rangesShown;

  PagerDutyEvent(String routingKey, String source, int rangesShown) {
    this.routingKey = routingKey;
    this.source = source;
    this.rangesShown = rangesShown;
  }

  /**
   * The dedup key of {@code finding}: record-tracker, its batch, its stage pair and whether it is
   * about the marks or their being unreadable; hashed (SHA-256) when longer than PagerDuty takes.
   */
  static String dedupKey(Finding finding) {
    String key =
        "record-tracker/"
            + finding.batchId()
            + "/"
            + finding.upstream()
            + "->"
            + finding.downstream()
            + (finding.kind() == Finding.Kind.UNREADABLE ? "/unreadable" : "");
    if (key.length() <= MAX_DEDUP_KEY) {
      return key;
    }
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "record-tracker/sha256/" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The event for {@code event}: a resolve for {@code RESOLVED}, else a trigger. */
  byte[] render(DiscrepancyEvent event) {
    return write(
        g -> {
          g.writeStringField("routing_key", routingKey);
          g.writeStringField("dedup_key", dedupKey(event.finding()));
          if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
            g.writeStringField("event_action", "resolve");
            return;
          }
          g.writeStringField("event_action", "trigger");
          g.writeStringField("client", "record-tracker");
          writePayload(g, event);
        });
  }

  /** One trigger for a round's {@code triggers}, listing them in its details. */
  byte[] renderDigest(List<DiscrepancyEvent> triggers) {
    String at = triggers.get(0).at().toString();
    return write(
        g -> {
          g.writeStringField("routing_key", routingKey);
          g.writeStringField("dedup_key", "record-tracker/digest/" + at);
          g.writeStringField("event_action", "trigger");
          g.writeStringField("client", "record-tracker");
          g.writeObjectFieldStart("payload");
          g.writeStringField(
              "summary", abbreviate("record-tracker: " + DigestText.headline(triggers)));
          g.writeStringField("source", source);
          g.writeStringField("severity", "error");
          g.writeStringField("timestamp", at);
          g.writeStringField("class", "digest");
          g.writeObjectFieldStart("custom_details");
          g.writeNumberField("findings", triggers.size());
          g.writeArrayFieldStart("events");
          int shown = Math.min(DIGEST_LINES, triggers.size());
          for (int i = 0; i < shown; i++) {
            g.writeString(DigestText.line(triggers.get(i)));
          }
          g.writeEndArray();
          g.writeNumberField("notListed", triggers.size() - shown);
          g.writeEndObject();
          g.writeEndObject();
        });
  }

  private void writePayload(JsonGenerator g, DiscrepancyEvent event) throws IOException {
    Finding f = event.finding();
    Reconciliation r = f.reconciliation();
    g.writeObjectFieldStart("payload");
    g.writeStringField("summary", abbreviate(summary(event)));
    g.writeStringField("source", source);
    g.writeStringField("severity", f.kind() == Finding.Kind.PAST_DEADLINE ? "warning" : "error");
    g.writeStringField("timestamp", event.at().toString());
    g.writeStringField("component", f.batchId().value());
    g.writeStringField("group", f.upstream() + "->" + f.downstream());
    g.writeStringField("class", f.kind().name().toLowerCase(Locale.ROOT));
    g.writeObjectFieldStart("custom_details");
    g.writeStringField("event", event.kind().name());
    g.writeStringField("batch", f.batchId().value());
    g.writeStringField("upstream", f.upstream().name());
    g.writeStringField("downstream", f.downstream().name());
    g.writeStringField("overdueSince", f.overdueSince().toString());
    if (f.kind() == Finding.Kind.UNREADABLE) {
      g.writeStringField("cause", f.cause().orElse("unknown cause"));
    } else {
      g.writeNumberField("missing", r.missingCount());
      g.writeNumberField("absentUpstream", r.absentUpstreamCount());
      g.writeNumberField("unexpected", r.unexpectedCount());
      g.writeStringField("firstMissingRanges", AlertText.firstRanges(r.missing(), rangesShown));
      g.writeStringField(
          "firstAbsentUpstreamRanges", AlertText.firstRanges(r.absentUpstream(), rangesShown));
    }
    if (r.isSealed()) {
      g.writeNumberField("expected", r.expectedRecords());
    }
    g.writeObjectFieldStart("attributes");
    for (Map.Entry<String, String> a : f.batch().attributes().entrySet()) {
      g.writeStringField(a.getKey(), a.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
    g.writeEndObject();
  }

  /** The one line PagerDuty shows: what is wrong with which batch. */
  static String summary(DiscrepancyEvent event) {
    Finding f = event.finding();
    Reconciliation r = f.reconciliation();
    String file = f.batch().attributes().get("file");
    String named = f.batchId() + (file == null ? "" : " (" + file + ")");
    String stages = f.upstream() + " → " + f.downstream();
    String by = AlertText.duration(f.overdueFor(event.at()));
    switch (f.kind()) {
      case UNREADABLE:
        return "Batch "
            + named
            + " "
            + stages
            + " cannot be read, so whether records are missing is unknown: "
            + f.cause().orElse("unknown cause");
      case STALLED:
        return "Batch "
            + named
            + (r.isSealed()
                ? " stalled: nothing " + f.upstream() + " of " + r.expectedRecords() + " expected"
                : " stalled: unsealed, and nothing of it marked for the deadline")
            + ", overdue by "
            + by;
      case PAST_DEADLINE:
        return r.missingCount()
            + " records still missing in batch "
            + named
            + ", "
            + stages
            + ", still being processed but past its deadline by "
            + by;
      default:
        return r.missingCount()
            + " records missing in batch "
            + named
            + ", "
            + stages
            + ", overdue by "
            + by
            + (r.absentUpstreamCount() > 0
                ? "; " + r.absentUpstreamCount() + " records never " + f.upstream()
                : "");
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= MAX_SUMMARY ? text : text.substring(0, MAX_SUMMARY - 1) + "…";
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /** Never shows the routing key. */
  @Override
  public String toString() {
    return "PagerDutyEvent{source=" + source + "}";
  }
}
