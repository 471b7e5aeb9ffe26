package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordTracker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "abandon",
    mixinStandardHelpOptions = true,
    description = {
      "Ends the monitoring of a batch that will never complete (a test file, a cancelled send).",
      "Its marks are kept: reconcile still answers. Monitors resolve what they reported of it and"
          + " report nothing new, in-flight and the gate do not count it, batches --incomplete"
          + " leaves it out, and purge deletes it as it deletes complete batches.",
      "Abandoning again with the same reason does nothing (exit 0); with another reason, or a"
          + " batch seen complete, it is refused (exit 64)."
    })
final class AbandonCommand extends TrackerCommand {

  @Option(names = "--batch", required = true, paramLabel = "ID", description = "The batch id.")
  String batch;

  @Option(
      names = "--reason",
      required = true,
      paramLabel = "TEXT",
      description =
          "Why it will never complete, for whoever looks at it later: one line of 1-"
              + BatchInfo.MAX_ABANDON_REASON_LENGTH
              + " characters.")
  String reason;

  private BatchId id;

  @Override
  void validate() {
    id = BatchId.of(batch);
    try {
      BatchInfo.requireAbandonReason(reason);
    } catch (IllegalArgumentException e) {
      throw new CliException(Exit.USAGE, "--reason: " + e.getMessage());
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    BatchInfo abandoned;
    try {
      abandoned = tracker.abandon(id, reason);
    } catch (IllegalStateException e) {
      throw new CliException(Exit.USAGE, e.getMessage());
    }
    if (json) {
      try (JsonGenerator g = Render.json(out())) {
        g.writeStartObject();
        g.writeFieldName("batch");
        Render.writeBatch(g, abandoned);
        g.writeEndObject();
      }
      out().println();
    } else {
      out()
          .println(
              "Batch "
                  + id
                  + " abandoned at "
                  + Render.time(abandoned.abandonedAt().orElseThrow())
                  + " UTC: "
                  + abandoned.abandonReason().orElseThrow());
    }
    return Exit.OK;
  }
}
