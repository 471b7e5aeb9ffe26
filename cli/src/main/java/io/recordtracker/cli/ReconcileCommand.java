package io.recordtracker.cli;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "reconcile",
    mixinStandardHelpOptions = true,
    description = {
      "Reconciles a batch: the ranges of records to resend.",
      "Lists the records that reached the upstream stage but not the downstream one (missing:"
          + " resend them), those that never reached upstream, and those that reached downstream"
          + " only.",
      "Also lists the records reached the downstream stage by two separate markings (repeated:"
          + " processed twice) when that stage counts repeats: processed does, a custom stage with"
          + " --count-repeats.",
      "With --plan, prints the resend plan as JSON instead: the batch, the stage pair, its"
          + " attributes and the missing ranges, for the sender or another system.",
      "An incomplete batch marked within --window is still in flight (as in-flight says): its"
          + " missing records may still be on their way, so the text says so before any resend.",
      "Exit 0 when the batch is complete, 2 when records are missing, 66 when the batch is"
          + " unknown. When sent -> processed is complete, its completion is recorded, which"
          + " makes the batch eligible for purge."
    })
final class ReconcileCommand extends TrackerCommand {

  @Option(names = "--batch", required = true, paramLabel = "ID", description = "The batch id.")
  String batch;

  @Option(
      names = "--upstream",
      paramLabel = "STAGE",
      defaultValue = "sent",
      description = "The stage records reach first (default: ${DEFAULT-VALUE}).")
  String upstream;

  @Option(
      names = "--downstream",
      paramLabel = "STAGE",
      defaultValue = "processed",
      description = "The stage records reach next (default: ${DEFAULT-VALUE}).")
  String downstream;

  @Option(
      names = "--ranges",
      paramLabel = "N",
      defaultValue = "20",
      description =
          "How many ranges of each kind the text output lists (default: ${DEFAULT-VALUE});"
              + " JSON lists all.")
  int ranges;

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description =
          "How recent a mark makes an incomplete batch in flight, as in-flight --window"
              + " (default: ${DEFAULT-VALUE}).")
  Duration window;

  @Option(
      names = "--plan",
      description =
          "Print the resend plan as JSON (batch, stages, attributes, counts, missing ranges)"
              + " instead of the reconciliation; --json is implied.")
  boolean plan;

  @Option(
      names = "--count-repeats",
      description =
          "Count the records the downstream stage marked twice (repeats) also for a custom"
              + " stage; processed always counts them, sent never does unless given this.")
  boolean countRepeats;

  private BatchId id;
  private Stage up;
  private Stage down;

  @Override
  void validate() {
    id = BatchId.of(batch);
    up = Stage.of(asTyped("--upstream", upstream));
    asTyped("--downstream", downstream);
    down = countRepeats ? Stage.countingRepeats(downstream) : Stage.of(downstream);
    if (up.equals(down)) {
      throw new CliException(Exit.USAGE, "--upstream and --downstream must differ: " + up);
    }
    if (window.isZero() || window.isNegative()) {
      throw new CliException(Exit.USAGE, "--window must be positive: " + Render.duration(window));
    }
    if (ranges < 1) {
      throw new CliException(Exit.USAGE, "--ranges must be at least 1: " + ranges);
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    BatchInfo info = tracker.batch(id).orElseThrow(() -> new UnknownBatchException(id));
    Reconciliation r = tracker.reconcile(id, up, down);
    if (plan) {
      r.resendPlan().writeJson(out());
      out().println();
    } else if (json) {
      r.writeJson(out());
      out().println();
    } else {
      print(out(), info, r, tracker.clock().instant());
    }
    return r.isComplete() ? Exit.OK : Exit.DISCREPANCIES;
  }

  private void print(PrintWriter out, BatchInfo info, Reconciliation r, Instant now) {
    out.println(
        "Batch "
            + r.batch()
            + "  "
            + r.upstream()
            + " -> "
            + r.downstream()
            + "  ("
            + (r.isSealed()
                ? r.expectedRecords() + " records expected"
                : "unsealed: size not known yet")
            + ", opened "
            + Render.time(info.openedAt())
            + " UTC)");
    if (!info.attributes().isEmpty()) {
      out.println("  attributes:        " + Render.attributes(info.attributes()));
    }
    if (info.isAbandoned()) {
      out.println(
          "  abandoned:         "
              + Render.time(info.abandonedAt().orElseThrow())
              + " UTC: "
              + info.abandonReason().orElseThrow());
    }
    if (r.isComplete()) {
      out.println(
          "  COMPLETE: all "
              + r.expectedRecords()
              + " records reached "
              + r.upstream()
              + " and "
              + r.downstream()
              + repeatsText(r));
      printRepeated(out, r, ranges);
      return;
    }
    out.println(
        (r.isSealed() ? "  INCOMPLETE: " : "  UNSEALED, so never complete yet: ")
            + r.missingCount()
            + " missing, "
            + r.absentUpstreamCount()
            + " never "
            + r.upstream()
            + ", "
            + r.unexpectedCount()
            + " unexpected"
            + repeatsText(r));
    lastMark(info)
        .filter(last -> !info.isAbandoned()) // nothing is on its way: a team closed it
        .filter(last -> last.getValue().isAfter(now.minus(window)))
        .ifPresent(
            last ->
                out.println(
                    "  IN FLIGHT: "
                        + last.getKey()
                        + " last marked "
                        + Render.duration(Duration.between(last.getValue(), now))
                        + " ago (within --window "
                        + Render.duration(window)
                        + "): records may still be on their way; resend once in-flight says it"
                        + " is quiet or the monitor calls it overdue."));
    if (r.missingCount() > 0) {
      out.println("  missing (resend):  " + Render.ranges(r.missing(), ranges));
    }
    if (r.absentUpstreamCount() > 0) {
      out.println(
          "  never "
              + r.upstream()
              + ":"
              + pad(r.upstream())
              + Render.ranges(r.absentUpstream(), ranges));
    }
    if (r.unexpectedCount() > 0) {
      out.println("  unexpected:        " + Render.ranges(r.unexpected(), ranges));
    }
    printRepeated(out, r, ranges);
  }

  /** ", 0 repeated" where the downstream stage counts repeats; nothing where it does not. */
  private static String repeatsText(Reconciliation r) {
    return r.downstream().countsRepeats() ? ", " + r.repeatedCount() + " repeated" : "";
  }

  /** The records marked downstream twice (processed twice), if any. */
  private static void printRepeated(PrintWriter out, Reconciliation r, int ranges) {
    if (r.repeatedCount() > 0) {
      out.println(
          "  repeated:          "
              + Render.ranges(r.repeated(), ranges)
              + " ("
              + r.repeatedCount()
              + (r.repeatedCount() == 1 ? " record " : " records ")
              + r.downstream()
              + " twice or more)");
    }
  }

  /**
   * The stage name as typed: stage names are lower case, and one typed otherwise is refused rather
   * than lower-cased, so that a script's typo never reads as another stage.
   */
  private static String asTyped(String option, String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    if (!lower.equals(name)) {
      throw new CliException(
          Exit.USAGE,
          option + " " + name + ": stage names are lower case (did you mean " + lower + "?)");
    }
    return name;
  }

  /** The stage marked last and when, if any stage was marked. */
  private static Optional<Map.Entry<Stage, Instant>> lastMark(BatchInfo info) {
    return info.lastMarkedAt().entrySet().stream().max(Map.Entry.comparingByValue());
  }

  private static String pad(Stage stage) {
    int used = "  never ".length() + stage.name().length() + 1;
    return " ".repeat(Math.max(1, "  missing (resend):  ".length() - used));
  }
}
