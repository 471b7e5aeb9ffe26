package io.recordtracker.cli;

import io.recordtracker.RecordTracker;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** A command that works on the tracker's tables: opens them, runs, closes them. */
abstract class TrackerCommand implements Callable<Integer> {

  @ParentCommand RecordTrackerCli cli;

  @Mixin DatabaseOptions database;

  @Option(names = "--json", description = "Print JSON for a job to parse instead of text.")
  boolean json;

  @Override
  public final Integer call() throws Exception {
    validate();
    try (RecordTracker tracker = database.openTracker(cli.env)) {
      database.describeStandby(err());
      return run(tracker);
    }
  }

  /** Checks option combinations before connecting; throws a CliException with Exit.USAGE. */
  void validate() {}

  abstract int run(RecordTracker tracker) throws Exception;

  PrintWriter out() {
    return cli.out;
  }

  PrintWriter err() {
    return cli.err;
  }
}
