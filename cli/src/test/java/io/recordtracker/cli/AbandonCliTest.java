package io.recordtracker.cli;

import static io.recordtracker.Json.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Json;
import io.recordtracker.RecordRange;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code abandon}, {@code purge --batch} and how {@code batches} shows abandoned batches. */
class AbandonCliTest {

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

  /** 1,000 records sent, 0-99 processed. */
  private BatchId lossy(String id) {
    return seed.sentBatch(id, Map.of("file", id + ".edi"), RecordRange.of(0, 99));
  }

  @Test
  void abandon_exits_0_says_when_and_why_and_batches_shows_it_abandoned() {
    BatchId id = lossy("TEST-FILE");
    lossy("STILL-OPEN");

    Cli.Result r = cli("abandon", "--batch", "TEST-FILE", "--reason", "test file, never processed");

    assertThat(r.code()).as(r.toString()).isEqualTo(0);
    BatchInfo stored = seed.tracker.batch(id).orElseThrow();
    assertThat(stored.abandonReason()).contains("test file, never processed");
    assertThat(r.out())
        .isEqualTo(
            "Batch TEST-FILE abandoned at "
                + Render.time(stored.abandonedAt().orElseThrow())
                + " UTC: test file, never processed\n");
    assertThat(r.err()).isEmpty();

    Cli.Result again =
        cli("abandon", "--batch", "TEST-FILE", "--reason", "test file, never processed", "--json");
    assertThat(again.code()).as(again.toString()).isEqualTo(0);
    Map<String, Object> json = Json.parseObject(again.out());
    assertThat(at(json, "batch", "id")).isEqualTo("TEST-FILE");
    assertThat(at(json, "batch", "abandoned")).isEqualTo(true);
    assertThat(at(json, "batch", "abandonedAt"))
        .isEqualTo(stored.abandonedAt().orElseThrow().toString());
    assertThat(at(json, "batch", "abandonReason")).isEqualTo("test file, never processed");
    assertThat(at(json, "batch", "complete")).isEqualTo(false);

    Cli.Result table = cli("batches");
    assertThat(table.code()).isEqualTo(0);
    assertThat(table.out().lines().filter(l -> l.startsWith("TEST-FILE ")))
        .singleElement()
        .satisfies(l -> assertThat(l.split(" {2,}")[3]).isEqualTo("abandoned"));
    assertThat(table.out().lines().filter(l -> l.startsWith("STILL-OPEN ")))
        .singleElement()
        .satisfies(l -> assertThat(l.split(" {2,}")[3]).isEqualTo("incomplete"));

    Map<String, Object> incomplete =
        Json.parseObject(cli("batches", "--incomplete", "--json").out());
    assertThat(at(incomplete, "count")).isEqualTo(1L);
    assertThat(at(incomplete, "batches", 0, "id")).isEqualTo("STILL-OPEN");
    assertThat(at(incomplete, "batches", 0, "abandoned")).isEqualTo(false);
    assertThat(at(incomplete, "batches", 0, "abandonedAt")).isNull();
    assertThat(at(incomplete, "batches", 0, "abandonReason")).isNull();
    Map<String, Object> abandoned = Json.parseObject(cli("batches", "--abandoned", "--json").out());
    assertThat(at(abandoned, "count")).isEqualTo(1L);
    assertThat(at(abandoned, "abandonedOnly")).isEqualTo(true);
    assertThat(at(abandoned, "batches", 0, "id")).isEqualTo("TEST-FILE");
    assertThat(cli("batches", "--abandoned", "--incomplete").code()).isEqualTo(64);

    Cli.Result reconcile = cli("reconcile", "--batch", "TEST-FILE");
    assertThat(reconcile.code()).as(reconcile.toString()).isEqualTo(2); // its marks still tell
    assertThat(reconcile.out().lines().toList())
        .contains(
            "  abandoned:         "
                + Render.time(stored.abandonedAt().orElseThrow())
                + " UTC: test file, never processed",
            "  INCOMPLETE: 900 missing, 0 never sent, 0 unexpected, 0 repeated")
        .noneMatch(l -> l.contains("IN FLIGHT"));
    assertThat(cli("reconcile", "--batch", "STILL-OPEN").out()).contains("  IN FLIGHT: ");

    Cli.Result inFlight = cli("in-flight", "--json");
    assertThat(inFlight.code()).as(inFlight.toString()).isEqualTo(3);
    Map<String, Object> busy = Json.parseObject(inFlight.out());
    assertThat(at(busy, "quiet")).isEqualTo(false);
    assertThat((java.util.List<?>) at(busy, "inFlight")).hasSize(1);
    assertThat(at(busy, "inFlight", 0, "id")).isEqualTo("STILL-OPEN");
  }

  @Test
  void abandon_exits_64_for_a_bad_or_conflicting_reason_and_66_for_an_unknown_batch() {
    BatchId id = lossy("B-1");

    Cli.Result blank = cli("abandon", "--batch", "B-1", "--reason", "  ");
    assertThat(blank.code()).isEqualTo(64);
    assertThat(blank.err())
        .isEqualTo(
            "record-tracker: --reason: reason must not be blank: say why the batch will never"
                + " complete\n");
    Cli.Result tooLong = cli("abandon", "--batch", "B-1", "--reason", "x".repeat(501));
    assertThat(tooLong.code()).isEqualTo(64);
    assertThat(tooLong.err())
        .isEqualTo("record-tracker: --reason: reason must be at most 500 characters: 501\n");
    Cli.Result noReason = cli("abandon", "--batch", "B-1");
    assertThat(noReason.code()).isEqualTo(64);
    assertThat(noReason.err()).contains("Missing required option: '--reason=TEXT'");
    assertThat(seed.tracker.batch(id).orElseThrow().isAbandoned()).isFalse();

    Cli.Result unknown = cli("abandon", "--batch", "NOPE", "--reason", "typo");
    assertThat(unknown.code()).isEqualTo(66);
    assertThat(unknown.err()).contains("NOPE");

    assertThat(cli("abandon", "--batch", "B-1", "--reason", "cancelled").code()).isEqualTo(0);
    Cli.Result other = cli("abandon", "--batch", "B-1", "--reason", "something else");
    assertThat(other.code()).isEqualTo(64);
    assertThat(other.err())
        .startsWith("record-tracker: batch B-1 was abandoned already at ")
        .endsWith(" for another reason: \"cancelled\"\n");
    assertThat(seed.tracker.batch(id).orElseThrow().abandonReason()).contains("cancelled");
  }

  @Test
  void purge_by_id_deletes_one_batch_whatever_its_state_and_old_abandoned_batches_go_by_default() {
    seed.at(Duration.ofDays(40));
    lossy("OLD-ABANDONED");
    lossy("OLD-OPEN");
    seed.tracker.abandon(BatchId.of("OLD-ABANDONED"), "cancelled send");
    seed.at(Duration.ZERO);
    lossy("NEW-OPEN");

    Cli.Result old = cli("purge", "--older-than", "30d");
    assertThat(old.code()).as(old.toString()).isEqualTo(0);
    assertThat(old.out()).startsWith("Purged 1 complete or abandoned batch opened before ");
    assertThat(seed.tracker.batch(BatchId.of("OLD-ABANDONED"))).isEmpty();
    assertThat(seed.tracker.batch(BatchId.of("OLD-OPEN"))).isPresent();

    Cli.Result one = cli("purge", "--batch", "NEW-OPEN", "--json");
    assertThat(one.code()).as(one.toString()).isEqualTo(0);
    assertThat(Json.parseObject(one.out()))
        .containsEntry("purged", 1L)
        .containsEntry("batch", "NEW-OPEN");
    assertThat(seed.tracker.batch(BatchId.of("NEW-OPEN"))).isEmpty();
    Cli.Result text = cli("purge", "--batch", "OLD-OPEN");
    assertThat(text.code()).isEqualTo(0);
    assertThat(text.out()).isEqualTo("Purged batch OLD-OPEN.\n");

    Cli.Result gone = cli("purge", "--batch", "OLD-OPEN");
    assertThat(gone.code()).isEqualTo(66);
    assertThat(cli("purge").code()).isEqualTo(64);
    assertThat(cli("purge", "--batch", "X", "--older-than", "30d").code()).isEqualTo(64);
    assertThat(cli("purge", "--batch", "X", "--include-incomplete").code()).isEqualTo(64);
  }
}
