package io.recordtracker.cli;

import static io.recordtracker.Json.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchQuery;
import io.recordtracker.Json;
import io.recordtracker.RecordRange;
import io.recordtracker.ResendPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The command in this JVM against an H2 database: exit codes, text and JSON. */
class RecordTrackerCliTest {

  private final String url =
      "jdbc:h2:mem:cli_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";
  private final Map<String, String> env = new HashMap<>(Map.of("RT_PW", "pw"));
  private final Seed seed = new Seed(url, "sa", "pw");

  @AfterEach
  void close() {
    seed.close();
  }

  private Cli.Result cli(String... args) {
    String[] all = new String[args.length + 6];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(
        new String[] {"--jdbc-url", url, "--user", "sa", "--password-env", "RT_PW"},
        0,
        all,
        args.length,
        6);
    return Cli.run(env, all);
  }

  /** 1,000 records sent; 100-199 and 500 never processed. */
  private BatchId lossyBatch() {
    return seed.sentBatch(
        "EDI-1",
        Map.of("file", "customers.edi"),
        RecordRange.of(0, 99),
        RecordRange.of(200, 499),
        RecordRange.of(501, 999));
  }

  private BatchId completeBatch(String name) {
    BatchId id = BatchId.of(name);
    seed.tracker.openBatch(id, 10);
    seed.tracker.markSent(id, RecordRange.of(0, 9));
    seed.tracker.markProcessed(id, RecordRange.of(0, 9));
    seed.tracker.flush();
    return id;
  }

  @Test
  void reconcile_exits_2_and_names_the_missing_ranges() {
    lossyBatch();

    Cli.Result r = cli("reconcile", "--batch", "EDI-1");

    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.out())
        .contains("Batch EDI-1  sent -> processed  (1000 records expected, opened ")
        .contains("  attributes:        file=customers.edi\n")
        .contains("  INCOMPLETE: 101 missing, 0 never sent, 0 unexpected, 0 repeated\n")
        .contains("  missing (resend):  100-199, 500\n");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void reconcile_json_is_the_reconciliation_schema_with_every_range() {
    lossyBatch();

    Cli.Result r = cli("reconcile", "--batch", "EDI-1", "--json");

    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    Map<String, Object> json = Json.parseObject(r.out());
    assertThat(json.get("batch")).isEqualTo("EDI-1");
    assertThat(json.get("complete")).isEqualTo(false);
    assertThat(json.get("expected")).isEqualTo(1000L);
    assertThat(at(json, "stages")).isEqualTo(Map.of("upstream", "sent", "downstream", "processed"));
    assertThat(at(json, "counts"))
        .isEqualTo(Map.of("missing", 101L, "absentUpstream", 0L, "unexpected", 0L, "repeated", 0L));
    assertThat(at(json, "ranges", "missing"))
        .isEqualTo(List.of(List.of(100L, 199L), List.of(500L, 500L)));
  }

  @Test
  void reconcile_plan_prints_the_resend_plan_json_and_exits_as_reconcile() {
    lossyBatch();
    completeBatch("DONE-P");

    Cli.Result lossy = cli("reconcile", "--batch", "EDI-1", "--plan");
    Cli.Result done = cli("reconcile", "--batch", "DONE-P", "--plan", "--json");
    Cli.Result unknown = cli("reconcile", "--batch", "NOPE", "--plan");

    assertThat(lossy.code()).as(lossy.toString()).isEqualTo(2);
    assertThat(lossy.out())
        .isEqualTo(
            "{\"schemaVersion\":1,\"batch\":\"EDI-1\","
                + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
                + "\"attributes\":{\"file\":\"customers.edi\"},"
                + "\"counts\":{\"records\":101,\"ranges\":2},"
                + "\"ranges\":[[100,199],[500,500]]}\n");
    assertThat(ResendPlan.fromJson(lossy.out()).ranges())
        .containsExactly(RecordRange.of(100, 199), RecordRange.single(500));
    assertThat(lossy.err()).isEmpty();
    assertThat(done.code()).as(done.toString()).isEqualTo(0);
    assertThat(done.out())
        .isEqualTo(
            "{\"schemaVersion\":1,\"batch\":\"DONE-P\","
                + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
                + "\"attributes\":{},\"counts\":{\"records\":0,\"ranges\":0},"
                + "\"ranges\":[]}\n");
    assertThat(unknown.code()).as(unknown.toString()).isEqualTo(66);
    assertThat(unknown.out()).isEmpty();
  }

  @Test
  void reconcile_exits_0_for_a_complete_batch_and_records_its_completion() {
    completeBatch("DONE-1");

    Cli.Result r = cli("reconcile", "--batch", "DONE-1");

    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    assertThat(r.out())
        .contains("  COMPLETE: all 10 records reached sent and processed, 0 repeated\n");
    assertThat(seed.tracker.batch(BatchId.of("DONE-1")).orElseThrow().isComplete()).isTrue();
  }

  @Test
  void reconcile_of_custom_stages() {
    BatchId id = BatchId.of("B-R");
    seed.tracker.openBatch(id, 10);
    seed.tracker.markSent(id, RecordRange.of(0, 9));
    seed.tracker.mark(id, io.recordtracker.Stage.of("received"), RecordRange.of(0, 7));
    seed.tracker.flush();

    Cli.Result r =
        cli("reconcile", "--batch", "B-R", "--upstream", "sent", "--downstream", "received");

    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.out()).contains("sent -> received").contains("  missing (resend):  8-9\n");
  }

  @Test
  void reconcile_lists_the_records_processed_twice() {
    BatchId id = BatchId.of("TWICE-1");
    seed.tracker.openBatch(id, 1_000);
    seed.tracker.markSent(id, RecordRange.of(0, 999));
    seed.tracker.markProcessed(id, RecordRange.of(0, 599));
    seed.tracker.flush();
    seed.tracker.markProcessed(id, RecordRange.of(500, 999)); // a resend overlapping 500-599
    seed.tracker.markProcessed(id, 42);
    seed.tracker.mark(id, io.recordtracker.Stage.of("received"), 7);
    seed.tracker.flush();
    seed.tracker.mark(id, io.recordtracker.Stage.of("received"), 7);
    seed.tracker.flush();

    Cli.Result r = cli("reconcile", "--batch", "TWICE-1");

    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    assertThat(r.out())
        .contains("  COMPLETE: all 1000 records reached sent and processed, 101 repeated\n")
        .contains("  repeated:          42, 500-599 (101 records processed twice or more)\n");
    Cli.Result json = cli("reconcile", "--batch", "TWICE-1", "--json");
    assertThat(json.out())
        .contains("\"repeated\":101}")
        .contains("\"repeated\":[[42,42],[500,599]]");
    Cli.Result custom =
        cli("reconcile", "--batch", "TWICE-1", "--downstream", "received", "--count-repeats");
    assertThat(custom.out())
        .contains("999 missing, 0 never sent, 0 unexpected, 1 repeated\n")
        .contains("  repeated:          7 (1 record received twice or more)\n");
    assertThat(cli("reconcile", "--batch", "TWICE-1", "--downstream", "received").out())
        .contains("999 missing, 0 never sent, 0 unexpected\n")
        .doesNotContain("repeated");
  }

  @Test
  void a_stage_typo_exits_64_naming_the_known_stages_instead_of_reporting_everything_missing() {
    lossyBatch();

    Cli.Result typo = cli("reconcile", "--batch", "EDI-1", "--downstream", "procesed");

    assertThat(typo.code()).as(typo.toString()).isEqualTo(64);
    assertThat(typo.out()).isEmpty();
    assertThat(typo.err())
        .isEqualTo(
            "record-tracker: no stage \"procesed\" in the store: no batch was ever marked at it"
                + " and it was not declared. The store knows processed, sent. A typo? A new stage"
                + " is known once a record is marked at it, or declared up front with"
                + " RecordTracker.declareStages\n");

    Cli.Result upper = cli("reconcile", "--batch", "EDI-1", "--downstream", "Processed");
    assertThat(upper.code()).isEqualTo(64);
    assertThat(upper.err())
        .startsWith(
            "record-tracker: --downstream Processed: stage names are lower case (did you mean"
                + " processed?)");
  }

  @Test
  void unknown_batch_exits_66() {
    Cli.Result r = cli("reconcile", "--batch", "NOPE");

    assertThat(r.code()).isEqualTo(66);
    assertThat(r.err())
        .isEqualTo(
            "record-tracker: no batch NOPE in the store (table rt_batch): it was never opened, or"
                + " it was purged\n");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void bad_arguments_exit_64_with_a_pointer_to_help() {
    Cli.Result missing = cli("reconcile");
    assertThat(missing.code()).isEqualTo(64);
    assertThat(missing.err())
        .contains("Missing required option: '--batch=ID'")
        .contains("Try 'record-tracker reconcile --help' for the options.");

    Cli.Result duration = cli("batches", "--since", "2x");
    assertThat(duration.code()).isEqualTo(64);
    assertThat(duration.err())
        .contains(
            "'2x' is not a duration: write it like 30d, 12h, 10m, 45s, 1h30m or ISO-8601 (PT15M)");

    assertThat(cli("in-flight", "--window", "0m").code()).isEqualTo(64);
    assertThat(cli("batches", "--frobnicate").code()).isEqualTo(64);
    Cli.Result badId = cli("reconcile", "--batch", "a b");
    assertThat(badId.code()).isEqualTo(64);
    assertThat(badId.err()).contains("batch id must be 1-128 characters of [A-Za-z0-9._:-]");
    assertThat(Cli.run(env).code()).isEqualTo(64); // no command
    assertThat(Cli.run(env, "batches").err())
        .contains(
            "--jdbc-url is required (or set the environment variable RECORDTRACKER_JDBC_URL)");
  }

  @Test
  void help_on_every_command_exits_0() {
    for (String command :
        List.of("reconcile", "batches", "in-flight", "monitor", "purge", "abandon")) {
      Cli.Result r = Cli.run(env, command, "--help");
      assertThat(r.code()).as(command).isEqualTo(0);
      assertThat(r.out()).startsWith("Usage: record-tracker " + command).contains("--jdbc-url=URL");
    }
    Cli.Result top = Cli.run(env, "--help");
    assertThat(top.code()).isEqualTo(0);
    assertThat(top.out()).contains("Exit codes:").contains("  66  unknown batch");
  }

  @Test
  void url_no_driver_accepts_exits_65_without_echoing_the_url() {
    Cli.Result r = Cli.run(env, "batches", "--jdbc-url", "jdbc:oracle:thin:scott/tiger@db:1521");
    assertThat(r.code()).isEqualTo(65);
    assertThat(r.err())
        .isEqualTo(
            "record-tracker: no bundled JDBC driver accepts jdbc:oracle:… URLs; supported are"
                + " jdbc:postgresql:, jdbc:mariadb: and jdbc:h2:\n");

    Cli.Result notJdbc = Cli.run(env, "batches", "--jdbc-url", "postgres://u:secret@h/db");
    assertThat(notJdbc.code()).isEqualTo(65);
    assertThat(notJdbc.err()).contains("not a JDBC URL").doesNotContain("secret");
  }

  @Test
  void unreachable_database_exits_69() {
    Cli.Result r =
        Cli.run(env, "batches", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/none", "--user", "x");
    assertThat(r.code()).as(r.toString()).isEqualTo(69);
    assertThat(r.err()).contains("the database is unreachable");
  }

  @Test
  void wrong_password_exits_77_and_password_file_is_read() throws IOException {
    env.put("RT_PW", "wrong");
    Cli.Result wrong = cli("batches");
    assertThat(wrong.code()).as(wrong.toString()).isEqualTo(77);
    assertThat(wrong.err()).contains("rejected the credentials");

    Path file = Files.createTempFile("pw", ".txt");
    Files.writeString(file, "pw\n", StandardCharsets.UTF_8);
    Cli.Result fromFile =
        Cli.run(
            env, "batches", "--jdbc-url", url, "--user", "sa", "--password-file", file.toString());
    assertThat(fromFile.code()).as(fromFile.toString()).isEqualTo(0);
    Files.delete(file);
  }

  @Test
  void password_variable_named_but_unset_exits_78() {
    Cli.Result r = Cli.run(env, "batches", "--jdbc-url", url, "--password-env", "NOT_SET_ANYWHERE");
    assertThat(r.code()).isEqualTo(78);
    assertThat(r.err())
        .isEqualTo(
            "record-tracker: the environment variable NOT_SET_ANYWHERE named by --password-env is"
                + " not set\n");
  }

  @Test
  void unknown_host_exits_69_naming_the_host() {
    Cli.Result r =
        Cli.run(
            env,
            "batches",
            "--jdbc-url",
            "jdbc:postgresql://no-such-host.invalid:5432/app",
            "--user",
            "x");
    assertThat(r.code()).as(r.toString()).isEqualTo(69);
    assertThat(r.err())
        .startsWith(
            "record-tracker: the database is unreachable: the host no-such-host.invalid could not"
                + " be resolved (")
        .contains("check that it is running and that the host, port and database in --jdbc-url")
        .doesNotContain("DataSource");
  }

  @Test
  void a_database_that_does_not_exist_exits_74_saying_to_create_it_not_the_tables()
      throws IOException {
    Path dir = Files.createTempDirectory("rt-nodb");
    String absent = "jdbc:h2:file:" + dir.resolve("absent") + ";IFEXISTS=TRUE";
    Cli.Result r = Cli.run(env, "batches", "--jdbc-url", absent);
    assertThat(r.code()).as(r.toString()).isEqualTo(74);
    assertThat(r.err())
        .startsWith("record-tracker: the database named in --jdbc-url does not exist (Database \"")
        .contains("create it (CREATE DATABASE) or correct its name in --jdbc-url")
        .doesNotContain("add --create-schema")
        .doesNotContain("createSchema(true)");
  }

  @Test
  void missing_tables_exit_74_and_say_how_to_create_them() {
    String empty = "jdbc:h2:mem:empty_" + UUID.randomUUID().toString().replace("-", "");
    Cli.Result r = Cli.run(env, "batches", "--jdbc-url", empty);
    assertThat(r.code()).as(r.toString()).isEqualTo(74);
    assertThat(r.err())
        .contains("Table \"RT_BATCH\" not found")
        .contains("if the tables do not exist yet, add --create-schema, or check --table-prefix")
        .doesNotContain("createSchema(true)");
  }

  @Test
  void batches_lists_incomplete_ones_as_a_table_and_as_json() {
    lossyBatch();
    completeBatch("DONE-2");
    seed.tracker.reconcile(BatchId.of("DONE-2"));
    seed.at(Duration.ofDays(3));
    seed.tracker.openBatch(BatchId.of("OLD-1"), 5);

    Cli.Result all = cli("batches");
    assertThat(all.code()).isEqualTo(0);
    assertThat(all.out().lines().toList())
        .hasSize(5)
        .first()
        .asString()
        .startsWith("BATCH   OPENED (UTC)         EXPECTED  STATUS      LAST SENT");
    assertThat(all.out()).endsWith("3 batches\n");

    Cli.Result recent = cli("batches", "--incomplete", "--since", "2d", "--json");
    assertThat(recent.code()).isEqualTo(0);
    Map<String, Object> json = Json.parseObject(recent.out());
    assertThat(json.get("count")).isEqualTo(1L);
    assertThat(json.get("incompleteOnly")).isEqualTo(true);
    assertThat(at(json, "batches", 0, "id")).isEqualTo("EDI-1");
    assertThat(at(json, "batches", 0, "expectedRecords")).isEqualTo(1000L);
    assertThat(at(json, "batches", 0, "complete")).isEqualTo(false);
    assertThat(at(json, "batches", 0, "attributes")).isEqualTo(Map.of("file", "customers.edi"));
    assertThat(((Map<?, ?>) at(json, "batches", 0, "lastMarkedAt")).keySet().toString())
        .isEqualTo("[processed, sent]");
  }

  @Test
  void batches_and_reconcile_show_an_unsealed_batch_as_such() {
    BatchId id = BatchId.of("STREAM-1");
    seed.tracker.openBatch(id, Map.of("file", "cursor.edi"));
    seed.tracker.markSent(id, RecordRange.of(0, 99));
    seed.tracker.markProcessed(id, RecordRange.of(0, 89));
    seed.tracker.flush();

    Cli.Result table = cli("batches");
    assertThat(table.out().lines().toList().get(1))
        .startsWith("STREAM-1")
        .contains("  unsealed  incomplete  ");
    Map<String, Object> json = Json.parseObject(cli("batches", "--json").out());
    assertThat(at(json, "batches", 0, "sealed")).isEqualTo(false);
    Cli.Result r = cli("reconcile", "--batch", "STREAM-1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out().lines().toList())
        .element(0)
        .asString()
        .startsWith("Batch STREAM-1  sent -> processed  (unsealed: size not known yet, opened ");
    assertThat(r.out())
        .contains(
            "  UNSEALED, so never complete yet: 10 missing, 0 never sent, 0 unexpected, 0 repeated\n")
        .contains("  missing (resend):  90-99\n");

    seed.tracker.seal(id, 100);
    assertThat(cli("batches").out().lines().toList().get(1)).contains("       100  incomplete  ");
  }

  @Test
  void attributes_print_file_name_first_then_in_the_order_given() {
    Map<String, String> attributes = new java.util.LinkedHashMap<>();
    attributes.put("customer", "ACME");
    attributes.put("region", "eu");
    attributes.put("file", "customers.edi");
    seed.tracker.openBatch(BatchId.of("ORDERED-1"), 10, attributes);
    seed.tracker.flush();

    Cli.Result r = cli("batches");
    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    assertThat(r.out())
        .contains(" file=customers.edi customer=ACME region=eu\n")
        .endsWith("1 batch\n");
  }

  @Test
  void attribute_without_a_value_exits_64_with_a_plain_message() {
    Cli.Result r = cli("batches", "--attribute", "customers.edi");
    assertThat(r.code()).as(r.toString()).isEqualTo(64);
    assertThat(r.err())
        .isEqualTo(
            "record-tracker: --attribute must be KEY=VALUE, like file=customers.edi:"
                + " customers.edi\n");
    Cli.Result ok = cli("batches", "--attribute", "file=a=b.edi");
    assertThat(ok.code()).as(ok.toString()).isEqualTo(0);
  }

  @Test
  void json_is_one_compact_line_for_every_command() {
    lossyBatch();
    for (String[] command :
        List.of(
            new String[] {"reconcile", "--batch", "EDI-1", "--json"},
            new String[] {"batches", "--json"},
            new String[] {"in-flight", "--json"},
            new String[] {"monitor", "--once", "--json"},
            new String[] {"purge", "--older-than", "30d", "--json"})) {
      Cli.Result r = cli(command);
      assertThat(r.out().lines().toList()).as(r.toString()).hasSize(1);
      assertThat(r.out()).as(r.toString()).startsWith("{\"").doesNotContain(" : ");
    }
  }

  @Test
  void in_flight_exits_3_while_a_batch_is_processed_and_0_after() {
    BatchId id = BatchId.of("LIVE-1");
    seed.tracker.openBatch(id, 100);
    seed.tracker.markSent(id, RecordRange.of(0, 99));
    seed.tracker.markProcessed(id, RecordRange.of(0, 49));
    seed.tracker.flush();

    Cli.Result busy = cli("in-flight", "--window", "10m");
    assertThat(busy.code()).as(busy.toString()).isEqualTo(3);
    assertThat(busy.out())
        .startsWith(
            "1 batch is in flight (marked within the last 10m, not complete). Do not start"
                + " maintenance.\n")
        .contains("LIVE-1");
    Map<String, Object> json = Json.parseObject(cli("in-flight", "--json").out());
    assertThat(json.get("quiet")).isEqualTo(false);
    assertThat(at(json, "inFlight", 0, "id")).isEqualTo("LIVE-1");

    seed.tracker.markProcessed(id, RecordRange.of(50, 99));
    seed.tracker.flush();

    Cli.Result quiet = cli("in-flight", "--window", "10m");
    assertThat(quiet.code()).as(quiet.toString()).isEqualTo(0);
    assertThat(quiet.out())
        .isEqualTo(
            "Quiet: no batch marked within the last 10m is incomplete. Maintenance may start.\n");
  }

  @Test
  void in_flight_wait_gives_up_with_3_when_processing_does_not_finish() {
    lossyBatch();
    Cli.Result r = cli("in-flight", "--wait", "300ms", "--poll", "100ms");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("Waiting up to 300ms for 1 batch in flight to finish...\n");
  }

  @Test
  void purge_deletes_only_old_complete_batches_unless_told_otherwise() {
    seed.at(Duration.ofDays(40));
    completeBatch("OLD-DONE");
    seed.tracker.reconcile(BatchId.of("OLD-DONE")); // seen complete
    seed.tracker.openBatch(BatchId.of("OLD-OPEN"), 10);
    seed.at(Duration.ZERO);
    completeBatch("NEW-DONE");
    seed.tracker.reconcile(BatchId.of("NEW-DONE"));

    Cli.Result r = cli("purge", "--older-than", "30d", "--completed-only", "--json");
    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    assertThat(Json.parseObject(r.out()))
        .containsEntry("purged", 1L)
        .containsEntry("completedOnly", true);
    assertThat(ids()).containsExactlyInAnyOrder("OLD-OPEN", "NEW-DONE");

    Cli.Result all = cli("purge", "--older-than", "30d", "--include-incomplete");
    assertThat(all.code()).isEqualTo(0);
    assertThat(all.out()).startsWith("Purged 1 batch opened before ");
    assertThat(ids()).containsExactly("NEW-DONE");
    assertThat(
            cli("purge", "--older-than", "30d", "--completed-only", "--include-incomplete").code())
        .isEqualTo(64);
  }

  private List<String> ids() {
    return seed.tracker.batches(BatchQuery.all()).stream().map(b -> b.id().value()).toList();
  }

  @Test
  void monitor_once_posts_the_alert_to_the_webhook_and_exits_2() throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    List<String> posts = new CopyOnWriteArrayList<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    try {
      env.put("RT_WEBHOOK", "http://127.0.0.1:" + server.port() + "/services/T0/B0/topsecret");

      Cli.Result r = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK", "--json");

      assertThat(r.code()).as(r.toString()).isEqualTo(2);
      Map<String, Object> json = Json.parseObject(r.out());
      assertThat(json.get("incompleteBatches")).isEqualTo(1L);
      assertThat(at(json, "findings", 0, "kind")).isEqualTo("overdue");
      assertThat(at(json, "findings", 0, "missing")).isEqualTo(101L);
      assertThat(at(json, "findings", 0, "missingRanges"))
          .isEqualTo(List.of(List.of(100L, 199L), List.of(500L, 500L)));
      assertThat(at(json, "findings", 0, "batch", "id")).isEqualTo("EDI-1");
      assertThat(posts).hasSize(1);
      assertThat(at(Json.parseObject(posts.get(0)), "text").toString())
          .startsWith(":warning: 101 records missing in batch EDI-1 (customers.edi)")
          .endsWith("First missing ranges: 100-199, 500");
      assertThat(r.err()).isEmpty(); // the WARN lines go to the log (stderr of the process)
    } finally {
      server.close();
    }
  }

  @Test
  void monitor_once_triggers_pagerduty_with_the_key_from_the_environment_and_never_prints_it()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    List<String> posts = new CopyOnWriteArrayList<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    String key = "PdK3yOfTheCisService0123456789ab";
    try {
      env.put("RT_PD_KEY", key);
      String url = "http://127.0.0.1:" + server.port() + "/v2/enqueue";

      Cli.Result r =
          cli("monitor", "--once", "--pagerduty-key-env", "RT_PD_KEY", "--pagerduty-url", url);

      assertThat(r.code()).as(r.toString()).isEqualTo(2);
      assertThat(r.out()).startsWith("1 batch needs attention (of 1 incomplete):\n");
      assertThat(r.out() + r.err()).doesNotContain(key);
      assertThat(posts).hasSize(1);
      Map<String, Object> event = Json.parseObject(posts.get(0));
      assertThat(event.get("routing_key")).isEqualTo(key);
      assertThat(event.get("event_action")).isEqualTo("trigger");
      assertThat(event.get("dedup_key")).isEqualTo("record-tracker/EDI-1/sent->processed");
      assertThat(at(event, "payload", "custom_details", "missing")).isEqualTo(101L);
    } finally {
      server.close();
    }
    Cli.Result unset = cli("monitor", "--once", "--pagerduty-key-env", "RT_PD_NOT_SET");
    assertThat(unset.code()).isEqualTo(78);
    assertThat(unset.err())
        .isEqualTo(
            "record-tracker: the environment variable RT_PD_NOT_SET named by --pagerduty-key-env"
                + " is not set\n");
    Cli.Result urlAlone =
        cli("monitor", "--once", "--pagerduty-url", "http://127.0.0.1:1/v2/enqueue");
    assertThat(urlAlone.code()).isEqualTo(64);
  }

  @Test
  void monitor_once_sends_one_digest_when_a_round_has_more_alerts_than_digest_above()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    for (int i = 0; i < 3; i++) {
      seed.sentBatch("OUT-" + i, Map.of(), RecordRange.of(0, 899));
    }
    List<String> posts = new CopyOnWriteArrayList<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    try {
      env.put("RT_WEBHOOK", "http://127.0.0.1:" + server.port() + "/hook/x");

      Cli.Result r =
          cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK", "--digest-above", "2");

      assertThat(r.code()).as(r.toString()).isEqualTo(2);
      assertThat(posts).hasSize(1);
      assertThat(Json.parseObject(posts.get(0)).get("text"))
          .isEqualTo(":rotating_light: record-tracker: 3 findings this round: 3 new");
    } finally {
      server.close();
    }
    assertThat(cli("monitor", "--once", "--digest-above", "0").code()).isEqualTo(64);
  }

  @Test
  void monitor_once_run_again_tells_the_webhook_nothing_it_was_told_and_still_prints_the_finding()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    List<String> posts = new CopyOnWriteArrayList<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    try {
      env.put("RT_WEBHOOK", "http://127.0.0.1:" + server.port() + "/services/T0/B0/topsecret");

      Cli.Result first = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK");
      Cli.Result again = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK");

      assertThat(first.code()).as(first.toString()).isEqualTo(2);
      assertThat(again.code()).as(again.toString()).isEqualTo(2);
      assertThat(again.out()).isEqualTo(first.out());
      assertThat(again.out()).startsWith("1 batch needs attention (of 1 incomplete):\n");
      assertThat(posts).hasSize(1); // the alert state is in the store: the NEW was told once
    } finally {
      server.close();
    }
  }

  @Test
  void monitor_once_exits_75_when_the_webhook_refuses_and_78_when_its_variable_is_unset()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    LocalWebhook server = LocalWebhook.answering(403);
    try {
      env.put("RT_WEBHOOK", "http://127.0.0.1:" + server.port() + "/hook/secret9");
      Cli.Result refused = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK");
      assertThat(refused.code()).as(refused.toString()).isEqualTo(75);
      assertThat(refused.out()).startsWith("1 batch needs attention (of 1 incomplete):\n");
      assertThat(refused.err())
          .isEqualTo(
              "record-tracker: the webhook did not take every alert: webhook http://127.0.0.1:"
                  + server.port()
                  + "/… rejected the message: HTTP 403; not retried\n")
          .doesNotContain("secret9");
    } finally {
      server.close();
    }
    Cli.Result unset = cli("monitor", "--once", "--webhook-url-env", "RT_NOT_SET");
    assertThat(unset.code()).isEqualTo(78);
  }

  @Test
  void monitor_once_says_in_words_that_the_webhook_refused_the_connection_and_how_long_it_tried()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    int port;
    try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
      port = closed.getLocalPort();
    }
    env.put("RT_WEBHOOK", "http://127.0.0.1:" + port + "/hook/secret9");
    Cli.Result r = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK");
    assertThat(r.code()).as(r.toString()).isEqualTo(75);
    assertThat(r.err())
        .startsWith(
            "record-tracker: the webhook did not take every alert: webhook http://127.0.0.1:"
                + port
                + "/… did not take NEW of batch EDI-1; gave up after ")
        .contains(
            " s. Last failure: the connection was refused (is the URL's host and port right?)")
        .doesNotContain("within 4 attempts")
        .doesNotContain("java.net.ConnectException")
        .doesNotContain("secret9");
  }

  @Test
  void monitor_once_never_prints_the_webhook_secret_that_the_endpoint_echoes_back()
      throws IOException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    LocalWebhook server =
        LocalWebhook.answering(
            ex -> {
              ex.getRequestBody().readAllBytes();
              byte[] page =
                  ("<html><h1>404</h1>No webhook at "
                          + ex.getRequestURI().getRawPath()
                          + "?"
                          + ex.getRequestURI().getRawQuery()
                          + " ("
                          + ex.getRequestURI().getQuery()
                          + ") "
                          + new java.util.TreeMap<>(ex.getRequestHeaders())
                          + "</html>")
                      .getBytes(StandardCharsets.UTF_8);
              ex.sendResponseHeaders(404, page.length);
              ex.getResponseBody().write(page);
              ex.close();
            });
    String port = Integer.toString(server.port());
    java.io.PrintStream stderr = System.err;
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    Cli.Result r;
    try {
      env.put(
          "RT_WEBHOOK",
          "http://127.0.0.1:" + port + "/services/T0ACME/B0OPS/cl1S3cr3tT0k?token=qu3ryS3cr3t");
      System.setErr(new java.io.PrintStream(log, true, StandardCharsets.UTF_8));
      r = cli("monitor", "--once", "--webhook-url-env", "RT_WEBHOOK");
    } finally {
      System.setErr(stderr);
      server.close();
    }

    assertThat(r.code()).as(r.toString()).isEqualTo(75);
    assertThat(r.out()).startsWith("1 batch needs attention (of 1 incomplete):\n");
    assertThat(r.err())
        .startsWith(
            "record-tracker: the webhook did not take every alert: webhook http://127.0.0.1:"
                + port
                + "/… rejected the message: HTTP 404 (<html><h1>404</h1>No webhook at /…?… (…) {")
        .endsWith("; not retried\n");
    String logged = log.toString(StandardCharsets.UTF_8);
    assertThat(logged)
        .contains(
            "WARN io.recordtracker.monitor.CompletenessMonitor - Listener"
                + " WebhookDiscrepancyListener{http://127.0.0.1:"
                + port
                + "/…} failed on NEW of batch EDI-1");
    for (String text : List.of(r.out(), r.err(), logged)) {
      assertThat(text)
          .doesNotContainIgnoringCase("cl1S3cr3tT0k")
          .doesNotContainIgnoringCase("qu3ryS3cr3t")
          .doesNotContainIgnoringCase("T0ACME")
          .doesNotContainIgnoringCase("B0OPS");
    }
  }

  @Test
  void monitor_without_once_runs_rounds_until_stopped() throws Exception {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    java.util.concurrent.BlockingQueue<String> posts =
        new java.util.concurrent.LinkedBlockingQueue<>();
    LocalWebhook server = LocalWebhook.recording(posts);
    env.put("RT_WEBHOOK", "http://127.0.0.1:" + server.port() + "/hook/x");
    java.util.concurrent.atomic.AtomicReference<Cli.Result> result =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread running =
        new Thread(
            () ->
                result.set(cli("monitor", "--period", "50ms", "--webhook-url-env", "RT_WEBHOOK")));
    try {
      running.start();
      String first = posts.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(first).as("an alert from the first round").isNotNull();
      assertThat(at(Json.parseObject(first), "blocks", 0, "text", "text"))
          .isEqualTo("Missing records: batch EDI-1");

      // Resent and processed, a second later (a mark's time is what tells the monitor the batch
      // changed): the next rounds resolve it, once.
      seed.clock.advance(Duration.ofSeconds(1));
      seed.tracker.markProcessed(BatchId.of("EDI-1"), RecordRange.of(100, 199));
      seed.tracker.markProcessed(BatchId.of("EDI-1"), 500);
      seed.tracker.flush();
      String second = posts.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(at(Json.parseObject(second), "blocks", 0, "text", "text"))
          .isEqualTo("Resolved: batch EDI-1");
    } finally {
      running.interrupt();
      running.join(30_000);
      server.close();
    }
    assertThat(running.isAlive()).isFalse();
    assertThat(result.get().code()).as(result.get().toString()).isEqualTo(0);
    assertThat(result.get().err()).startsWith("Monitoring every 50ms (grace 15m, deadline 1h)");
    assertThat(posts).isEmpty(); // nothing after the resolution
  }

  /**
   * A batch of 10 records, all sent and processed, whose stored marks rows are then overwritten
   * with bytes that are no bitmap, as a bad disk or a stray UPDATE would leave them.
   */
  private BatchId corruptBatch(String name) throws SQLException {
    BatchId id = BatchId.of(name);
    seed.tracker.openBatch(id, 10, Map.of("file", "corrupt.edi"));
    seed.tracker.markSent(id, RecordRange.of(0, 9));
    seed.tracker.markProcessed(id, RecordRange.of(0, 9));
    seed.tracker.flush();
    try (Connection c = DriverManager.getConnection(url, "sa", "pw");
        PreparedStatement ps =
            c.prepareStatement("UPDATE rt_marks SET marks = ? WHERE batch_id = ?")) {
      ps.setBytes(1, new byte[] {1, 2, 3, 4, 5});
      ps.setString(2, id.value());
      assertThat(ps.executeUpdate()).isEqualTo(2);
    }
    return id;
  }

  @Test
  void monitor_once_reports_an_unreadable_batch_next_to_the_overdue_one_and_exits_2()
      throws SQLException {
    seed.at(Duration.ofMinutes(20));
    lossyBatch();
    seed.at(Duration.ofMinutes(19));
    corruptBatch("BAD-1");

    Cli.Result r = cli("monitor", "--once");

    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(5);
    assertThat(lines.get(0)).isEqualTo("2 batches need attention (of 2 incomplete):");
    assertThat(lines.get(1))
        .matches("BATCH +KIND +STAGES +MISSING +NEVER SENT +OVERDUE BY +FIRST RANGES");
    assertThat(lines.get(2)).matches("BAD-1 +unreadable +sent->processed +\\? +\\? +4m\\S* +-");
    assertThat(lines.get(3))
        .matches("EDI-1 +overdue +sent->processed +101 +0 +5m\\S* +100-199, 500");
    assertThat(lines.get(4))
        .startsWith(
            "Batch BAD-1 sent->processed cannot be read: stored marks of batch BAD-1, stage sent"
                + " are corrupt (row id ")
        .endsWith(". Restore the row from a backup or delete it and re-mark those records.");

    Map<String, Object> json = Json.parseObject(cli("monitor", "--once", "--json").out());
    assertThat(at(json, "findings", 0, "kind")).isEqualTo("unreadable");
    assertThat(at(json, "findings", 0, "batch", "id")).isEqualTo("BAD-1");
    assertThat(at(json, "findings", 0, "missing")).isNull();
    assertThat(at(json, "findings", 0, "cause").toString())
        .startsWith("stored marks of batch BAD-1, stage sent are corrupt (row id ");
    assertThat(at(json, "findings", 1, "kind")).isEqualTo("overdue");
    assertThat(at(json, "findings", 1, "batch", "id")).isEqualTo("EDI-1");
    assertThat(at(json, "findings", 1, "missingRanges"))
        .isEqualTo(List.of(List.of(100L, 199L), List.of(500L, 500L)));
    assertThat(((List<?>) json.get("findings"))).hasSize(2);
  }

  @Test
  void in_flight_exits_3_naming_an_unreadable_batch_and_other_commands_still_work()
      throws SQLException {
    completeBatch("DONE-1");
    corruptBatch("BAD-1");

    Cli.Result busy = cli("in-flight", "--window", "10m");

    assertThat(busy.code()).as(busy.toString()).isEqualTo(3);
    assertThat(busy.out())
        .startsWith(
            "1 batch is in flight (marked within the last 10m, not complete). Do not start"
                + " maintenance.\n");
    assertThat(busy.out().lines().filter(l -> l.startsWith("BAD-1 ")).count()).isEqualTo(1);
    assertThat(busy.out().lines().toList().get(busy.out().lines().toList().size() - 1))
        .startsWith(
            "Batch BAD-1 cannot be read, so it counts as in flight: stored marks of batch BAD-1,"
                + " stage sent are corrupt (row id ");
    Map<String, Object> json = Json.parseObject(cli("in-flight", "--json").out());
    assertThat(json.get("quiet")).isEqualTo(false);
    assertThat(at(json, "inFlight", 0, "id")).isEqualTo("BAD-1");
    assertThat(((List<?>) json.get("inFlight"))).hasSize(1);
    assertThat(at(json, "unreadable", 0, "id")).isEqualTo("BAD-1");
    assertThat(at(json, "unreadable", 0, "cause").toString())
        .startsWith("stored marks of batch BAD-1, stage sent are corrupt (row id ");

    Cli.Result batches = cli("batches");
    assertThat(batches.code()).as(batches.toString()).isEqualTo(0);
    assertThat(batches.out()).contains("BAD-1").contains("DONE-1");
    Cli.Result other = cli("reconcile", "--batch", "DONE-1");
    assertThat(other.code()).as(other.toString()).isEqualTo(0);
    assertThat(other.out())
        .contains("  COMPLETE: all 10 records reached sent and processed, 0 repeated\n");
  }

  @Test
  void monitor_and_in_flight_agree_a_batch_still_being_processed_is_not_overdue() {
    // LIVE: sent 40 minutes ago, still being processed 2 minutes ago. QUIET: nothing for 25m.
    seed.at(Duration.ofMinutes(40));
    BatchId live = seed.sentBatch("LIVE", Map.of(), RecordRange.of(0, 299));
    seed.at(Duration.ofMinutes(25));
    BatchId quiet = seed.sentBatch("QUIET", Map.of(), RecordRange.of(0, 899));
    seed.at(Duration.ofMinutes(2));
    seed.tracker.markProcessed(live, RecordRange.of(300, 599));
    seed.tracker.flush();

    Cli.Result monitor = cli("monitor", "--once", "--grace", "10m", "--json");
    Cli.Result inFlight = cli("in-flight", "--window", "10m", "--json");

    assertThat(monitor.code()).as(monitor.toString()).isEqualTo(2);
    Map<String, Object> found = Json.parseObject(monitor.out());
    assertThat(found.get("incompleteBatches")).isEqualTo(2L);
    assertThat((List<?>) found.get("findings")).hasSize(1);
    assertThat(at(found, "findings", 0, "batch", "id")).isEqualTo(quiet.value());
    assertThat(at(found, "findings", 0, "kind")).isEqualTo("overdue");
    assertThat(at(found, "findings", 0, "missing")).isEqualTo(100L);
    assertThat(inFlight.code()).as(inFlight.toString()).isEqualTo(3);
    Map<String, Object> gate = Json.parseObject(inFlight.out());
    assertThat((List<?>) gate.get("inFlight")).hasSize(1);
    assertThat(at(gate, "inFlight", 0, "id")).isEqualTo(live.value());

    // reconcile says the same: LIVE's missing records may still be on their way, QUIET's are lost.
    Cli.Result reconcileLive = cli("reconcile", "--batch", "LIVE", "--window", "10m");
    assertThat(reconcileLive.code()).as(reconcileLive.toString()).isEqualTo(2);
    assertThat(reconcileLive.out())
        .contains("  IN FLIGHT: processed last marked 2m")
        .contains(
            " ago (within --window 10m): records may still be on their way; resend once in-flight"
                + " says it is quiet or the monitor calls it overdue.\n");
    Cli.Result reconcileQuiet = cli("reconcile", "--batch", "QUIET");
    assertThat(reconcileQuiet.code()).as(reconcileQuiet.toString()).isEqualTo(2);
    assertThat(reconcileQuiet.out())
        .contains("  missing (resend):  900-999")
        .doesNotContain("IN FLIGHT");

    // Past a 30-minute deadline, the batch still being processed is reported as such, not overdue.
    Cli.Result late = cli("monitor", "--once", "--grace", "10m", "--deadline", "30m", "--json");
    assertThat(late.code()).as(late.toString()).isEqualTo(2);
    Map<String, Object> lateJson = Json.parseObject(late.out());
    assertThat((List<?>) lateJson.get("findings")).hasSize(2);
    assertThat(at(lateJson, "findings", 0, "batch", "id")).isEqualTo(quiet.value());
    assertThat(at(lateJson, "findings", 0, "kind")).isEqualTo("overdue");
    assertThat(at(lateJson, "findings", 1, "batch", "id")).isEqualTo(live.value());
    assertThat(at(lateJson, "findings", 1, "kind")).isEqualTo("past_deadline");
    assertThat(at(lateJson, "findings", 1, "missing")).isEqualTo(400L);
  }

  @Test
  void monitor_deadline_shorter_than_grace_exits_64_naming_both() {
    Cli.Result r = cli("monitor", "--once", "--grace", "30m", "--deadline", "20m");
    assertThat(r.code()).as(r.toString()).isEqualTo(64);
    assertThat(r.err()).contains("--deadline (20m) must be at least --grace (30m)");
  }

  @Test
  void monitor_once_exits_0_when_nothing_is_overdue() {
    lossyBatch(); // last sent just now: within the grace
    Cli.Result r = cli("monitor", "--once");
    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    assertThat(r.out())
        .isEqualTo(
            "No overdue or stalled batches among 1 incomplete batch (grace 15m, deadline 1h).\n");
  }

  @Test
  void reconcile_and_in_flight_on_a_mariadb_server() {
    String mariadb = System.getenv("RECORDTRACKER_MARIADB_URL");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        mariadb != null,
        "set RECORDTRACKER_MARIADB_URL (e.g. jdbc:mariadb://127.0.0.1:3306/test?user=root)");
    try (Seed maria = new Seed(mariadb, null, null, "ops_cli_")) {
      BatchId id = BatchId.of("MARIA-" + System.nanoTime());
      maria.tracker.openBatch(id, 100, Map.of("run", id.value()));
      maria.tracker.markSent(id, RecordRange.of(0, 99));
      maria.tracker.markProcessed(id, RecordRange.of(0, 89));
      maria.tracker.flush();
      String[] db = {"--jdbc-url", mariadb, "--table-prefix", "ops_cli_"};

      Cli.Result lost =
          Cli.run(env, concat(new String[] {"reconcile", "--batch", id.value(), "--json"}, db));
      assertThat(lost.code()).as(lost.toString()).isEqualTo(2);
      assertThat(at(Json.parseObject(lost.out()), "ranges", "missing"))
          .isEqualTo(List.of(List.of(90L, 99L)));
      Cli.Result busy = Cli.run(env, concat(new String[] {"in-flight", "--json"}, db));
      assertThat(busy.code()).as(busy.toString()).isEqualTo(3);

      maria.tracker.markProcessed(id, RecordRange.of(90, 99));
      maria.tracker.flush();
      assertThat(Cli.run(env, concat(new String[] {"reconcile", "--batch", id.value()}, db)).code())
          .isEqualTo(0);
      assertThat(maria.tracker.purge(BatchQuery.builder().attribute("run", id.value()).build()))
          .isOne(); // complete now, so purged without asking for incomplete ones
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  void durations_read_as_people_write_them() {
    assertThat(DurationConverter.parse("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(DurationConverter.parse("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(DurationConverter.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("2w")).isEqualTo(Duration.ofDays(14));
    assertThat(DurationConverter.parse("PT15M")).isEqualTo(Duration.ofMinutes(15));
    assertThat(DurationConverter.parse("p30d")).isEqualTo(Duration.ofDays(30));
  }
}
