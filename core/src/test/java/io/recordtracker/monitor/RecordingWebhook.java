package io.recordtracker.monitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.recordtracker.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A webhook endpoint on 127.0.0.1 that records every request and answers with scripted responses
 * (then 200 "ok", as Slack does). A scripted body or header may echo the request, as error pages
 * do: {@code {path}} (raw), {@code {PATH}} (upper case), {@code {jsonPath}} ("/" escaped as JSON
 * may), {@code {query}} (raw), {@code {decodedQuery}}, {@code {headers}} (all request headers) and
 * {@code {body}} (the request body).
 */
final class RecordingWebhook implements AutoCloseable {

  static final String SECRET_PATH = "/services/T0ACME/B0OPS/s3cr3tT0k3nXYZ";

  record Response(int status, Map<String, String> headers, String body) {}

  record Request(String method, String path, String contentType, String body) {}

  private final HttpServer server;
  private final Deque<Response> script = new ConcurrentLinkedDeque<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  RecordingWebhook() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] in = exchange.getRequestBody().readAllBytes();
          requests.add(
              new Request(
                  exchange.getRequestMethod(),
                  exchange.getRequestURI().getPath(),
                  exchange.getRequestHeaders().getFirst("Content-Type"),
                  new String(in, StandardCharsets.UTF_8)));
          Response r = script.poll();
          if (r == null) {
            r = new Response(200, Map.of(), "ok");
          }
          Map<String, String> echo = echo(exchange);
          echo.put("{body}", new String(in, StandardCharsets.UTF_8));
          r.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, fill(v, echo)));
          byte[] out = fill(r.body(), echo).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
          if (out.length > 0) {
            exchange.getResponseBody().write(out);
          }
          exchange.close();
        });
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
  }

  private static Map<String, String> echo(HttpExchange exchange) {
    URI uri = exchange.getRequestURI();
    Map<String, String> echo = new LinkedHashMap<>();
    echo.put("{path}", uri.getRawPath());
    echo.put("{PATH}", uri.getRawPath().toUpperCase(Locale.ROOT));
    echo.put("{jsonPath}", uri.getRawPath().replace("/", "\\/"));
    echo.put("{query}", String.valueOf(uri.getRawQuery()));
    echo.put("{decodedQuery}", String.valueOf(uri.getQuery()));
    echo.put("{headers}", new TreeMap<>(exchange.getRequestHeaders()).toString());
    return echo;
  }

  private static String fill(String template, Map<String, String> echo) {
    String s = template;
    for (Map.Entry<String, String> e : echo.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    return s;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + SECRET_PATH);
  }

  void thenRespond(int status, Map<String, String> headers, String body) {
    script.add(new Response(status, headers, body));
  }

  List<Request> requests() {
    return new ArrayList<>(requests);
  }

  List<Map<String, Object>> messages() {
    List<Map<String, Object>> out = new ArrayList<>();
    requests.forEach(r -> out.add(Json.parseObject(r.body())));
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
