package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import io.recordtracker.UnknownBatchException;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "purge",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes old batches, or one batch, with all their marks.",
      "With --older-than, deletes batches opened longer ago than that, in pages of 500. Only"
          + " batches seen complete or abandoned are deleted (--completed-only, the default)"
          + " unless --include-incomplete says otherwise: an incomplete batch is never deleted by"
          + " accident. A batch is seen complete once a reconcile (or the monitor) found it so.",
      "With --batch, deletes that one batch whatever its state (exit 66 if it does not exist)."
    })
final class PurgeCommand extends TrackerCommand {

  @Option(
      names = "--older-than",
      paramLabel = "DURATION",
      description = "Delete batches opened longer ago than this, like 30d.")
  Duration olderThan;

  @Option(
      names = "--batch",
      paramLabel = "ID",
      description = "Delete this batch, complete or not, instead of old batches.")
  String batch;

  @Option(
      names = "--completed-only",
      description =
          "Delete only batches seen complete or abandoned (the default; for explicit scripts).")
  boolean completedOnly;

  @Option(
      names = "--include-incomplete",
      description = "Also delete batches never seen complete, with their missing records.")
  boolean includeIncomplete;

  private BatchId id;

  @Override
  void validate() {
    if ((olderThan == null) == (batch == null)) {
      throw new CliException(Exit.USAGE, "give --older-than DURATION or --batch ID (one of them)");
    }
    if (batch != null) {
      if (completedOnly || includeIncomplete) {
        throw new CliException(
            Exit.USAGE,
            "--completed-only and --include-incomplete go with --older-than, not --batch");
      }
      id = BatchId.of(batch);
    }
    if (completedOnly && includeIncomplete) {
      throw new CliException(Exit.USAGE, "give --completed-only or --include-incomplete, not both");
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    if (id != null) {
      return purgeOne(tracker);
    }
    Instant before = tracker.clock().instant().minus(olderThan);
    BatchQuery query =
        BatchQuery.builder()
            .openedBefore(before)
            .completion(
                includeIncomplete ? BatchQuery.Completion.ANY : BatchQuery.Completion.CLOSED)
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
                      : Render.count(
                          purged, "complete or abandoned batch", "complete or abandoned batches"))
                  + " opened before "
                  + Render.time(before)
                  + " UTC.");
    }
    return Exit.OK;
  }

  private int purgeOne(RecordTracker tracker) throws Exception {
    if (!tracker.purge(id)) {
      throw new UnknownBatchException(id);
    }
    if (json) {
      try (JsonGenerator g = Render.json(out())) {
        g.writeStartObject();
        g.writeNumberField("purged", 1);
        g.writeStringField("batch", id.value());
        g.writeEndObject();
      }
      out().println();
    } else {
      out().println("Purged batch " + id + ".");
    }
    return Exit.OK;
  }
}
