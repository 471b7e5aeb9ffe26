package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's quick start runs, prints what the README says, and is the very code of {@link
 * QuickStart}: a change to either without the other fails here.
 */
class QuickStartTest {
  private static final Path SOURCE =
      Path.of("src/main/java/io/recordtracker/examples/QuickStart.java");
  private static final Path README = Path.of("../README.md");
  private static final String BEGIN = "<!-- begin QuickStart.java -->\n```java\n";
  private static final String END = "```\n<!-- end QuickStart.java -->\n";

  /**
   * slf4j-simple's lines (the examples' binding writes to System.out): not the program's output.
   */
  private static final Pattern LOG_LINE =
      Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO|WARN|ERROR) .*");

  @Test
  void prints_exactly_the_records_sent_and_never_processed() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      QuickStart.main(new String[0]);
    } finally {
      System.setOut(original);
    }

    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines.stream().filter(l -> !LOG_LINE.matcher(l).matches()))
        .containsExactly("resend [244000-246999]: 3000 records");
    // Nothing went wrong on the way: no warning or error was logged.
    assertThat(lines).noneMatch(l -> l.matches("^\\S+ (WARN|ERROR) .*"));
  }

  @Test
  void the_day_after_example_prints_the_records_processed_twice_and_the_readme_shows_it()
      throws IOException {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      DayAfterExample.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    assertThat(
            captured
                .toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> !LOG_LINE.matcher(l).matches()))
        .containsExactly("complete: true, processed twice: [500-599]");

    // The README's snippet is the code between the markers, unindented.
    String source =
        Files.readString(
            Path.of("src/main/java/io/recordtracker/examples/DayAfterExample.java"),
            StandardCharsets.UTF_8);
    String between =
        source.substring(
            source.indexOf("// begin README\n") + "// begin README\n".length(),
            source.indexOf("      // end README"));
    String shown =
        between
            .lines()
            .map(l -> l.length() >= 6 ? l.substring(6) : l.strip())
            .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    String begin = "<!-- begin DayAfterExample.java -->\n```java\n";
    int from = readme.indexOf(begin);
    int to = readme.indexOf("```\n<!-- end DayAfterExample.java -->\n", from);
    assertThat(from).as("README marker").isNotNegative();
    assertThat(to).as("README end marker").isPositive();
    assertThat(readme.substring(from + begin.length(), to)).isEqualTo(shown);
  }

  @Test
  void readme_shows_the_quick_start_source_verbatim() throws IOException {
    String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
    // The README shows the file from its imports on: the package line is the examples' own.
    String shown = source.substring(source.indexOf("\nimport ") + 1);
    String readme = Files.readString(README, StandardCharsets.UTF_8);

    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END, begin);
    assertThat(begin).as("README marker %s", BEGIN.strip()).isNotNegative();
    assertThat(end).as("README marker %s", END.strip()).isPositive();
    assertThat(readme.substring(begin + BEGIN.length(), end)).isEqualTo(shown);
  }
}
