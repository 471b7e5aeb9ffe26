package io.recordtracker.cli;

import io.recordtracker.RecordTracker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serves a read-only dashboard and its JSON API over HTTP until stopped (Ctrl-C).",
      "Pages: the batches (incomplete first), a batch's completeness strip, hops and timeline,"
          + " and whether anything is in flight. API: /api/batches, /api/batches/ID,"
          + " /api/batches/ID/report.json, /api/batches/ID/resend-plan.json, /api/gate; GET only.",
      "Listens on 127.0.0.1 unless --bind says otherwise; with --token-env every request must"
          + " carry the token (Authorization: Bearer TOKEN, or as the password a browser asks for)."
    })
final class ServeCommand extends TrackerCommand {

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      defaultValue = "127.0.0.1",
      description = "The address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
  String bind;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "The port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--token-env",
      paramLabel = "VAR",
      description =
          "Require the token held by this environment variable on every request. Never pass a"
              + " token as an argument.")
  String tokenEnv;

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      defaultValue = "10m",
      description =
          "How recent a mark makes a batch in flight, as in-flight --window (default:"
              + " ${DEFAULT-VALUE}).")
  Duration window;

  @Option(
      names = "--buckets",
      paramLabel = "N",
      defaultValue = "1000",
      description =
          "The most buckets a batch's completeness strip is cut into (default: ${DEFAULT-VALUE},"
              + " at most 10000).")
  int buckets;

  /** The token from --token-env, read by validate() before connecting; null for none. */
  private String token;

  @Override
  void validate() {
    if (tokenEnv != null) {
      token = cli.env.get(tokenEnv);
      if (token == null || token.isEmpty()) {
        throw new CliException(
            Exit.CONFIG,
            "the environment variable " + tokenEnv + " named by --token-env is not set");
      }
    }
    if (port < 0 || port > 65_535) {
      throw new CliException(Exit.USAGE, "--port must be 0..65535: " + port);
    }
    if (buckets < 1 || buckets > 10_000) {
      throw new CliException(Exit.USAGE, "--buckets must be 1..10000: " + buckets);
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    InetSocketAddress address;
    try {
      address = new InetSocketAddress(InetAddress.getByName(bind), port);
    } catch (UnknownHostException e) {
      throw new CliException(Exit.USAGE, "--bind is not an address of this machine: " + bind);
    }
    DashboardServer server;
    try {
      server =
          DashboardServer.start(tracker, address, token, window, buckets, database.tablePrefix);
    } catch (IOException e) {
      throw new CliException(
          Exit.CONFIG, "cannot listen on " + bind + ":" + port + ": " + e.getMessage());
    }
    try (server) {
      InetSocketAddress bound = server.address();
      String host = bound.getAddress().getHostAddress();
      out()
          .println(
              "Dashboard on http://"
                  + (host.contains(":") ? "[" + host + "]" : host)
                  + ":"
                  + bound.getPort()
                  + "/ (read-only; Ctrl-C stops it)");
      if (token == null && !bound.getAddress().isLoopbackAddress()) {
        err()
            .println(
                "record-tracker: warning: listening on "
                    + host
                    + " without --token-env: anyone who can reach it can read the batches");
      }
      out().flush();
      err().flush();
      Thread stopper = new Thread(server::close, "record-tracker-dashboard-stop");
      Runtime.getRuntime().addShutdownHook(stopper);
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        // Stopped in this JVM (a test, an embedding program): the interrupt is the request to
        // stop, handled here by closing; the tracker then closes as after any command.
        Runtime.getRuntime().removeShutdownHook(stopper);
      }
    }
    return Exit.OK;
  }
}
