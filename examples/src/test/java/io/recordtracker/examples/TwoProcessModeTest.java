package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EDI and CIS as separate JVMs on one H2 database file, as the README shows: sender, processor
 * (with the patch), reconcile, resend, processor, reconcile. This JVM holds the database open the
 * whole time, so the children reach it through H2's automatic server, as concurrent processes do.
 */
class TwoProcessModeTest {

  @TempDir Path dir;

  @Test
  void
      sender_processor_and_reconcile_in_their_own_jvms_find_and_repair_exactly_the_dropped_records()
          throws Exception {
    ReplayOptions options = ReplayOptions.parse("--dir", dir.toString());
    ReplayDatabase db = ReplayDatabase.open(options);
    JdbcTrackerStore store = db.newStore();
    try (RecordTracker observer = db.newTracker(store)) {
      Child sender = run("--role", "sender", "--records", "30000");
      assertThat(sender.exit).as(sender.output).isZero();
      BatchId batch = BatchId.of(sender.value("batch"));
      Path file = Path.of(sender.value("file"));
      assertThat(EdiFile.readHeader(file).batch()).isEqualTo(batch);

      Child processor = run("--role", "processor", "--defer-every", "300");
      assertThat(processor.exit).as(processor.output).isZero();
      assertThat(processor.output).contains("PATCH: restarting");
      List<RecordRange> dropped = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of(file + ".dropped"))) {
        dropped.add(RecordRange.parse(line));
      }
      assertThat(dropped).isNotEmpty();

      Child reconcile = run("--role", "reconcile");
      assertThat(reconcile.exit).as(reconcile.output).isEqualTo(2); // as the CLI: missing
      assertThat(reconcile.output).contains("Lost at hop received->processed");
      assertThat(missingRanges(reconcile.json())).isEqualTo(dropped);
      Reconciliation seen = observer.reconcile(batch);
      assertThat(seen.missing()).isEqualTo(dropped);
      assertThat(observer.reconcile(batch, Stage.SENT, CisProcessor.RECEIVED).isComplete())
          .isTrue();

      Child resend = run("--role", "resend", "--batch", batch.value());
      assertThat(resend.exit).as(resend.output).isZero();
      Path resendFile = Path.of(resend.value("file"));
      assertThat(EdiFile.readHeader(resendFile).count())
          .isEqualTo(dropped.stream().mapToLong(RecordRange::size).sum());

      Child again = run("--role", "processor", "--file", resendFile.toString(), "--no-patch");
      assertThat(again.exit).as(again.output).isZero();

      Child last = run("--role", "reconcile", "--batch", batch.value());
      assertThat(last.exit).as(last.output).isZero();
      assertThat(last.output)
          .contains("Batch " + batch + " complete")
          .doesNotContain("may still be in flight");
      assertThat(missingRanges(last.json())).isEmpty();
      assertThat(observer.reconcile(batch).isComplete()).isTrue();
      assertThat(db.cis(store).savedRecords(batch).getLongCardinality()).isEqualTo(30_000);
    }
  }

  private record Child(int exit, String output) {
    /** The value of a "key value" line the role printed. */
    String value(String key) {
      return output
          .lines()
          .filter(l -> l.startsWith(key + " "))
          .map(l -> l.substring(key.length() + 1).trim())
          .findFirst()
          .orElseThrow(() -> new AssertionError("no '" + key + "' line in:\n" + output));
    }

    /** The JSON report: printed when short, else in the file the report line names. */
    String json() throws IOException {
      for (String line : output.lines().toList()) {
        if (line.startsWith("{\"schemaVersion\"")) {
          return line;
        }
        if (line.startsWith("JSON report: ")) {
          String file = line.substring(line.indexOf(" written to ") + " written to ".length());
          return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        }
      }
      throw new AssertionError("no JSON report in:\n" + output);
    }
  }

  private Child run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(IncidentReplay.class.getName());
    command.add("--dir");
    command.add(dir.toString());
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "child", ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("child JVM " + List.of(args) + " did not finish in 120 s");
    }
    return new Child(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  private static List<RecordRange> missingRanges(String json) throws IOException {
    List<RecordRange> ranges = new ArrayList<>();
    try (JsonParser p = new JsonFactory().createParser(json)) {
      while (p.nextToken() != null) {
        if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("missing")) {
          if (p.nextToken() == JsonToken.START_ARRAY) {
            while (p.nextToken() == JsonToken.START_ARRAY) {
              p.nextToken();
              int first = p.getIntValue();
              p.nextToken();
              int last = p.getIntValue();
              p.nextToken(); // END_ARRAY
              ranges.add(RecordRange.of(first, last));
            }
            return ranges;
          }
        }
      }
    }
    throw new AssertionError("no ranges.missing in " + json);
  }
}
