package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.DiscrepancyListener;
import io.recordtracker.monitor.Finding;
import io.recordtracker.monitor.PagerDutyDiscrepancyListener;
import io.recordtracker.monitor.RoundDiscrepancyListener;
import io.recordtracker.monitor.Slf4jDiscrepancyListener;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "monitor",
    mixinStandardHelpOptions = true,
    description = {
      "Finds batches with missing records and alerts: a WARN log line on stderr each and, with"
          + " --webhook-url-env, a Slack-compatible message; with --pagerduty-key-env, a PagerDuty"
          + " event. A round with more than --digest-above alerts sends one digest instead.",
      "A batch is overdue when none of its stages was marked for --grace (processing marks"
          + " restart it) and records are still missing; past_deadline when it is still being"
          + " processed but has been open longer than --deadline; stalled when it has been open"
          + " longer than --deadline with nothing sent; unreadable when its stored marks cannot be"
          + " read (an ERROR line naming the cause; the other batches are still checked). With"
          + " in-flight --window no longer than --grace, no batch is in flight and overdue at once.",
      "With --once: one round, then exit 0 (nothing found), 2 (findings) or 75 (an alert was not"
          + " delivered). Each --once run reports every open finding, so schedule it at the pace"
          + " you want reminders. Without --once it runs a round every --period until stopped,"
          + " reporting a finding when it appears, grows, every --renotify-after, and when it is"
          + " resolved."
    })
final class MonitorCommand extends TrackerCommand {

  @Option(names = "--once", description = "Run one round and exit.")
  boolean once;

  @Option(
      names = "--period",
      paramLabel = "DURATION",
      defaultValue = "1m",
      description = "Time between rounds without --once (default: ${DEFAULT-VALUE}).")
  Duration period;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "15m",
      description =
          "How long a batch with records missing may go without any stage marked (default: 15m).")
  Duration grace;

  @Option(
      names = "--deadline",
      paramLabel = "DURATION",
      description =
          "How long a batch may stay incomplete after it was opened, even while progressing; at"
              + " least --grace (default: 1h, or --grace if longer).")
  Duration deadline;

  @Option(
      names = "--renotify-after",
      paramLabel = "DURATION",
      defaultValue = "4h",
      description = "How often an unchanged finding is reported again (default: 4h).")
  Duration renotifyAfter;

  @Option(
      names = "--webhook-url-env",
      paramLabel = "VAR",
      description =
          "Post alerts to the webhook URL in this environment variable (the URL holds a secret,"
              + " so it is never an argument).")
  String webhookUrlEnv;

  @Option(
      names = "--pagerduty-key-env",
      paramLabel = "VAR",
      description =
          "Send alerts to PagerDuty (Events API v2) with the routing key in this environment"
              + " variable (a secret, so never an argument): trigger per finding, resolve when"
              + " resolved, one dedup key per finding.")
  String pagerDutyKeyEnv;

  @Option(
      names = "--pagerduty-url",
      paramLabel = "URL",
      description =
          "Where PagerDuty events go (default: https://events.pagerduty.com/v2/enqueue); for a"
              + " proxy or a test server.")
  URI pagerDutyUrl;

  @Option(
      names = "--digest-above",
      paramLabel = "N",
      defaultValue = "20",
      description =
          "When a round has more than N alerts for the webhook or PagerDuty (an outage hits"
              + " hundreds of batches at once), send one digest listing them instead"
              + " (default: ${DEFAULT-VALUE}).")
  int digestAbove;

  @Override
  void validate() {
    if (digestAbove < 1) {
      throw new CliException(Exit.USAGE, "--digest-above must be at least 1: " + digestAbove);
    }
    if (pagerDutyUrl != null && pagerDutyKeyEnv == null) {
      throw new CliException(Exit.USAGE, "--pagerduty-url needs --pagerduty-key-env");
    }
    if (deadline == null) {
      deadline =
          grace.compareTo(CompletenessMonitor.DEFAULT_DEADLINE) > 0
              ? grace
              : CompletenessMonitor.DEFAULT_DEADLINE;
    } else if (deadline.compareTo(grace) < 0) {
      throw new CliException(
          Exit.USAGE,
          "--deadline ("
              + Render.duration(deadline)
              + ") must be at least --grace ("
              + Render.duration(grace)
              + ")");
    }
  }

  @Override
  int run(RecordTracker tracker) throws Exception {
    List<DiscrepancyListener> listeners = new ArrayList<>();
    listeners.add(new Slf4jDiscrepancyListener());
    DeliveryTracking webhook = null;
    if (webhookUrlEnv != null) {
      String url = cli.env.get(webhookUrlEnv);
      if (url == null || url.isBlank()) {
        throw new CliException(
            Exit.CONFIG,
            "the environment variable " + webhookUrlEnv + " named by --webhook-url-env is not set");
      }
      URI uri;
      try {
        uri = URI.create(url.strip());
      } catch (IllegalArgumentException e) {
        throw new CliException(
            Exit.CONFIG, "the variable " + webhookUrlEnv + " does not hold a valid URL");
      }
      webhook =
          new DeliveryTracking(
              "the webhook",
              WebhookDiscrepancyListener.builder(uri).digestAbove(digestAbove).build());
      listeners.add(webhook);
    }
    DeliveryTracking pagerDuty = null;
    if (pagerDutyKeyEnv != null) {
      String key = cli.env.get(pagerDutyKeyEnv);
      if (key == null || key.isBlank()) {
        throw new CliException(
            Exit.CONFIG,
            "the environment variable "
                + pagerDutyKeyEnv
                + " named by --pagerduty-key-env is not set");
      }
      PagerDutyDiscrepancyListener.Builder pd =
          PagerDutyDiscrepancyListener.builder(key).digestAbove(digestAbove);
      if (pagerDutyUrl != null) {
        pd.endpoint(pagerDutyUrl);
      }
      pagerDuty = new DeliveryTracking("PagerDuty", pd.build());
      listeners.add(pagerDuty);
    }
    CompletenessMonitor.Builder b =
        CompletenessMonitor.builder(tracker)
            .grace(grace)
            .deadline(deadline)
            .renotifyAfter(renotifyAfter);
    for (DiscrepancyListener listener : listeners) {
      // Named as a service's own webhook listener is by default, so that this monitor and the
      // services' share what was reported (DeliveryTracking only wraps it).
      if (listener instanceof DeliveryTracking) {
        b.listener("WebhookDiscrepancyListener-1", listener);
      } else {
        b.listener(listener);
      }
    }
    CompletenessMonitor monitor = b.build();
    if (!once) {
      return runUntilStopped(monitor);
    }
    List<Finding> findings = monitor.runOnce();
    Instant now = tracker.clock().instant();
    if (json) {
      writeJson(monitor, findings, now);
    } else {
      writeText(monitor, findings, now);
    }
    for (DeliveryTracking alerts : new DeliveryTracking[] {webhook, pagerDuty}) {
      if (alerts != null && alerts.failed.get()) {
        err()
            .println(
                "record-tracker: " + alerts.name + " did not take every alert: " + alerts.failure);
        return Exit.ALERT_FAILED;
      }
    }
    return findings.isEmpty() ? Exit.OK : Exit.DISCREPANCIES;
  }

  private int runUntilStopped(CompletenessMonitor monitor) throws InterruptedException {
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "record-tracker-monitor");
              t.setDaemon(true);
              return t;
            });
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(stopped::countDown, "record-tracker-monitor-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    err()
        .println(
            "Monitoring every "
                + Render.duration(period)
                + " (grace "
                + Render.duration(grace)
                + ", deadline "
                + Render.duration(deadline)
                + "); stop with Ctrl-C or SIGTERM.");
    err().flush();
    ScheduledFuture<?> rounds = monitor.start(scheduler, period);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      rounds.cancel(false);
      scheduler.shutdown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook is running
      }
    }
    return Exit.OK;
  }

  private void writeText(CompletenessMonitor monitor, List<Finding> findings, Instant now) {
    if (findings.isEmpty()) {
      out()
          .println(
              "No overdue or stalled batches among "
                  + Render.count(
                      monitor.lastIncompleteBatches(), "incomplete batch", "incomplete batches")
                  + " (grace "
                  + Render.duration(grace)
                  + ", deadline "
                  + Render.duration(deadline)
                  + ").");
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    for (Finding f : findings) {
      Reconciliation r = f.reconciliation();
      boolean known = f.kind() != Finding.Kind.UNREADABLE;
      rows.add(
          List.of(
              f.batchId().value(),
              f.kind().name().toLowerCase(Locale.ROOT),
              f.upstream() + "->" + f.downstream(),
              known ? Long.toString(r.missingCount()) : "?",
              known ? Long.toString(r.absentUpstreamCount()) : "?",
              Render.duration(f.overdueFor(now)),
              Render.ranges(r.missing().isEmpty() ? r.absentUpstream() : r.missing(), 5)));
      f.cause()
          .ifPresent(
              cause ->
                  unreadable.add(
                      "Batch "
                          + f.batchId()
                          + " "
                          + f.upstream()
                          + "->"
                          + f.downstream()
                          + " cannot be read: "
                          + cause));
    }
    out()
        .println(
            findings.size()
                + (findings.size() == 1 ? " batch needs" : " batches need")
                + " attention (of "
                + monitor.lastIncompleteBatches()
                + " incomplete):");
    Render.table(
        out(),
        List.of("BATCH", "KIND", "STAGES", "MISSING", "NEVER SENT", "OVERDUE BY", "FIRST RANGES"),
        rows,
        3,
        4);
    unreadable.forEach(out()::println);
  }

  private void writeJson(CompletenessMonitor monitor, List<Finding> findings, Instant now)
      throws java.io.IOException {
    try (JsonGenerator g = Render.json(out())) {
      g.writeStartObject();
      g.writeStringField("at", now.toString());
      g.writeNumberField("incompleteBatches", monitor.lastIncompleteBatches());
      g.writeArrayFieldStart("findings");
      for (Finding f : findings) {
        Reconciliation r = f.reconciliation();
        g.writeStartObject();
        g.writeStringField("kind", f.kind().name().toLowerCase(Locale.ROOT));
        g.writeStringField("upstream", f.upstream().name());
        g.writeStringField("downstream", f.downstream().name());
        g.writeStringField("overdueSince", f.overdueSince().toString());
        g.writeNumberField("overdueSeconds", f.overdueFor(now).getSeconds());
        if (f.kind() == Finding.Kind.UNREADABLE) {
          // Unknown, not zero: the marks could not be read.
          g.writeNullField("missing");
          g.writeNullField("absentUpstream");
          g.writeNullField("unexpected");
          g.writeStringField("cause", f.cause().orElse(null));
        } else {
          g.writeNumberField("missing", r.missingCount());
          g.writeNumberField("absentUpstream", r.absentUpstreamCount());
          g.writeNumberField("unexpected", r.unexpectedCount());
        }
        Render.writeRanges(g, "missingRanges", r.missing());
        Render.writeRanges(g, "absentUpstreamRanges", r.absentUpstream());
        g.writeFieldName("batch");
        Render.writeBatch(g, f.batch());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    out().println();
  }

  /** Passes events to an alerting listener and remembers whether any was not delivered. */
  private static final class DeliveryTracking implements RoundDiscrepancyListener {
    final String name;
    final RoundDiscrepancyListener webhook;
    final AtomicBoolean failed = new AtomicBoolean();
    volatile String failure;

    DeliveryTracking(String name, RoundDiscrepancyListener webhook) {
      this.name = name;
      this.webhook = webhook;
    }

    @Override
    public void onRound(List<DiscrepancyEvent> events) {
      try {
        webhook.onRound(events);
      } catch (RuntimeException e) {
        // The listener's message is redacted and says what it tried, for how long, and why.
        failure = e.getMessage() == null ? e.toString() : e.getMessage();
        failed.set(true);
        throw e;
      }
    }

    @Override
    public String toString() {
      return webhook.toString();
    }
  }
}
