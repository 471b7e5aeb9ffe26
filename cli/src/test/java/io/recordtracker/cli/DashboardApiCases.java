package io.recordtracker.cli;

import static io.recordtracker.Json.at;
import static io.recordtracker.Json.listAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Json;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's JSON API, served by {@code record-tracker serve} in this JVM, against one
 * database; subclasses say which. Each test writes its own tables (a unique prefix).
 */
abstract class DashboardApiCases {

  private final String prefix = "d" + UUID.randomUUID().toString().substring(0, 8) + "_";
  final Map<String, String> env = new HashMap<>();
  private Seed seed;
  private final List<Served> served = new ArrayList<>();

  /** The JDBC URL of the database under test. */
  abstract String url();

  abstract String user();

  /** The password, or null for none. */
  abstract String password();

  Seed seed() {
    if (seed == null) {
      seed = new Seed(url(), user(), password(), prefix);
    }
    return seed;
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Served s : served) {
      s.close();
    }
    if (seed != null) {
      seed.close();
    }
  }

  /** Serves the tables with these extra options on a free port. */
  Served serve(String... options) throws InterruptedException {
    seed(); // creates the tables
    List<String> args = new ArrayList<>(List.of("serve", "--port", "0"));
    args.addAll(List.of(options));
    args.addAll(List.of("--jdbc-url", url(), "--user", user(), "--table-prefix", prefix));
    if (password() != null) {
      env.put("RT_PW", password());
      args.addAll(List.of("--password-env", "RT_PW"));
    }
    Served s = Served.start(env, args.toArray(String[]::new));
    served.add(s);
    return s;
  }

  private Cli.Result cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--jdbc-url", url(), "--user", user(), "--table-prefix", prefix));
    if (password() != null) {
      env.put("RT_PW", password());
      all.addAll(List.of("--password-env", "RT_PW"));
    }
    return Cli.run(env, all.toArray(String[]::new));
  }

  private static Map<String, Object> json(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
    return Json.parseObject(r.body());
  }

  private BatchId complete(String id, String run) {
    BatchId batch = BatchId.of(id);
    seed().tracker.openBatch(batch, 10, Map.of("run", run));
    seed().tracker.markSent(batch, RecordRange.of(0, 9));
    seed().tracker.markProcessed(batch, RecordRange.of(0, 9));
    seed().tracker.flush();
    seed().tracker.reconcile(batch);
    return batch;
  }

  private BatchId incomplete(String id, String run) {
    return seed().sentBatch(id, Map.of("run", run), RecordRange.of(0, 9));
  }

  /**
   * 1,000 records expected, 0-979 sent (980-999 never), 0-949 received (950-979 lost on the way),
   * processed all received but 100-199 and 500.
   */
  private BatchId lossyBatch(String id) {
    BatchId batch = BatchId.of(id);
    Stage received = Stage.of("received");
    seed().tracker.openBatch(batch, 1_000, Map.of("file", "customers.edi", "customer", "acme"));
    seed().tracker.markSent(batch, RecordRange.of(0, 979));
    seed().tracker.mark(batch, received, RecordRange.of(0, 949));
    seed().tracker.markProcessed(batch, RecordRange.of(0, 99));
    seed().tracker.markProcessed(batch, RecordRange.of(200, 499));
    seed().tracker.markProcessed(batch, RecordRange.of(501, 949));
    seed().tracker.flush();
    return batch;
  }

  private static String hop(Map<String, Object> h) {
    return h.get("upstream")
        + "->"
        + h.get("downstream")
        + " "
        + h.get("upstreamRecords")
        + "->"
        + h.get("downstreamRecords")
        + " missing "
        + h.get("missing")
        + " never upstream "
        + h.get("absentUpstream")
        + " unexpected "
        + h.get("unexpected")
        + " complete "
        + h.get("complete");
  }

  @Test
  void batches_come_incomplete_first_then_newest_with_every_field() throws Exception {
    seed().at(Duration.ofHours(3));
    complete("OLD-DONE", "r1");
    seed().at(Duration.ofHours(2));
    lossyBatch("EDI-1");
    seed().at(Duration.ofHours(1));
    complete("NEW-DONE", "r1");
    seed().at(Duration.ofDays(3));
    seed().tracker.openBatch(BatchId.of("ANCIENT"), 5);
    Served s = serve("--window", "30m");

    Map<String, Object> page = json(s.get("/api/batches"));
    assertThat(listAt(page, "batches").stream().map(b -> at(b, "batch", "id")))
        .containsExactly("EDI-1", "ANCIENT", "NEW-DONE", "OLD-DONE");
    Map<String, Object> recent = json(s.get("/api/batches?since=2d"));
    assertThat(listAt(recent, "batches").stream().map(b -> at(b, "batch", "id")))
        .containsExactly("EDI-1", "NEW-DONE", "OLD-DONE");
    assertThat(recent.get("openedAfter")).isNotNull();
    assertThat(recent.get("incompleteOnly")).isEqualTo(false);
    assertThat(recent.get("limit")).isEqualTo(25L);
    assertThat(recent.get("count")).isEqualTo(3L);
    assertThat(recent.get("next")).isNull();

    Map<String, Object> edi = listAt(recent, "batches").get(0);
    assertThat(at(edi, "batch", "expectedRecords")).isEqualTo(1000L);
    assertThat(at(edi, "batch", "complete")).isEqualTo(false);
    assertThat(at(edi, "batch", "completedAt")).isNull();
    assertThat(at(edi, "batch", "attributes"))
        .isEqualTo(Map.of("file", "customers.edi", "customer", "acme"));
    assertThat(
            ((Map<?, ?>) at(edi, "batch", "lastMarkedAt")).keySet().stream().map(Object::toString))
        .containsExactlyInAnyOrder("sent", "received", "processed");
    assertThat(at(edi, "state")).isEqualTo("stalled");
    assertThat(listAt(edi, "stages"))
        .extracting(m -> m.get("stage") + "=" + m.get("records"))
        .containsExactly("sent=980", "received=950", "processed=849");
    assertThat(listAt(edi, "hops"))
        .extracting(DashboardApiCases::hop)
        .containsExactly(
            "sent->received 980->950 missing 30 never upstream 20 unexpected 0 complete false",
            "received->processed 950->849 missing 101 never upstream 50 unexpected 0 complete"
                + " false");

    Map<String, Object> done = listAt(recent, "batches").get(1);
    assertThat(at(done, "state")).isEqualTo("complete");
    assertThat(at(done, "batch", "completedAt")).isNotNull();
    assertThat(listAt(done, "stages"))
        .extracting(m -> m.get("stage") + "=" + m.get("records"))
        .containsExactly("sent=10", "processed=10");
    Map<String, Object> ancient = listAt(page, "batches").get(1);
    assertThat(at(ancient, "state")).isEqualTo("opened");
  }

  @Test
  void an_abandoned_batch_is_listed_after_the_incomplete_ones_with_the_complete_ones()
      throws Exception {
    String run = UUID.randomUUID().toString();
    seed().at(Duration.ofHours(3));
    incomplete("OLDER-OPEN", run);
    seed().at(Duration.ofHours(2));
    BatchId abandoned = incomplete("CANCELLED", run);
    seed().tracker.abandon(abandoned, "cancelled send");
    seed().at(Duration.ofHours(1));
    complete("DONE", run);
    Served s = serve();

    Map<String, Object> page = json(s.get("/api/batches?attribute=run%3D" + run));
    assertThat(listAt(page, "batches").stream().map(b -> at(b, "batch", "id")))
        .containsExactly("OLDER-OPEN", "DONE", "CANCELLED");
    assertThat(listAt(page, "batches").stream().map(b -> at(b, "state")))
        .containsExactly("stalled", "complete", "abandoned");
    Map<String, Object> cancelled = listAt(page, "batches").get(2);
    assertThat(at(cancelled, "batch", "abandoned")).isEqualTo(true);
    assertThat(at(cancelled, "batch", "abandonReason")).isEqualTo("cancelled send");
    assertThat(at(cancelled, "batch", "abandonedAt"))
        .isEqualTo(
            seed().tracker.batch(abandoned).orElseThrow().abandonedAt().orElseThrow().toString());

    Map<String, Object> open = json(s.get("/api/batches?incomplete=true&attribute=run%3D" + run));
    assertThat(listAt(open, "batches").stream().map(b -> at(b, "batch", "id")))
        .containsExactly("OLDER-OPEN");
  }

  @Test
  void pages_follow_the_cursor_through_incomplete_then_complete_batches() throws Exception {
    String run = UUID.randomUUID().toString();
    for (int i = 1; i <= 5; i++) {
      seed().at(Duration.ofMinutes(100 - i));
      incomplete("I" + i, run);
    }
    for (int i = 1; i <= 3; i++) {
      seed().at(Duration.ofMinutes(50 - i));
      complete("C" + i, run);
    }
    seed().tracker.openBatch(BatchId.of("OTHER-RUN"), 5, Map.of("run", "else"));
    Served s = serve();

    List<List<Object>> pages = new ArrayList<>();
    String next = "";
    do {
      Map<String, Object> page =
          json(s.get("/api/batches?limit=3&attribute=run%3D" + run + "&after=" + next));
      pages.add(listAt(page, "batches").stream().map(b -> at(b, "batch", "id")).toList());
      next = (String) page.get("next");
    } while (next != null && pages.size() < 10);
    assertThat(pages)
        .containsExactly(List.of("I5", "I4", "I3"), List.of("I2", "I1", "C3"), List.of("C2", "C1"));

    List<List<Object>> incompletePages = new ArrayList<>();
    next = "";
    do {
      Map<String, Object> page =
          json(
              s.get(
                  "/api/batches?incomplete=true&limit=2&attribute=run%3D"
                      + run
                      + "&after="
                      + next));
      assertThat(page.get("incompleteOnly")).isEqualTo(true);
      incompletePages.add(listAt(page, "batches").stream().map(b -> at(b, "batch", "id")).toList());
      next = (String) page.get("next");
    } while (next != null && incompletePages.size() < 10);
    assertThat(incompletePages)
        .containsExactly(List.of("I5", "I4"), List.of("I3", "I2"), List.of("I1"));

    // A page that ends with the last incomplete batch points at the complete ones.
    Map<String, Object> exact = json(s.get("/api/batches?limit=5&attribute=run%3D" + run));
    assertThat(exact.get("next")).isEqualTo("c");
    Map<String, Object> rest = json(s.get("/api/batches?limit=5&after=c&attribute=run%3D" + run));
    assertThat(listAt(rest, "batches").stream().map(b -> at(b, "batch", "id")))
        .containsExactly("C3", "C2", "C1");
  }

  @Test
  void a_batch_has_its_hops_its_strip_exact_at_bucket_edges_and_its_timeline() throws Exception {
    BatchId id = lossyBatch("EDI-2");
    Served s = serve("--buckets", "10");

    Map<String, Object> batch = json(s.get("/api/batches/EDI-2"));

    assertThat(at(batch, "view", "batch", "id")).isEqualTo("EDI-2");
    assertThat(listAt(batch, "view", "hops")).hasSize(2);
    assertThat(at(batch, "endToEnd"))
        .isEqualTo(
            Map.of(
                "upstream", "sent",
                "downstream", "processed",
                "missing", 131L,
                "absentUpstream", 20L,
                "unexpected", 0L,
                "missingRanges", 3L,
                "absentUpstreamRanges", 1L,
                "unexpectedRanges", 0L,
                "complete", false));
    assertThat(at(batch, "strip", "space")).isEqualTo(1000L);
    assertThat(at(batch, "strip", "bucketCount")).isEqualTo(10L);
    List<Map<String, Object>> buckets = listAt(batch, "strip", "buckets");
    assertThat(buckets)
        .extracting(
            b ->
                b.get("index")
                    + ":"
                    + b.get("first")
                    + "-"
                    + b.get("last")
                    + " missing "
                    + at(b, "missing", "count")
                    + " "
                    + at(b, "missing", "ranges")
                    + " never sent "
                    + at(b, "absentUpstream", "count")
                    + " "
                    + at(b, "absentUpstream", "ranges")
                    + " unexpected "
                    + at(b, "unexpected", "count"))
        .containsExactly(
            "1:100-199 missing 100 [[100, 199]] never sent 0 [] unexpected 0",
            "5:500-599 missing 1 [[500, 500]] never sent 0 [] unexpected 0",
            "9:900-999 missing 30 [[950, 979]] never sent 20 [[980, 999]] unexpected 0");
    assertThat(at(buckets.get(2), "missing", "rangeCount")).isEqualTo(1L);
    assertThat(listAt(batch, "timeline"))
        .extracting(e -> e.get("event"))
        .containsExactlyInAnyOrder(
            "opened", "last marked sent", "last marked received", "last marked processed");
    assertThat(at(batch, "timeline", 0, "event")).isEqualTo("opened");
    assertThat(at(batch, "links"))
        .isEqualTo(
            Map.of(
                "report", "/api/batches/EDI-2/report.json",
                "resendPlan", "/api/batches/EDI-2/resend-plan.json"));

    HttpResponse<String> report = s.get("/api/batches/EDI-2/report.json");
    assertThat(report.statusCode()).isEqualTo(200);
    assertThat(report.body().strip()).isEqualTo(seed().tracker.reconcile(id).toJson());
    assertThat(report.headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=\"EDI-2-report.json\"");
    HttpResponse<String> plan = s.get("/api/batches/EDI-2/resend-plan.json");
    assertThat(plan.statusCode()).isEqualTo(200);
    assertThat(plan.body().strip()).isEqualTo(seed().tracker.reconcile(id).resendPlan().toJson());
  }

  @Test
  void the_gate_gives_the_in_flight_commands_answer() throws Exception {
    seed().at(Duration.ofHours(2));
    incomplete("STALLED", "g");
    Served s = serve();

    Map<String, Object> quiet = json(s.get("/api/gate"));
    assertThat(quiet.get("quiet")).isEqualTo(true);
    assertThat(quiet.get("window")).isEqualTo("PT10M");
    assertThat(listAt(quiet, "inFlight")).isEmpty();
    assertThat(listAt(quiet, "unreadable")).isEmpty();

    seed().at(Duration.ZERO);
    incomplete("BUSY", "g");
    HttpResponse<String> busy = s.get("/api/gate");
    assertThat(busy.statusCode()).isEqualTo(200);
    assertThat(Json.parseObject(busy.body()).get("quiet")).isEqualTo(false);
    assertThat(at(Json.parseObject(busy.body()), "inFlight", 0, "id")).isEqualTo("BUSY");
    Cli.Result command = cli("in-flight", "--json");
    assertThat(command.code()).isEqualTo(Exit.IN_FLIGHT);
    assertThat(busy.body()).isEqualTo(command.out());

    Map<String, Object> wide = json(s.get("/api/gate?window=3h"));
    assertThat(wide.get("window")).isEqualTo("PT3H");
    assertThat(listAt(wide, "inFlight").stream().map(b -> b.get("id")))
        .containsExactlyInAnyOrder("BUSY", "STALLED");
  }

  @Test
  void with_a_token_every_request_must_carry_it() throws Exception {
    env.put("RT_TOKEN", "s3cret-token");
    Served s = serve("--token-env", "RT_TOKEN");
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString("ops:s3cret-token".getBytes(StandardCharsets.UTF_8));

    for (String path : List.of("/", "/assets/dashboard.js", "/api/batches", "/api/gate")) {
      HttpResponse<String> none = s.get(path);
      assertThat(none.statusCode()).as(path).isEqualTo(401);
      assertThat(none.headers().allValues("WWW-Authenticate"))
          .containsExactly(
              "Bearer realm=\"record-tracker\"",
              "Basic realm=\"record-tracker\", charset=\"UTF-8\"");
      assertThat(s.get(path, "Authorization", "Bearer s3cret-tokeN").statusCode())
          .as(path)
          .isEqualTo(401);
      assertThat(s.get(path, "Authorization", "Bearer s3cret-token").statusCode())
          .as(path)
          .isEqualTo(200);
      assertThat(s.get(path, "Authorization", basic).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(Json.parseObject(s.get("/api/gate").body()))
        .isEqualTo(
            Map.of("status", 401L, "error", "a token is required: Authorization: Bearer TOKEN"));
  }

  @Test
  void a_token_variable_that_is_not_set_stops_serve_with_exit_78() throws Exception {
    Served s = serve("--token-env", "RT_NO_SUCH_TOKEN");

    assertThat(s.base).isNull();
    assertThat(s.exitCode()).isEqualTo(Exit.CONFIG);
    assertThat(s.err.toString())
        .isEqualTo(
            "record-tracker: the environment variable RT_NO_SUCH_TOKEN named by --token-env is"
                + " not set\n");
  }

  @Test
  void it_listens_on_127_0_0_1_unless_told_otherwise() throws Exception {
    Served s = serve();

    assertThat(s.base).startsWith("http://127.0.0.1:");
    assertThat(s.out.toString())
        .isEqualTo("Dashboard on " + s.base + " (read-only; Ctrl-C stops it)\n");
    assertThat(s.err.toString()).isEmpty();
  }

  @Test
  void only_get_is_allowed() throws Exception {
    lossyBatch("EDI-3");
    Served s = serve();

    for (String path : List.of("/", "/api/batches", "/api/batches/EDI-3", "/api/gate")) {
      for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
        HttpResponse<String> r = s.send(method, path);
        assertThat(r.statusCode()).as(method + " " + path).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
      }
    }
    assertThat(seed().tracker.batch(BatchId.of("EDI-3")).orElseThrow().isComplete()).isFalse();
  }

  @Test
  void bad_requests_are_answered_with_their_reason() throws Exception {
    Served s = serve();

    HttpResponse<String> unknown = s.get("/api/batches/NOPE");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(Json.parseObject(unknown.body()).get("error"))
        .isEqualTo(
            "no batch NOPE in the store (table "
                + prefix
                + "batch): it was never opened, or it was purged");
    HttpResponse<String> limit = s.get("/api/batches?limit=0");
    assertThat(limit.statusCode()).isEqualTo(400);
    assertThat(Json.parseObject(limit.body()).get("error")).isEqualTo("limit must be 1..1000: 0");
    assertThat(s.get("/api/batches?after=garbage").statusCode()).isEqualTo(400);
    assertThat(s.get("/api/batches?since=soon").statusCode()).isEqualTo(400);
    assertThat(s.get("/api/batches?attribute=novalue").statusCode()).isEqualTo(400);
    assertThat(s.get("/api/nothing").statusCode()).isEqualTo(404);
    assertThat(s.get("/assets/../pom.xml").statusCode()).isEqualTo(404);
  }

  @Test
  void the_pages_are_served_from_the_jar() throws Exception {
    Served s = serve();

    HttpResponse<String> batches = s.get("/");
    assertThat(batches.statusCode()).isEqualTo(200);
    assertThat(batches.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(batches.body()).contains("<title>Batches · record-tracker</title>");
    HttpResponse<String> batch = s.get("/batch?id=X");
    assertThat(batch.body()).contains("<title>Batch · record-tracker</title>");
    assertThat(s.get("/assets/dashboard.css").headers().firstValue("Content-Type"))
        .hasValue("text/css; charset=utf-8");
    assertThat(s.get("/assets/dashboard.js").headers().firstValue("Content-Type"))
        .hasValue("text/javascript; charset=utf-8");
  }
}
