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
