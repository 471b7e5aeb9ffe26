package io.recordtracker.cli;

import java.nio.file.Path;
import java.util.List;

/** The process cases with the command started from the test classpath (every build). */
class RecordTrackerCliProcessTest extends CliProcessCases {

  @Override
  List<String> launcher() {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        System.getProperty("java.class.path"),
        RecordTrackerCli.class.getName());
  }
}
