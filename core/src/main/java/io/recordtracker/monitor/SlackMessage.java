package io.recordtracker.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.internal.Arguments;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Formats a {@link DiscrepancyEvent} as a Slack-compatible message (an incoming webhook's JSON:
 * {@code text} for notifications, {@code blocks} for the layout), which Mattermost, Rocket.Chat and
 * other chats that accept Slack's format take too.
 *
 * <p>The message names the batch, its attributes (the file name first, from the attribute {@code
 * file}, {@code fileName}, {@code file_name} or {@code filename}), the stage pair, the counts, the
 * first {@code rangesShown} ranges of missing records and how long the batch has been overdue; for
 * a batch that cannot be read ({@link Finding.Kind#UNREADABLE}), why not. Text is escaped as Slack
 * wants ({@code & < >}) and cut to Slack's limits. Immutable.
 */
final class SlackMessage {

  private static final String FILE_KEYS = "file, fileName, file_name, filename";
  private static final int MAX_FIELDS = 10; // Slack's limit for a section's fields
  private static final int MAX_SECTION_TEXT = 3_000; // Slack's limit for a section's text
  private static final JsonFactory JSON = new JsonFactory();

  private final int rangesShown;

  /** A formatter listing at most {@code rangesShown} ranges before "(+N more)". */
  SlackMessage(int rangesShown) {
    this.rangesShown = Arguments.requireAtLeast(rangesShown, 1, "rangesShown");
  }

  /**
   * One message for a round's {@code events}: a headline counting them by kind, then one line per
   * event, as many as fit Slack's limit for a section (the rest counted as "(+N more)").
   */
  byte[] renderDigest(List<DiscrepancyEvent> events) {
    String headline = DigestText.headline(events);
    StringBuilder lines = new StringBuilder();
    int shown = 0;
    for (DiscrepancyEvent e : events) {
      String line = "• " + escape(DigestText.line(e)) + "\n";
      if (lines.length() + line.length() > MAX_SECTION_TEXT - 40) {
        break;
      }
      lines.append(line);
      shown++;
    }
    if (shown < events.size()) {
      lines.append("(+").append(events.size() - shown).append(" more)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("text", ":rotating_light: record-tracker: " + escape(headline));
      g.writeArrayFieldStart("blocks");
      g.writeStartObject();
      g.writeStringField("type", "header");
      g.writeObjectFieldStart("text");
      g.writeStringField("type", "plain_text");
      g.writeStringField("text", abbreviate(headline, 150));
      g.writeEndObject();
      g.writeEndObject();
      g.writeStartObject();
      g.writeStringField("type", "section");
      g.writeObjectFieldStart("text");
      g.writeStringField("type", "mrkdwn");
      g.writeStringField("text", lines.toString().strip());
      g.writeEndObject();
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /** The message for {@code event}, as UTF-8 JSON bytes. */
  byte[] render(DiscrepancyEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writeMessage(g, event);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  private void writeMessage(JsonGenerator g, DiscrepancyEvent event) throws IOException {
    Finding f = event.finding();
    Reconciliation r = f.reconciliation();
    boolean resolved = event.kind() == DiscrepancyEvent.Kind.RESOLVED;
    String batch = f.batchId().value();
    String file = fileName(f.batch().attributes());
    String named = file == null ? batch : batch + " (" + file + ")";
    String stages = f.upstream() + " → " + f.downstream();
    String overdue = AlertText.duration(f.overdueFor(event.at()));
    String ranges = AlertText.firstRanges(r.missing(), rangesShown);

    boolean unreadable = f.kind() == Finding.Kind.UNREADABLE;
    String title;
    String text;
    if (unreadable && resolved) {
      title = "Resolved: batch " + batch + " is readable";
      text =
          ":white_check_mark: Resolved: batch "
              + named
              + " "
              + stages
              + " is no longer unreadable (it can be read again, or was purged)";
    } else if (unreadable) {
      title = "Unreadable: batch " + batch;
      text =
          ":x: Batch "
              + named
              + " "
              + stages
              + " cannot be read, so whether records are missing is unknown: "
              + abbreviate(f.cause().orElse("unknown cause"), 1_000);
    } else if (resolved) {
      title = "Resolved: batch " + batch;
      text =
          ":white_check_mark: Resolved: batch "
              + named
              + " "
              + stages
              + " is complete ("
              + r.missingCount()
              + " missing and "
              + r.absentUpstreamCount()
              + " never "
              + f.upstream()
              + " when last reported)";
    } else if (f.kind() == Finding.Kind.STALLED) {
      title = "Stalled: batch " + batch;
      text =
          ":warning: Batch "
              + named
              + (r.isSealed()
                  ? " stalled: nothing "
                      + f.upstream()
                      + " of "
                      + r.expectedRecords()
                      + " expected records, overdue by "
                  : " stalled: unsealed, and nothing of it marked for the deadline, overdue by ")
              + overdue;
    } else {
      title = headline(event.kind()) + ": batch " + batch;
      text =
          ":warning: "
              + r.missingCount()
              + " records missing in batch "
              + named
              + ", "
              + stages
              + (f.kind() == Finding.Kind.PAST_DEADLINE
                  ? ", still being processed but past its deadline by "
                  : ", overdue by ")
              + overdue
              + ". First missing ranges: "
              + ranges
              + (r.absentUpstreamCount() > 0
                  ? "; " + r.absentUpstreamCount() + " records never " + f.upstream()
                  : "");
    }

    g.writeStartObject();
    g.writeStringField("text", escape(text));
    g.writeArrayFieldStart("blocks");

    g.writeStartObject();
    g.writeStringField("type", "header");
    g.writeObjectFieldStart("text");
    g.writeStringField("type", "plain_text");
    g.writeStringField("text", abbreviate(title, 150));
    g.writeEndObject();
    g.writeEndObject();

    List<String[]> fields = new ArrayList<>();
    fields.add(new String[] {"Batch", batch});
    fields.add(new String[] {"Stages", stages});
    if (unreadable) {
      fields.add(new String[] {"Missing", "unknown: the marks cannot be read"});
    } else {
      fields.add(
          new String[] {
            "Missing",
            r.isSealed() ? r.missingCount() + " of " + r.expectedRecords() : r.missingCount() + ""
          });
    }
    if (r.absentUpstreamCount() > 0) {
      fields.add(new String[] {"Never " + f.upstream(), Long.toString(r.absentUpstreamCount())});
    }
    boolean late = f.kind() == Finding.Kind.PAST_DEADLINE;
    fields.add(
        new String[] {
          resolved
              ? (late ? "Was past its deadline by" : "Was overdue by")
              : (late ? "Past its deadline by" : "Overdue by"),
          overdue
        });
    String fileKey = fileKey(f.batch().attributes());
    if (fileKey != null) {
      fields.add(new String[] {fileKey, f.batch().attributes().get(fileKey)});
    }
    for (Map.Entry<String, String> a : f.batch().attributes().entrySet()) {
      if (fields.size() == MAX_FIELDS) {
        break;
      }
      if (!a.getKey().equals(fileKey)) {
        fields.add(new String[] {a.getKey(), a.getValue()});
      }
    }
    g.writeStartObject();
    g.writeStringField("type", "section");
    g.writeArrayFieldStart("fields");
    for (String[] field : fields) {
      g.writeStartObject();
      g.writeStringField("type", "mrkdwn");
      g.writeStringField("text", "*" + escape(field[0]) + "*\n" + escape(field[1]));
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();

    if (unreadable && !resolved) {
      g.writeStartObject();
      g.writeStringField("type", "section");
      g.writeObjectFieldStart("text");
      g.writeStringField("type", "mrkdwn");
      g.writeStringField(
          "text",
          "*Why it cannot be read*\n```"
              + escape(abbreviate(f.cause().orElse("unknown cause"), 2_000))
              + "```");
      g.writeEndObject();
      g.writeEndObject();
    }
    if (!resolved && !r.missing().isEmpty()) {
      rangesSection(g, "First missing ranges", r.missing());
    }
    if (!resolved && !r.absentUpstream().isEmpty()) {
      rangesSection(g, "First ranges never " + f.upstream(), r.absentUpstream());
    }

    g.writeStartObject();
    g.writeStringField("type", "context");
    g.writeArrayFieldStart("elements");
    g.writeStartObject();
    g.writeStringField("type", "mrkdwn");
    g.writeStringField("text", "record-tracker · " + event.kind() + " · " + event.at());
    g.writeEndObject();
    g.writeEndArray();
    g.writeEndObject();

    g.writeEndArray();
    g.writeEndObject();
  }

  private void rangesSection(JsonGenerator g, String label, List<RecordRange> ranges)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("type", "section");
    g.writeObjectFieldStart("text");
    g.writeStringField("type", "mrkdwn");
    g.writeStringField(
        "text", "*" + label + "*\n```" + AlertText.firstRanges(ranges, rangesShown) + "```");
    g.writeEndObject();
    g.writeEndObject();
  }

  private static String headline(DiscrepancyEvent.Kind kind) {
    switch (kind) {
      case GROWN:
        return "More records missing";
      case REMINDER:
        return "Still missing records";
      default:
        return "Missing records";
    }
  }

  /** The batch's file name, by the attribute names senders use for it, if any. */
  private static String fileName(Map<String, String> attributes) {
    String key = fileKey(attributes);
    return key == null ? null : attributes.get(key);
  }

  /** The attribute holding the file name ({@value #FILE_KEYS}, first found), if any. */
  private static String fileKey(Map<String, String> attributes) {
    for (String key : FILE_KEYS.split(", ")) {
      if (attributes.containsKey(key)) {
        return key;
      }
    }
    return null;
  }

  /** Slack's escaping of its control characters in text. */
  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String abbreviate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }
}
