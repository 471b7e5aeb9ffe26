package io.recordtracker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The process cases with the runnable jar, {@code java -jar cli/target/record-tracker-cli.jar}. */
class RecordTrackerCliJarIT extends CliProcessCases {

  @Override
  List<String> launcher() {
    Path jar = Path.of(System.getProperty("cli.jar", "target/record-tracker-cli.jar"));
    assertThat(jar).as("the runnable jar; build it with mvn package").exists();
    assertThat(Files.isRegularFile(jar)).isTrue();
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString());
  }
}
