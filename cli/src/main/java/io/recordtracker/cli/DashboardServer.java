package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.InFlightReport;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;

/**
 * The dashboard of {@code record-tracker serve}: read-only pages and their JSON API over the
 * tracker's tables, on the JDK's HTTP server. Every endpoint answers GET only (405 otherwise) and
 * none changes anything, apart from the completion a sent -> processed reconciliation records, as
 * {@code reconcile} does. With a token, every request must carry it, as {@code Authorization:
 * Bearer TOKEN} (scripts) or as the password of HTTP Basic authentication (a browser asks for it);
 * it is compared in constant time.
 *
 * <pre>
 * GET /                                the batches page
 * GET /batch?id=ID                     a batch's page
 * GET /assets/NAME                     the pages' CSS and JavaScript
 * GET /api/batches                     incomplete first, then the others, newest opened first;
 *                                      incomplete=true, since=2d, attribute=KEY=VALUE (repeatable),
 *                                      limit=N (1..1000, default 25), after=CURSOR (the last page's next)
 * GET /api/batches/ID                  the batch, its hops, strip and timeline
 * GET /api/batches/ID/report.json      Reconciliation.writeJson, sent -> processed
 * GET /api/batches/ID/resend-plan.json the resend plan, sent -> processed
 * GET /api/gate                        the in-flight answer, as in-flight --json; window=10m
 * </pre>
 */
final class DashboardServer implements AutoCloseable {

  /** The most batches one page of /api/batches returns. */
  static final int MAX_PAGE = 1_000;

  /** The page size of /api/batches when none is given. */
  static final int DEFAULT_PAGE = 25;

  private static final String RESOURCES = "/io/recordtracker/cli/dashboard/";
  private static final Map<String, String> PAGES =
      Map.of("/", "batches.html", "/batch", "batch.html");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "js", "text/javascript; charset=utf-8");

  private final RecordTracker tracker;
  private final byte[] token;
  private final Duration window;
  private final int buckets;
  private final String tablePrefix;
  private final HttpServer server;
  private final ExecutorService executor;

  private DashboardServer(
      RecordTracker tracker,
      InetSocketAddress address,
      byte[] token,
      Duration window,
      int buckets,
      String tablePrefix)
      throws IOException {
    this.tracker = tracker;
    this.token = token;
    this.window = window;
    this.buckets = buckets;
    this.tablePrefix = tablePrefix;
    this.server = HttpServer.create(address, 0);
    this.executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "record-tracker-dashboard");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Starts serving {@code tracker} on {@code address} (port 0: any free port).
   *
   * @param token the token every request must carry, or null for none
   * @param window how recent a mark makes a batch in flight, by default
   * @param buckets the most buckets a batch's strip has
   * @param tablePrefix the tables' prefix, for failure messages
   */
  static DashboardServer start(
      RecordTracker tracker,
      InetSocketAddress address,
      String token,
      Duration window,
      int buckets,
      String tablePrefix)
      throws IOException {
    DashboardServer s =
        new DashboardServer(
            tracker,
            address,
            token == null ? null : token.getBytes(StandardCharsets.UTF_8),
            window,
            buckets,
            tablePrefix);
    s.server.start();
    return s;
  }

  /** The address it listens on, with the port chosen when 0 was asked for. */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /** Stops serving: refuses new requests and lets running ones finish for up to a second. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /** A request's failure: the status and the message the client gets as JSON. */
  private static final class HttpFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    HttpFailure(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.getResponseHeaders()
          .set(
              "Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      if (!authorized(ex)) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"record-tracker\"");
        ex.getResponseHeaders()
            .add("WWW-Authenticate", "Basic realm=\"record-tracker\", charset=\"UTF-8\"");
        sendError(ex, 401, "a token is required: Authorization: Bearer TOKEN");
        return;
      }
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        sendError(ex, 405, "read-only: only GET is allowed, not " + ex.getRequestMethod());
        return;
      }
      try {
        route(ex);
      } catch (HttpFailure e) {
        sendError(ex, e.status, e.getMessage());
      } catch (UnknownBatchException e) {
        sendError(ex, 404, FailureText.of(e, tablePrefix));
      } catch (TrackerStoreException e) {
        sendError(ex, 503, FailureText.of(e, tablePrefix));
      } catch (IllegalArgumentException e) {
        sendError(ex, 400, e.getMessage());
      } catch (RuntimeException e) {
        sendError(ex, 500, "unexpected error: " + e);
      }
    }
  }

  private boolean authorized(HttpExchange ex) {
    if (token == null) {
      return true;
    }
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header == null) {
      return false;
    }
    byte[] given;
    if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    } else if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String userAndPassword =
            new String(
                Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
        int colon = userAndPassword.indexOf(':');
        given = userAndPassword.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return false;
      }
    } else {
      return false;
    }
    return MessageDigest.isEqual(token, given);
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    Map<String, List<String>> query = query(ex.getRequestURI().getRawQuery());
    if (PAGES.containsKey(path)) {
      sendResource(ex, PAGES.get(path));
    } else if (path.startsWith("/assets/") && path.indexOf('/', 8) < 0) {
      sendResource(ex, path.substring(8));
    } else if (path.equals("/api/batches")) {
      batches(ex, query);
    } else if (path.equals("/api/gate")) {
      gate(ex, query);
    } else if (path.startsWith("/api/batches/")) {
      String[] parts = path.substring("/api/batches/".length()).split("/", -1);
      BatchId id = BatchId.of(decode(parts[0]));
      if (parts.length == 1) {
        batch(ex, id, query);
      } else if (parts.length == 2 && parts[1].equals("report.json")) {
        Reconciliation r = tracker.reconcile(id);
        download(ex, id, "report");
        sendJson(ex, out -> r.writeJson(out));
      } else if (parts.length == 2 && parts[1].equals("resend-plan.json")) {
        Reconciliation r = tracker.reconcile(id);
        download(ex, id, "resend-plan");
        sendJson(ex, out -> r.resendPlan().writeJson(out));
      } else {
        throw new HttpFailure(404, "no such page: " + path);
      }
    } else {
      throw new HttpFailure(404, "no such page: " + path);
    }
  }

  private static void download(HttpExchange ex, BatchId id, String what) {
    ex.getResponseHeaders()
        .set("Content-Disposition", "attachment; filename=\"" + id + "-" + what + ".json\"");
  }

  // ---------------------------------------------------------------------------------------------
  // The API

  private void batches(HttpExchange ex, Map<String, List<String>> query) throws IOException {
    boolean incompleteOnly = Boolean.parseBoolean(one(query, "incomplete"));
    int limit = one(query, "limit") == null ? DEFAULT_PAGE : intParam(query, "limit");
    if (limit < 1 || limit > MAX_PAGE) {
      throw new HttpFailure(400, "limit must be 1.." + MAX_PAGE + ": " + limit);
    }
    BatchQuery.Builder base = BatchQuery.builder();
    Instant openedAfter = null;
    if (one(query, "since") != null) {
      Duration since = duration(query, "since");
      openedAfter = tracker.clock().instant().minus(since);
      base.openedAfter(openedAfter);
    }
    for (String attribute : query.getOrDefault("attribute", List.of())) {
      int eq = attribute.indexOf('=');
      if (eq <= 0) {
        throw new HttpFailure(
            400, "attribute must be KEY=VALUE, like file=customers.edi: " + attribute);
      }
      base.attribute(attribute.substring(0, eq), attribute.substring(eq + 1));
    }
    Cursor cursor = Cursor.parse(one(query, "after"));
    List<BatchInfo> page = new ArrayList<>();
    Cursor next = null;
    boolean incompletePhase = cursor == null || cursor.incomplete;
    if (incompletePhase) {
      List<BatchInfo> found = page(base, BatchQuery.Completion.INCOMPLETE, cursor, limit + 1);
      page.addAll(found.subList(0, Math.min(limit, found.size())));
      if (found.size() > limit) {
        next = new Cursor(true, page.get(page.size() - 1));
      } else if (!incompleteOnly) {
        cursor = null;
      }
    }
    if (next == null && !incompleteOnly) {
      int room = limit - page.size();
      // Complete and abandoned batches together: neither is watched any more.
      List<BatchInfo> found = page(base, BatchQuery.Completion.CLOSED, cursor, room + 1);
      List<BatchInfo> shown = found.subList(0, Math.min(room, found.size()));
      page.addAll(shown);
      if (found.size() > room) {
        // When the page ended exactly with the last incomplete batch, the complete ones come next.
        BatchInfo last =
            shown.isEmpty() ? (cursor == null ? null : cursor.last) : shown.get(shown.size() - 1);
        next = new Cursor(false, last);
      }
    }
    List<BatchView> views = new ArrayList<>();
    for (BatchInfo b : page) {
      views.add(BatchView.of(tracker, window, b, null));
    }
    Instant after = openedAfter;
    Cursor nextPage = next;
    sendJson(
        ex,
        out -> {
          try (JsonGenerator g = Render.json(out)) {
            g.writeStartObject();
            g.writeStringField("openedAfter", after == null ? null : after.toString());
            g.writeBooleanField("incompleteOnly", incompleteOnly);
            g.writeNumberField("limit", limit);
            g.writeNumberField("count", views.size());
            g.writeStringField("next", nextPage == null ? null : nextPage.toString());
            g.writeArrayFieldStart("batches");
            for (BatchView v : views) {
              v.writeJson(g);
            }
            g.writeEndArray();
            g.writeEndObject();
          }
        });
  }

  private List<BatchInfo> page(
      BatchQuery.Builder base, BatchQuery.Completion completion, Cursor cursor, int limit) {
    BatchQuery.Builder q = base.build().toBuilder().completion(completion).limit(limit);
    if (cursor != null && cursor.last != null) {
      q.startAfter(cursor.last);
    }
    return tracker.batches(q.build());
  }

  /** Where the next page starts: the phase (incomplete or complete) and the last batch shown. */
  private static final class Cursor {
    final boolean incomplete;
    final BatchInfo last;

    Cursor(boolean incomplete, BatchInfo last) {
      this.incomplete = incomplete;
      this.last = last;
    }

    static Cursor parse(String text) {
      if (text == null || text.isEmpty()) {
        return null;
      }
      String[] parts = text.split("~", -1);
      if (parts.length == 1 && (parts[0].equals("i") || parts[0].equals("c"))) {
        return new Cursor(parts[0].equals("i"), null);
      }
      if (parts.length != 3 || !(parts[0].equals("i") || parts[0].equals("c"))) {
        throw new HttpFailure(400, "after must be a page's next cursor: " + text);
      }
      try {
        BatchInfo last = BatchInfo.of(BatchId.of(parts[2]), 0, Instant.parse(parts[1]), Map.of());
        return new Cursor(parts[0].equals("i"), last);
      } catch (DateTimeParseException e) {
        throw new HttpFailure(400, "after must be a page's next cursor: " + text);
      }
    }

    @Override
    public String toString() {
      String phase = incomplete ? "i" : "c";
      return last == null ? phase : phase + "~" + last.openedAt() + "~" + last.id();
    }
  }

  private void batch(HttpExchange ex, BatchId id, Map<String, List<String>> query)
      throws IOException {
    BatchInfo info = tracker.batch(id).orElseThrow(() -> new UnknownBatchException(id));
    Reconciliation end = tracker.reconcile(id);
    // Read again: the reconciliation may just have recorded the completion.
    BatchInfo now = end.isComplete() ? tracker.batch(id).orElse(info) : info;
    BatchView v = BatchView.of(tracker, window, now, end);
    StripBuckets strip =
        StripBuckets.of(
            end.expectedRecords(), buckets, end.missing(), end.absentUpstream(), end.unexpected());
    String base = "/api/batches/" + id;
    sendJson(
        ex,
        out -> {
          try (JsonGenerator g = Render.json(out)) {
            g.writeStartObject();
            g.writeFieldName("view");
            v.writeJson(g);
            g.writeObjectFieldStart("endToEnd");
            g.writeStringField("upstream", end.upstream().name());
            g.writeStringField("downstream", end.downstream().name());
            g.writeNumberField("missing", end.missingCount());
            g.writeNumberField("absentUpstream", end.absentUpstreamCount());
            g.writeNumberField("unexpected", end.unexpectedCount());
            g.writeNumberField("missingRanges", end.missing().size());
            g.writeNumberField("absentUpstreamRanges", end.absentUpstream().size());
            g.writeNumberField("unexpectedRanges", end.unexpected().size());
            g.writeBooleanField("complete", end.isComplete());
            g.writeEndObject();
            g.writeFieldName("strip");
            strip.writeJson(g);
            g.writeArrayFieldStart("timeline");
            for (Map.Entry<String, Instant> e : v.timeline().entrySet()) {
              g.writeStartObject();
              g.writeStringField("event", e.getKey());
              g.writeStringField("at", e.getValue().toString());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("links");
            g.writeStringField("report", base + "/report.json");
            g.writeStringField("resendPlan", base + "/resend-plan.json");
            g.writeEndObject();
            g.writeEndObject();
          }
        });
  }

  private void gate(HttpExchange ex, Map<String, List<String>> query) throws IOException {
    Duration w = one(query, "window") == null ? window : duration(query, "window");
    InFlightReport report = tracker.inFlightReport(w);
    sendJson(
        ex,
        out -> {
          try (JsonGenerator g = Render.json(out)) {
            Render.writeInFlight(g, w, report);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  private interface Body {
    void write(PrintWriter out) throws IOException;
  }

  private static void sendJson(HttpExchange ex, Body body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(200, head ? -1 : 0);
    if (head) {
      return;
    }
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(ex.getResponseBody(), StandardCharsets.UTF_8));
    body.write(out);
    out.println();
    out.flush();
  }

  private static void sendError(HttpExchange ex, int status, String message) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    java.io.StringWriter text = new java.io.StringWriter();
    try (PrintWriter w = new PrintWriter(text);
        JsonGenerator g = Render.json(w)) {
      g.writeStartObject();
      g.writeNumberField("status", status);
      g.writeStringField("error", message);
      g.writeEndObject();
    }
    byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      ex.getResponseBody().write(bytes);
    }
  }

  private static void sendResource(HttpExchange ex, String name) throws IOException {
    int dot = name.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
    InputStream in =
        type == null ? null : DashboardServer.class.getResourceAsStream(RESOURCES + name);
    if (in == null) {
      throw new HttpFailure(404, "no such page: " + ex.getRequestURI().getPath());
    }
    byte[] bytes;
    try (in) {
      bytes = in.readAllBytes();
    }
    ex.getResponseHeaders().set("Content-Type", type);
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(200, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String one(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }

  private static Duration duration(Map<String, List<String>> query, String name) {
    try {
      return new DurationConverter().convert(one(query, name));
    } catch (CommandLine.TypeConversionException e) {
      throw new HttpFailure(400, name + ": " + e.getMessage());
    }
  }

  private static int intParam(Map<String, List<String>> query, String name) {
    try {
      return Integer.parseInt(one(query, name));
    } catch (NumberFormatException e) {
      throw new HttpFailure(400, name + " must be a number: " + one(query, name));
    }
  }
}
