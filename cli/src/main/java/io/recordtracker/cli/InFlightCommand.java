package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchInfo;
import io.recordtracker.InFlightReport;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordTracker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "in-flight",
    mixinStandardHelpOptions = true,
    description = {
      "Exits 0 when no records are being processed, 3 when some are.",
      "A batch is in flight when it was marked within --window and is not complete, or when its"
          + " stored marks cannot be read (then the output names it and why). A patch script"
          + " runs:",
      "  record-tracker in-flight && apply-patch",
      "With --wait it waits until quiet (exit 0) or the wait runs out (exit 3)."
    })
final class InFlightCommand extends TrackerCommand {

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description = "How recent a mark makes a batch in flight (default: ${DEFAULT-VALUE}).")
  Duration window;

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      description = "Wait up to this long for quiet instead of answering at once.")
  Duration wait;

  @Option(
      names = "--poll",
      paramLabel = "DURATION",
      defaultValue = "5s",
      description = "How often to ask while waiting (default: ${DEFAULT-VALUE}).")
  Duration poll;

  @Override
  int run(RecordTracker tracker) throws Exception {
    MaintenanceGate gate =
        MaintenanceGate.builder(tracker).window(window).pollInterval(poll).build();
    InFlightReport report = gate.inFlightReport();
    if (!report.isEmpty() && wait != null) {
      err()
          .println(
              "Waiting up to "
                  + Render.duration(wait)
                  + " for "
                  + Render.count(report.batches().size(), "batch", "batches")
                  + " in flight to finish...");
      err().flush();
      report =
          gate.awaitQuiet(wait) ? new InFlightReport(List.of(), Map.of()) : gate.inFlightReport();
    }
    List<BatchInfo> busy = report.batches();
    if (json) {
      try (JsonGenerator g = Render.json(out())) {
        Render.writeInFlight(g, window, report);
      }
      out().println();
    } else if (busy.isEmpty()) {
      out()
          .println(
              "Quiet: no batch marked within the last "
                  + Render.duration(window)
                  + " is incomplete. Maintenance may start.");
    } else {
      out()
          .println(
              busy.size()
                  + (busy.size() == 1 ? " batch is" : " batches are")
                  + " in flight (marked within the last "
                  + Render.duration(window)
                  + ", not complete). Do not start maintenance.");
      Render.batchTable(out(), busy);
      report
          .unreadable()
          .forEach(
              (id, cause) ->
                  out()
                      .println(
                          "Batch " + id + " cannot be read, so it counts as in flight: " + cause));
    }
    return busy.isEmpty() ? Exit.OK : Exit.IN_FLIGHT;
  }
}
