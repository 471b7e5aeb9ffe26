package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "purge",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes old batches with all their marks.",
      "Deletes batches opened longer ago than --older-than, in pages of 500.",
      "Only batches seen complete are deleted (--completed-only, the default) unless"
          + " --include-incomplete says otherwise: an incomplete batch is never deleted by"
          + " accident. A batch is seen complete once a reconcile (or the monitor) found it so."
    })
final class PurgeCommand extends TrackerCommand {

  @Option(
      names = "--older-than",
      required = true,
      paramLabel = "DURATION",
      description = "Delete batches opened longer ago than this, like 30d.")
  Duration olderThan;

  @Option(
      names = "--completed-only",
      description = "Delete only batches seen complete (the default; for explicit scripts).")
  boolean completedOnly;

  @Option(
      names = "--include-incomplete",
      description = "Also delete batches never seen complete, with their missing records.")
  boolean includeIncomplete;

  @Override
  void validate() {
    if (completedOnly && includeIncomplete) {
      throw new CliException(Exit.USAGE, "give --completed-only or --include-incomplete, not both");
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    Instant before = tracker.clock().instant().minus(olderThan);
    BatchQuery query =
        BatchQuery.builder()
            .openedBefore(before)
            .completion(
                includeIncomplete ? BatchQuery.Completion.ANY : BatchQuery.Completion.COMPLETE)
            .build();
    int purged = tracker.purge(query);
    if (json) {
      try (JsonGenerator g = Render.json(out())) {
        g.writeStartObject();
        g.writeNumberField("purged", purged);
        g.writeStringField("openedBefore", before.toString());
        g.writeBooleanField("completedOnly", !includeIncomplete);
        g.writeEndObject();
      }
      out().println();
    } else {
      out()
          .println(
              "Purged "
                  + (includeIncomplete
                      ? Render.count(purged, "batch", "batches")
                      : Render.count(purged, "complete batch", "complete batches"))
                  + " opened before "
                  + Render.time(before)
                  + " UTC.");
    }
    return Exit.OK;
  }
}
