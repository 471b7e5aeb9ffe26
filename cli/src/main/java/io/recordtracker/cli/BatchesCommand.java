package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "batches",
    mixinStandardHelpOptions = true,
    description = "Lists batches, newest opened first.")
final class BatchesCommand extends TrackerCommand {

  @Option(
      names = "--incomplete",
      description =
          "Only batches not yet seen complete (sent -> processed) and not abandoned: those"
              + " monitors watch.")
  boolean incomplete;

  @Option(names = "--abandoned", description = "Only abandoned batches (not seen complete).")
  boolean abandoned;

  @Option(
      names = "--since",
      paramLabel = "DURATION",
      description = "Only batches opened within this long ago, like 2d or 12h.")
  Duration since;

  @Option(
      names = "--attribute",
      paramLabel = "KEY=VALUE",
      description = "Only batches with this attribute value; repeatable.")
  List<String> attributeOptions = new ArrayList<>();

  /** The --attribute options as keys and values, in the order given. */
  private final Map<String, String> attributes = new LinkedHashMap<>();

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "100",
      description = "At most this many batches (default: ${DEFAULT-VALUE}, at most 10000).")
  int limit;

  @Override
  void validate() {
    if (incomplete && abandoned) {
      throw new CliException(Exit.USAGE, "give --incomplete or --abandoned, not both");
    }
    if (limit < 1 || limit > BatchQuery.MAX_LIMIT) {
      throw new CliException(
          Exit.USAGE, "--limit must be 1.." + BatchQuery.MAX_LIMIT + ": " + limit);
    }
    // Parsed here rather than as a picocli map, whose message for a value without '=' reads
    // "Value for option option '--attribute' ...".
    for (String option : attributeOptions) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        throw new CliException(
            Exit.USAGE, "--attribute must be KEY=VALUE, like file=customers.edi: " + option);
      }
      attributes.put(option.substring(0, eq), option.substring(eq + 1));
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    BatchQuery.Builder q = BatchQuery.builder().limit(limit);
    Instant after = null;
    if (since != null) {
      after = tracker.clock().instant().minus(since);
      q.openedAfter(after);
    }
    if (incomplete) {
      q.completion(BatchQuery.Completion.INCOMPLETE);
    } else if (abandoned) {
      q.completion(BatchQuery.Completion.ABANDONED);
    }
    attributes.forEach(q::attribute);
    List<BatchInfo> batches = tracker.batches(q.build());
    if (json) {
      try (JsonGenerator g = Render.json(out())) {
        g.writeStartObject();
        g.writeStringField("openedAfter", after == null ? null : after.toString());
        g.writeBooleanField("incompleteOnly", incomplete);
        g.writeBooleanField("abandonedOnly", abandoned);
        g.writeNumberField("count", batches.size());
        g.writeBooleanField("truncated", batches.size() == limit);
        g.writeArrayFieldStart("batches");
        for (BatchInfo b : batches) {
          Render.writeBatch(g, b);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      out().println();
      return Exit.OK;
    }
    if (batches.isEmpty()) {
      out().println("No batches match.");
      return Exit.OK;
    }
    Render.batchTable(out(), batches);
    out()
        .println(
            Render.count(batches.size(), "batch", "batches")
                + (batches.size() == limit ? " (limit reached: raise --limit to see more)" : ""));
    return Exit.OK;
  }
}
