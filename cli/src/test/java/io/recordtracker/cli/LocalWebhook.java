package io.recordtracker.cli;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/** A webhook endpoint on the loopback interface for tests; {@link #close()} stops it. */
final class LocalWebhook implements AutoCloseable {

  private final HttpServer server;

  private LocalWebhook(HttpServer server) {
    this.server = server;
  }

  /** An endpoint answering every request with {@code handler}. */
  static LocalWebhook answering(HttpHandler handler) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", handler);
    server.start();
    return new LocalWebhook(server);
  }

  /** An endpoint answering every request with {@code status} and no body. */
  static LocalWebhook answering(int status) throws IOException {
    return answering(
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.sendResponseHeaders(status, -1);
          ex.close();
        });
  }

  /** An endpoint adding every body posted to {@code posts} and answering 200. */
  static LocalWebhook recording(Collection<String> posts) throws IOException {
    return answering(
        ex -> {
          posts.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
