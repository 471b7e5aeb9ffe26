package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireNonNull;
import static io.recordtracker.internal.Arguments.requirePositive;

import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.internal.TrackerInternals;
import io.recordtracker.monitor.FindingScan.Key;
import io.recordtracker.spi.AlertStore;
import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds batches whose records went missing and tells {@link DiscrepancyListener}s, so that the team
 * hears about it before the customer does.
 *
 * <p>For each watched stage pair (default {@code sent -> processed}), a batch not yet seen complete
 * is
 *
 * <ul>
 *   <li><b>overdue</b> when its upstream stage was marked, no stage of it (neither stage of the
 *       pair, nor any other) was marked for {@code grace} (by the tracker's {@link
 *       java.time.Clock}), and records are still missing downstream or were never marked upstream.
 *       Grace follows progress: each downstream mark (and each resend) starts it again, so a batch
 *       still being processed is never overdue;
 *   <li><b>past its deadline</b> when it is still progressing (not overdue) but has been open
 *       longer than {@code deadline} and records are still missing: the deadline bounds how long a
 *       batch may stay incomplete while progressing;
 *   <li><b>stalled</b> when it has been open longer than {@code deadline} and its upstream stage
 *       was never marked; or, for a batch not sealed yet ({@link
 *       io.recordtracker.BatchInfo#isSealed()}), when no stage of it was marked for {@code
 *       deadline} (a sender that stopped before sealing it).
 * </ul>
 *
 * <p>The monitor and the {@linkplain io.recordtracker.MaintenanceGate gate} agree: a batch is in
 * flight when some stage of it was marked within the gate's window, and overdue only when no stage
 * was marked for {@code grace}; so with a window no longer than {@code grace} (the defaults: 10
 * minutes and 15 minutes) no batch is ever overdue and in flight at the same instant. A batch past
 * its deadline may be both: it is late, and still being processed.
 *
 * <p>Each round ({@link #runOnce()}, or scheduled with {@link #start}) pages through the incomplete
 * batches with {@link BatchQuery} ({@value #PAGE_SIZE} at a time; it never loads every batch) and
 * reconciles only those past their grace or deadline, plus those with an open finding, and of those
 * only the ones whose marks may have changed since this monitor last reconciled them (by their
 * stages' last-marked times): a round's cost follows change, and an unchanged finding is read again
 * only once a reminder of it is due. What it remembers of them is bounded by the incomplete batches
 * (a batch completed or purged is forgotten). Each listener is told of a finding when it appears
 * ({@link DiscrepancyEvent.Kind#NEW}), again when more records are missing ({@code GROWN}) or has
 * not been reported for {@code renotifyAfter} ({@code REMINDER}), and once when the batch becomes
 * complete ({@code RESOLVED}).
 *
 * <p>A batch due to be checked whose marks cannot be read (the store throws for that batch, corrupt
 * or inconsistent marks, while it still answers for the batch itself) is an {@linkplain
 * Finding.Kind#UNREADABLE unreadable} finding of its own, reported like the others (new, reminder,
 * and resolved once the batch can be read again or is purged), and never keeps the round from
 * checking the other batches. A finding reported before the batch became unreadable stays open,
 * neither reminded nor resolved, until it can be read again.
 *
 * <p>Failures never stop the monitor: when the store fails (the listing of batches fails, or it
 * does not answer for a batch whose marks failed either), the round ends and the next round starts
 * over; when a listener throws, the monitor logs it, stops giving that listener events for the rest
 * of the round (so a dead endpoint costs one timeout per round, not one per batch) and offers the
 * same events again next round. A {@link RoundDiscrepancyListener} (a digest) is given each round's
 * events at once, and when it fails, those it did not take are offered again next round.
 *
 * <p>What was reported to which listener is kept in the tracker's store ({@link
 * TrackerStore#alertStore()}): any number of monitor instances on one store (threads, processes,
 * hosts) tell each event once between them, and a restarted monitor continues where the last one
 * stopped, without reporting open findings again as new. Listeners are told at least once: a
 * monitor that dies after telling an event and before recording it leaves a claim that expires
 * after {@code claimFor}, and the event is told again; {@link DiscrepancyEvent#idempotencyKey()}
 * lets a listener deduplicate. Instances sharing a store must watch the same pairs with listeners
 * of the same names ({@link Builder#listener(String, DiscrepancyListener)}; by default, by their
 * class and position). A store that keeps no alert state leaves each monitor its own, in memory: a
 * restart then reports open findings again as new.
 *
 * <p>Thread-safe; rounds never overlap.
 *
 * <pre>{@code
 * CompletenessMonitor monitor = CompletenessMonitor.builder(tracker)
 *     .grace(Duration.ofMinutes(15))
 *     .listener(new Slf4jDiscrepancyListener())
 *     .listener(WebhookDiscrepancyListener.builder(URI.create(System.getenv("SLACK_WEBHOOK"))).build())
 *     .build();
 * ScheduledFuture<?> running = monitor.start(scheduler, Duration.ofMinutes(1));
 * }</pre>
 */
public final class CompletenessMonitor {

  /** The grace period when none is set: 15 minutes. */
  public static final Duration DEFAULT_GRACE = Duration.ofMinutes(15);

  /**
   * The deadline when none is set: 1 hour (a builder given a longer grace and no deadline uses the
   * grace instead). A batch open that long with nothing sent is stalled, and one still progressing
   * is past its deadline.
   */
  public static final Duration DEFAULT_DEADLINE = Duration.ofHours(1);

  /** How long an unchanged finding waits before it is reported again, when none is set: 4 hours. */
  public static final Duration DEFAULT_RENOTIFY_AFTER = Duration.ofHours(4);

  /**
   * How long a monitor may take to tell a listener one event before another instance takes the
   * event over, when none is set: 2 minutes.
   */
  public static final Duration DEFAULT_CLAIM_FOR = Duration.ofMinutes(2);

  /** How many incomplete batches one store query returns. */
  static final int PAGE_SIZE = 500;

  private static final Logger log = LoggerFactory.getLogger(CompletenessMonitor.class);

  private static final Pattern LISTENER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final RecordTracker tracker;
  private final Duration grace;
  private final Duration deadline;
  private final Duration renotifyAfter;
  private final Duration claimFor;
  private final List<StagePair> pairs;
  private final Map<String, DiscrepancyListener> listeners;
  private final FindingScan scan;
  private final AlertLedger ledger;
  private final Object roundLock = new Object();

  private volatile List<Finding> lastFindings = List.of();
  private volatile long lastIncompleteBatches;
  private volatile boolean scheduledFailing;
  private volatile MonitorStats stats = new MonitorStats(0, 0, Duration.ZERO, Optional.empty());
  private final AtomicLong failedRounds = new AtomicLong();

  private CompletenessMonitor(Builder b, Duration deadline) {
    this.tracker = b.tracker;
    this.grace = b.grace;
    this.deadline = deadline;
    this.renotifyAfter = b.renotifyAfter;
    this.claimFor = b.claimFor;
    this.pairs = List.copyOf(b.pairs.isEmpty() ? List.of(StagePair.DEFAULT) : b.pairs);
    Map<String, DiscrepancyListener> given = new LinkedHashMap<>(b.listeners);
    if (given.isEmpty()) {
      DiscrepancyListener log = new Slf4jDiscrepancyListener();
      given.put(defaultName(log, given), log);
    }
    this.listeners = Collections.unmodifiableMap(given);
    this.scan = new FindingScan(tracker, grace, deadline, renotifyAfter, pairs);
    TrackerStore store = TrackerInternals.bridge().store(tracker);
    AlertStore alerts = store.alertStore().orElse(null);
    if (alerts == null) {
      log.info(
          "The store {} keeps no alert state: this monitor keeps what it reported in memory, so a"
              + " restart or a second instance reports open findings again",
          store);
      alerts = AlertStore.inMemory();
    }
    this.ledger =
        new AlertLedger(alerts, tracker, scan, renotifyAfter, claimFor, pairs, listeners.keySet());
  }

  /**
   * The name of a listener added without one: its class's simple name and its position among the
   * listeners of that class ({@code WebhookDiscrepancyListener-1}), or {@code listener-N} for a
   * lambda or an anonymous class, whose class has no stable name.
   */
  private static String defaultName(
      DiscrepancyListener listener, Map<String, DiscrepancyListener> named) {
    Class<?> type = listener.getClass();
    String base = type.getSimpleName();
    if (type.isHidden()
        || type.isSynthetic()
        || type.isAnonymousClass()
        || !LISTENER_NAME.matcher(base + "-1").matches()) {
      base = "listener";
    }
    base = base.length() > 50 ? base.substring(0, 50) : base;
    int n = 1;
    while (named.containsKey(base + "-" + n)) {
      n++;
    }
    return base + "-" + n;
  }

  /**
   * A builder for a monitor of {@code tracker}'s store.
   *
   * @throws NullPointerException if {@code tracker} is null
   */
  public static Builder builder(RecordTracker tracker) {
    return new Builder(requireNonNull(tracker, "tracker"));
  }

  /**
   * Runs one round: finds the overdue and stalled batches, tells the listeners what changed, and
   * returns the findings (for jobs that run the monitor themselves). Listener failures are logged,
   * not thrown.
   *
   * @return every current finding, newest opened batch first
   * @throws TrackerStoreException if the store fails; nothing is reported this round, and the next
   *     round starts over. A single batch that cannot be read does not throw: it is an {@link
   *     Finding.Kind#UNREADABLE} finding, and the other batches are checked as usual
   */
  public List<Finding> runOnce() {
    synchronized (roundLock) {
      long start = System.nanoTime();
      Instant now;
      List<Finding> result;
      try {
        now = tracker.clock().instant();
        result = round(now);
      } catch (RuntimeException | Error e) {
        failedRounds.incrementAndGet();
        throw e;
      }
      long took = System.nanoTime() - start;
      // One volatile write publishes the round: gauges never see counts of different rounds.
      MonitorStats last = stats;
      stats =
          new MonitorStats(
              last.rounds() + 1, 0, last.roundTime().plusNanos(took), Optional.of(now));
      return result;
    }
  }

  /**
   * The counts of this monitor's rounds since it was built: completed, failed, their time, and when
   * the last completed.
   */
  public MonitorStats stats() {
    MonitorStats s = stats;
    return new MonitorStats(s.rounds(), failedRounds.get(), s.roundTime(), s.lastSuccessAt());
  }

  private List<Finding> round(Instant now) {
    AlertLedger.Round alerts = ledger.begin();

    FindingScan.Round round = scan.run(now, alerts.followed());
    Map<Key, Finding> findings = round.findings();
    List<Finding> result = List.copyOf(findings.values());
    lastFindings = result;
    lastIncompleteBatches = round.incomplete();
    alerts.readFound(findings.keySet());
    for (Map.Entry<String, DiscrepancyListener> listener : listeners.entrySet()) {
      ledger.notify(
          alerts, listener.getKey(), listener.getValue(), findings, round.outcomes(), now);
    }
    ledger.sweep(now);
    log.debug(
        "Monitor round at {}: {} incomplete batches, {} reconciled, {} findings",
        now,
        round.incomplete(),
        round.reconciled(),
        result.size());
    return result;
  }

  /**
   * Runs a round every {@code period} on {@code scheduler}, the first at once. A round that fails
   * is logged (a WARN when failures start, an INFO when they stop) and the schedule goes on: the
   * task never throws into the scheduler.
   *
   * @return the schedule; {@code cancel(false)} stops it after the running round
   * @throws NullPointerException if {@code scheduler} or {@code period} is null
   * @throws IllegalArgumentException if {@code period} is not positive
   */
  public ScheduledFuture<?> start(ScheduledExecutorService scheduler, Duration period) {
    requireNonNull(scheduler, "scheduler");
    requirePositive(period, "period");
    log.info(
        "Monitoring {} every {}: grace={}, deadline={}, renotifyAfter={}, listeners={}",
        pairs,
        period,
        grace,
        deadline,
        renotifyAfter,
        listeners);
    return scheduler.scheduleWithFixedDelay(
        this::runScheduled, 0, period.toNanos(), TimeUnit.NANOSECONDS);
  }

  void runScheduled() {
    try {
      runOnce();
      if (scheduledFailing) {
        scheduledFailing = false;
        log.info("Completeness monitor rounds succeed again");
      }
    } catch (Throwable t) {
      // Never throw into the scheduler: it would cancel every later round.
      if (!scheduledFailing) {
        scheduledFailing = true;
        log.warn("Completeness monitor round failed; retrying each round: {}", t.toString(), t);
      } else {
        log.debug("Completeness monitor round failed again", t);
      }
    }
  }

  /** How many (batch, pair) reconciliations this monitor remembers; for tests. */
  int rememberedReconciliations() {
    synchronized (roundLock) {
      return scan.remembered();
    }
  }

  /** The findings of the last completed round; empty before the first. */
  public List<Finding> lastFindings() {
    return lastFindings;
  }

  /** How many incomplete batches the last completed round looked at; 0 before the first. */
  public long lastIncompleteBatches() {
    return lastIncompleteBatches;
  }

  @Override
  public String toString() {
    return "CompletenessMonitor{pairs="
        + pairs
        + ", grace="
        + grace
        + ", deadline="
        + deadline
        + ", renotifyAfter="
        + renotifyAfter
        + ", claimFor="
        + claimFor
        + "}";
  }

  record StagePair(Stage upstream, Stage downstream) {
    static final StagePair DEFAULT = new StagePair(Stage.SENT, Stage.PROCESSED);

    @Override
    public String toString() {
      return upstream + "->" + downstream;
    }
  }

  /**
   * Builds a {@link CompletenessMonitor}. Each setter rejects a null at once with a {@link
   * NullPointerException} naming the setting, and a bad value with an {@link
   * IllegalArgumentException} naming the setting and the value.
   */
  public static final class Builder {
    private final RecordTracker tracker;
    private Duration grace = DEFAULT_GRACE;
    private Duration deadline; // null: DEFAULT_DEADLINE, or grace if longer
    private Duration renotifyAfter = DEFAULT_RENOTIFY_AFTER;
    private Duration claimFor = DEFAULT_CLAIM_FOR;
    private final List<StagePair> pairs = new ArrayList<>();
    private final Map<String, DiscrepancyListener> listeners = new LinkedHashMap<>();

    private Builder(RecordTracker tracker) {
      this.tracker = tracker;
    }

    /**
     * How long a batch may go without any of its stages being marked while records are still
     * missing before it is overdue; default 15 minutes. Each mark, downstream ones included, starts
     * it again, so it need only cover the longest pause in processing (and the time processing
     * takes to start after the last send), not the time a whole file takes. Keep the {@linkplain
     * io.recordtracker.MaintenanceGate.Builder#window gate's window} no longer than this, so that
     * no batch is in flight and overdue at once.
     *
     * @throws NullPointerException if {@code grace} is null
     * @throws IllegalArgumentException if {@code grace} is not positive
     */
    public Builder grace(Duration grace) {
      requirePositive(grace, "grace");
      this.grace = grace;
      return this;
    }

    /**
     * How long after it was opened a batch may stay incomplete: past it, a batch with its upstream
     * stage never marked is stalled, and one still progressing (not overdue) is {@linkplain
     * Finding.Kind#PAST_DEADLINE past its deadline}. Default {@link #DEFAULT_DEADLINE 1 hour}, or
     * the grace period if that is longer; must be at least the grace period ({@link #build()}
     * checks).
     *
     * @throws NullPointerException if {@code deadline} is null
     * @throws IllegalArgumentException if {@code deadline} is not positive
     */
    public Builder deadline(Duration deadline) {
      requirePositive(deadline, "deadline");
      this.deadline = deadline;
      return this;
    }

    /** How long an unchanged finding waits before it is reported again; default 4 hours. */
    public Builder renotifyAfter(Duration renotifyAfter) {
      requirePositive(renotifyAfter, "renotifyAfter");
      this.renotifyAfter = renotifyAfter;
      return this;
    }

    /**
     * How long this monitor may take to tell a listener one event before another monitor instance
     * on the store takes it over, as if this one had died; default 2 minutes. Make it longer than
     * the longest a listener may take (a webhook's {@code timeoutBudget}): an event whose listener
     * takes longer may be told twice. A monitor that dies while telling an event holds it up this
     * long.
     */
    public Builder claimFor(Duration claimFor) {
      requirePositive(claimFor, "claimFor");
      this.claimFor = claimFor;
      return this;
    }

    /**
     * Watches records going missing between {@code upstream} and {@code downstream}. The first call
     * replaces the default pair {@code sent -> processed}; call again to watch more pairs.
     *
     * @throws NullPointerException if a stage is null
     * @throws IllegalArgumentException if both stages are the same, or the pair is watched already
     */
    public Builder watch(Stage upstream, Stage downstream) {
      requireNonNull(upstream, "upstream");
      requireNonNull(downstream, "downstream");
      if (upstream.equals(downstream)) {
        throw new IllegalArgumentException(
            "upstream and downstream must differ: " + upstream + " -> " + downstream);
      }
      StagePair pair = new StagePair(upstream, downstream);
      if (pairs.contains(pair)) {
        throw new IllegalArgumentException("stage pair watched twice: " + pair);
      }
      pairs.add(pair);
      return this;
    }

    /**
     * Adds a listener; the first call replaces the default {@link Slf4jDiscrepancyListener} (add it
     * back explicitly to keep the log lines). Its name in the store's alert state is its class's
     * and its position among listeners of that class, see {@link #listener(String,
     * DiscrepancyListener)}.
     *
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(DiscrepancyListener listener) {
      requireNonNull(listener, "listener");
      listeners.put(defaultName(listener, listeners), listener);
      return this;
    }

    /**
     * Adds a listener under {@code name}, which names it in the store's alert state: what was
     * reported to it is shared with every monitor instance on the store that has a listener of this
     * name. A listener added with {@link #listener(DiscrepancyListener)} is named by its class and
     * its position among the listeners of that class ({@code WebhookDiscrepancyListener-1}, {@code
     * Slf4jDiscrepancyListener-1}; {@code listener-1}, {@code listener-2}, ... for lambdas), so
     * instances that add the same listeners in the same order agree without names. Name a listener
     * when instances configure listeners of one class differently: two webhooks to two channels.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is not 1 to 64 letters, digits, {@code .},
     *     {@code _} or {@code -}, or is taken
     */
    public Builder listener(String name, DiscrepancyListener listener) {
      requireNonNull(name, "name");
      requireNonNull(listener, "listener");
      if (!LISTENER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "listener name must be 1 to 64 letters, digits, '.', '_' or '-': \"" + name + "\"");
      }
      if (listeners.containsKey(name)) {
        throw new IllegalArgumentException("listener name taken: " + name);
      }
      listeners.put(name, listener);
      return this;
    }

    /**
     * A monitor with these settings; it runs nothing until {@link #runOnce()} or {@link #start}.
     *
     * @throws IllegalArgumentException if a deadline was set shorter than the grace period
     */
    public CompletenessMonitor build() {
      if (deadline != null && deadline.compareTo(grace) < 0) {
        throw new IllegalArgumentException(
            "deadline must be at least grace: deadline=" + deadline + ", grace=" + grace);
      }
      Duration effective =
          deadline != null
              ? deadline
              : grace.compareTo(DEFAULT_DEADLINE) > 0 ? grace : DEFAULT_DEADLINE;
      return new CompletenessMonitor(this, effective);
    }
  }
}
