package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireNonNull;
import static io.recordtracker.internal.Arguments.requirePositive;

import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.monitor.FindingScan.Key;
import io.recordtracker.monitor.FindingScan.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * reconciles only those past their grace or deadline, plus those with an open finding. Each
 * listener is told of a finding when it appears ({@link DiscrepancyEvent.Kind#NEW}), again when
 * more records are missing ({@code GROWN}) or has not been reported for {@code renotifyAfter}
 * ({@code REMINDER}), and once when the batch becomes complete ({@code RESOLVED}).
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
 * events at once, and when it fails, those it did not take are offered again next round. What was
 * reported is kept in memory: a new monitor (a restart) reports open findings again as new.
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

  /** How many incomplete batches one store query returns. */
  static final int PAGE_SIZE = 500;

  private static final Logger log = LoggerFactory.getLogger(CompletenessMonitor.class);

  private final RecordTracker tracker;
  private final Duration grace;
  private final Duration deadline;
  private final Duration renotifyAfter;
  private final List<StagePair> pairs;
  private final List<ListenerState> listeners;
  private final FindingScan scan;
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
    this.pairs = List.copyOf(b.pairs.isEmpty() ? List.of(StagePair.DEFAULT) : b.pairs);
    List<DiscrepancyListener> given =
        b.listeners.isEmpty() ? List.of(new Slf4jDiscrepancyListener()) : b.listeners;
    List<ListenerState> states = new ArrayList<>();
    given.forEach(l -> states.add(new ListenerState(l)));
    this.listeners = List.copyOf(states);
    this.scan = new FindingScan(tracker, grace, deadline, pairs);
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
    Set<Key> reported = new HashSet<>();
    listeners.forEach(l -> reported.addAll(l.reported.keySet()));

    FindingScan.Round round = scan.run(now, reported);
    Map<Key, Finding> findings = round.findings();
    List<Finding> result = List.copyOf(findings.values());
    lastFindings = result;
    lastIncompleteBatches = round.incomplete();
    for (ListenerState listener : listeners) {
      notify(listener, findings, round.outcomes(), now);
    }
    log.debug(
        "Monitor round at {}: {} incomplete batches, {} findings",
        now,
        round.incomplete(),
        result.size());
    return result;
  }

  private void notify(
      ListenerState listener, Map<Key, Finding> findings, Map<Key, Outcome> outcomes, Instant now) {
    List<Map.Entry<Key, DiscrepancyEvent>> due = new ArrayList<>();
    for (Map.Entry<Key, Finding> e : findings.entrySet()) {
      Finding finding = e.getValue();
      Reported last = listener.reported.get(e.getKey());
      DiscrepancyEvent.Kind kind;
      if (last == null) {
        kind = DiscrepancyEvent.Kind.NEW;
      } else if (finding.reconciliation().missingCount() > last.missing()) {
        kind = DiscrepancyEvent.Kind.GROWN;
      } else if (!now.isBefore(last.at.plus(renotifyAfter))) {
        kind = DiscrepancyEvent.Kind.REMINDER;
      } else {
        if (finding.reconciliation().missingCount() < last.missing()) {
          // A partial resend shrank it: growing back to the old count is news again.
          listener.reported.put(e.getKey(), new Reported(last.finding, last.at, finding));
        }
        continue;
      }
      due.add(Map.entry(e.getKey(), DiscrepancyEvent.of(kind, finding, now)));
    }
    for (Iterator<Map.Entry<Key, Reported>> it = listener.reported.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<Key, Reported> e = it.next();
      Outcome outcome = outcomes.get(e.getKey());
      if (outcome == Outcome.GONE && !e.getKey().unreadable()) {
        log.info("Batch {} was purged before its finding was resolved", e.getKey().batch());
        it.remove();
      } else if (outcome == Outcome.COMPLETE
          || outcome == Outcome.READABLE
          || outcome == Outcome.GONE) {
        // An unreadable batch that was purged is resolved too: purging it is one way to fix it.
        due.add(Map.entry(e.getKey(), DiscrepancyEvent.resolved(e.getValue().finding, now)));
      }
    }
    if (listener.listener instanceof RoundDiscrepancyListener) {
      deliverRound(listener, (RoundDiscrepancyListener) listener.listener, due, now);
      return;
    }
    for (int i = 0; i < due.size(); i++) {
      Key key = due.get(i).getKey();
      DiscrepancyEvent event = due.get(i).getValue();
      try {
        listener.listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn(
            "Listener {} failed on {} of batch {}; it gets this and {} more events again next"
                + " round: {}",
            listener.listener,
            event.kind(),
            key.batch(),
            due.size() - i - 1,
            e.toString());
        return;
      }
      delivered(listener, key, event, now);
    }
  }

  /**
   * Gives a round listener the round's events at once; on failure, those it says it delivered (all
   * or none, unless it is one of this package's that says how many) count as delivered.
   */
  private static void deliverRound(
      ListenerState listener,
      RoundDiscrepancyListener round,
      List<Map.Entry<Key, DiscrepancyEvent>> due,
      Instant now) {
    if (due.isEmpty()) {
      return;
    }
    int delivered = due.size();
    try {
      round.onRound(due.stream().map(Map.Entry::getValue).toList());
    } catch (RuntimeException e) {
      delivered =
          e instanceof PartialDeliveryException
              ? Math.max(0, Math.min(due.size(), ((PartialDeliveryException) e).delivered()))
              : 0;
      DiscrepancyEvent failed = due.get(Math.min(delivered, due.size() - 1)).getValue();
      log.warn(
          "Listener {} failed on {} of batch {}; it gets this and {} more events again next"
              + " round: {}",
          round,
          failed.kind(),
          failed.finding().batchId(),
          due.size() - delivered - 1,
          e.toString());
    }
    for (int i = 0; i < delivered; i++) {
      delivered(listener, due.get(i).getKey(), due.get(i).getValue(), now);
    }
  }

  /** Records that {@code listener} was told {@code event}. */
  private static void delivered(
      ListenerState listener, Key key, DiscrepancyEvent event, Instant now) {
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      listener.reported.remove(key);
    } else {
      listener.reported.put(key, new Reported(event.finding(), now, event.finding()));
    }
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
        listeners.stream().map(l -> l.listener.toString()).toList());
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
        + "}";
  }

  record StagePair(Stage upstream, Stage downstream) {
    static final StagePair DEFAULT = new StagePair(Stage.SENT, Stage.PROCESSED);

    @Override
    public String toString() {
      return upstream + "->" + downstream;
    }
  }

  /** What one listener was last told about one key. */
  private record Reported(Finding finding, Instant at, Finding latest) {
    long missing() {
      return latest.reconciliation().missingCount();
    }
  }

  private static final class ListenerState {
    final DiscrepancyListener listener;
    final Map<Key, Reported> reported = new HashMap<>();

    ListenerState(DiscrepancyListener listener) {
      this.listener = listener;
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
    private final List<StagePair> pairs = new ArrayList<>();
    private final List<DiscrepancyListener> listeners = new ArrayList<>();

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
     * back explicitly to keep the log lines).
     *
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(DiscrepancyListener listener) {
      listeners.add(requireNonNull(listener, "listener"));
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
