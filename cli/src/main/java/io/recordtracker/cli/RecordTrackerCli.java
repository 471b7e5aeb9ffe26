package io.recordtracker.cli;

import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.monitor.Slf4jDiscrepancyListener;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code record-tracker} command: reconciles batches, lists them, tells whether records are in
 * flight, runs the completeness monitor, purges old batches and serves a dashboard, against the
 * tracker's tables in any supported database. Run {@code record-tracker --help}.
 */
@Command(
    name = "record-tracker",
    mixinStandardHelpOptions = true,
    versionProvider = RecordTrackerCli.Version.class,
    description = {
      "Finds records lost between the stages of a batch, from the tracker's tables.",
      "Passwords are read from an environment variable or a file, never from the command line."
    },
    subcommands = {
      ReconcileCommand.class,
      BatchesCommand.class,
      InFlightCommand.class,
      MonitorCommand.class,
      PurgeCommand.class,
      AbandonCommand.class,
      ServeCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes:",
      "   0  success: complete, nothing in flight, done",
      "   1  unexpected error",
      "   2  discrepancies found (reconcile, monitor)",
      "   3  records in flight (in-flight)",
      "  64  bad arguments (also: abandon with another reason, or of a complete batch)",
      "  65  bad JDBC URL (malformed, or no bundled driver for it)",
      "  66  unknown batch",
      "  69  database unreachable",
      "  74  database error (missing tables or database, read-only, SQL failure)",
      "  75  alert not delivered (monitor --webhook-url-env)",
      "  77  database rejected the credentials",
      "  78  configuration missing (password, webhook or token variable, password file),"
          + " or serve cannot listen on its address"
    })
public final class RecordTrackerCli implements Callable<Integer> {

  final PrintWriter out;
  final PrintWriter err;
  final Map<String, String> env;

  @Spec CommandSpec spec;

  RecordTrackerCli(PrintWriter out, PrintWriter err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  /**
   * Runs the command and exits the JVM with its exit code.
   *
   * @param args the command line, for example {@code in-flight --window 10m}
   */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = run(args, out, err, System.getenv());
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** Runs the command with the given output and environment; returns the exit code. */
  static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      // The library's INFO lines (dialect chosen, ...) are noise in a terminal; alerts are WARN.
      System.setProperty(
          "org.slf4j.simpleLogger.defaultLogLevel",
          Boolean.parseBoolean(env.get("RECORDTRACKER_VERBOSE")) ? "debug" : "warn");
      // The monitor's events are the output of `monitor`: its INFO lines (RESOLVED) belong next to
      // its WARN lines (NEW), or a continuous monitor never says that a finding was resolved.
      String events = "org.slf4j.simpleLogger.log." + Slf4jDiscrepancyListener.LOGGER_NAME;
      if (System.getProperty(events) == null
          && !Boolean.parseBoolean(env.get("RECORDTRACKER_VERBOSE"))) {
        System.setProperty(events, "info");
      }
    }
    CommandLine cmd = new CommandLine(new RecordTrackerCli(out, err, env));
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.registerConverter(Duration.class, new DurationConverter());
    cmd.setParameterExceptionHandler(
        (e, a) -> {
          err.println("record-tracker: " + e.getMessage());
          CommandLine sub = e.getCommandLine();
          err.println("Try '" + sub.getCommandSpec().qualifiedName() + " --help' for the options.");
          err.flush();
          return Exit.USAGE;
        });
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          int code = Exit.of(e);
          if (code == Exit.INTERNAL) {
            err.println("record-tracker: unexpected error: " + e);
            e.printStackTrace(err);
          } else {
            err.println("record-tracker: " + FailureText.of(e, tablePrefix(commandLine)));
          }
          err.flush();
          return code;
        });
    int code = cmd.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  private static String tablePrefix(CommandLine commandLine) {
    Object command = commandLine.getCommand();
    return command instanceof TrackerCommand
        ? ((TrackerCommand) command).database.tablePrefix
        : JdbcTrackerStore.DEFAULT_TABLE_PREFIX;
  }

  /** Without a subcommand: show the usage and fail as bad arguments. */
  @Override
  public Integer call() {
    err.println("record-tracker: a command is required");
    spec.commandLine().usage(err);
    return Exit.USAGE;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = RecordTrackerCli.class.getPackage().getImplementationVersion();
      return new String[] {"record-tracker " + (v == null ? "(development build)" : v)};
    }
  }
}
