package io.recordtracker.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code record-tracker serve} run in this JVM on a thread, as a user starts it; stopped by
 * interrupting the thread. Waits for the line that names its address.
 */
final class Served implements AutoCloseable {

  private static final Pattern ADDRESS = Pattern.compile("Dashboard on (http://\\S+/) ");

  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  final AtomicInteger code = new AtomicInteger(-1);
  private final Thread thread;

  /** The base address, like http://127.0.0.1:41234/, or null if it did not start. */
  final String base;

  private final HttpClient http = HttpClient.newHttpClient();

  private Served(Map<String, String> env, String... args) throws InterruptedException {
    thread =
        new Thread(
            () ->
                code.set(
                    RecordTrackerCli.run(
                        args, new PrintWriter(out, true), new PrintWriter(err, true), env)),
            "serve-under-test");
    thread.start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    String found = null;
    while (found == null && thread.isAlive() && Instant.now().isBefore(deadline)) {
      Matcher m = ADDRESS.matcher(out.toString());
      if (m.find()) {
        found = m.group(1);
      } else {
        Thread.sleep(20);
      }
    }
    base = found;
  }

  /** Starts {@code serve} with these arguments and waits until it listens or exits. */
  static Served start(Map<String, String> env, String... args) throws InterruptedException {
    return new Served(env, args);
  }

  /** Waits for the command to end after it failed to start; returns its exit code. */
  int exitCode() throws InterruptedException {
    thread.join(60_000);
    return code.get();
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    return send("GET", path, headers);
  }

  HttpResponse<String> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path.substring(1)))
            .timeout(Duration.ofSeconds(60))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws InterruptedException {
    thread.interrupt();
    thread.join(60_000);
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
}
