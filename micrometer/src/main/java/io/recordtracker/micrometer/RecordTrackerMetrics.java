package io.recordtracker.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStats;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.Finding;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * Binds a {@link RecordTracker}'s counters, and optionally a {@link CompletenessMonitor}'s last
 * findings, to a Micrometer {@link MeterRegistry}. Every meter reads the tracker when the registry
 * asks (no thread, no cost between scrapes).
 *
 * <pre>{@code
 * new RecordTrackerMetrics(tracker, monitor, Tags.of("app", "cis")).bindTo(registry);
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>What</th></tr>
 *   <tr><td>{@code recordtracker.records.flushed}</td><td>function counter, tag {@code stage}</td>
 *       <td>records flushed to the store per stage (one per sent and processed stage at least,
 *       plus each stage flushed before binding or named in {@link #stages})</td></tr>
 *   <tr><td>{@code recordtracker.flushes}</td><td>function counter</td>
 *       <td>successful flushes</td></tr>
 *   <tr><td>{@code recordtracker.flush.failures}</td><td>function counter</td>
 *       <td>failed flush attempts (each retried)</td></tr>
 *   <tr><td>{@code recordtracker.flush}</td><td>function timer</td>
 *       <td>successful flushes and their time</td></tr>
 *   <tr><td>{@code recordtracker.reconcile}</td><td>function timer</td>
 *       <td>reconciliations and their time</td></tr>
 *   <tr><td>{@code recordtracker.records.buffered}</td><td>gauge</td>
 *       <td>marked records not yet durable</td></tr>
 *   <tr><td>{@code recordtracker.store.healthy}</td><td>gauge</td>
 *       <td>1 while flushes succeed, 0 while the store fails</td></tr>
 *   <tr><td>{@code recordtracker.batches.open}</td><td>gauge (with a monitor)</td>
 *       <td>incomplete batches in the monitor's last round</td></tr>
 *   <tr><td>{@code recordtracker.batches.overdue}</td><td>gauge (with a monitor), tag
 *       {@code kind}</td><td>findings of the last round: {@code overdue}, {@code stalled},
 *       {@code unreadable} and {@code past_deadline}</td></tr>
 *   <tr><td>{@code recordtracker.records.missing}</td><td>gauge (with a monitor)</td>
 *       <td>records missing downstream over the last round's findings</td></tr>
 *   <tr><td>{@code recordtracker.monitor.rounds}</td><td>function counter (with a monitor)</td>
 *       <td>monitor rounds that completed</td></tr>
 *   <tr><td>{@code recordtracker.monitor.rounds.failed}</td><td>function counter (with a
 *       monitor)</td><td>monitor rounds that failed</td></tr>
 *   <tr><td>{@code recordtracker.monitor.round}</td><td>function timer (with a monitor)</td>
 *       <td>completed rounds and their time</td></tr>
 *   <tr><td>{@code recordtracker.monitor.last.success.age}</td><td>gauge (with a monitor),
 *       seconds</td><td>time since the last completed round, by the tracker's clock</td></tr>
 * </table>
 *
 * The monitor's gauges are NaN, not 0, until its first round completes: nothing is known yet. An
 * alert on {@code recordtracker.monitor.last.success.age} above a few periods says the monitor
 * itself stopped working.
 *
 * <p>An alert rule on {@code recordtracker.batches.overdue > 0} pages someone; one on {@code
 * recordtracker.store.healthy == 0} says marks are piling up.
 */
public final class RecordTrackerMetrics implements MeterBinder {

  private final RecordTracker tracker;
  private final CompletenessMonitor monitor;
  private final Tags tags;
  private final Set<Stage> stages = sentAndProcessed();

  /**
   * Meters of {@code tracker} alone.
   *
   * @param tracker the tracker whose stats the meters read
   * @throws NullPointerException if {@code tracker} is null
   */
  public RecordTrackerMetrics(RecordTracker tracker) {
    this(tracker, null, Tags.empty());
  }

  /**
   * Meters of {@code tracker} and, when {@code monitor} is not null, of its last findings; every
   * meter carries {@code tags}.
   *
   * @param tracker the tracker whose stats the meters read
   * @param monitor the monitor whose last round the gauges show, or null for none
   * @param tags tags every meter carries
   * @throws NullPointerException if {@code tracker} or {@code tags} is null
   */
  public RecordTrackerMetrics(
      RecordTracker tracker, CompletenessMonitor monitor, Iterable<Tag> tags) {
    this.tracker = Objects.requireNonNull(tracker, "tracker must not be null");
    this.monitor = monitor;
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags must not be null"));
  }

  /**
   * Also counts flushed records of these custom stages. A stage's counter exists from binding on,
   * so name here the custom stages first marked after {@link #bindTo}.
   *
   * @param custom the stages to count
   * @return this
   */
  public RecordTrackerMetrics stages(Stage... custom) {
    addStages(stages, custom);
    return this;
  }

  /** A modifiable set of the sent and processed stages, in that order. */
  static Set<Stage> sentAndProcessed() {
    return new LinkedHashSet<>(List.of(Stage.SENT, Stage.PROCESSED));
  }

  /** Adds {@code custom} to {@code stages}, refusing a null stage. */
  static void addStages(Set<Stage> stages, Stage... custom) {
    for (Stage s : custom) {
      stages.add(Objects.requireNonNull(s, "stage must not be null"));
    }
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Set<Stage> all = new LinkedHashSet<>(stages);
    all.addAll(tracker.stats().flushedRecords().keySet());
    perStage(
        registry,
        "recordtracker.records.flushed",
        "Records flushed to the store",
        tracker,
        all,
        tags,
        (t, stage) -> t.stats().flushedRecords().getOrDefault(stage, 0L));
    perStage(
        registry,
        "recordtracker.records.rejected",
        "Marked records set aside, not stored: the store no longer had the batch they were made"
            + " for (purged, restored, tables recreated)",
        tracker,
        all,
        tags,
        (t, stage) -> t.stats().rejectedRecords().getOrDefault(stage, 0L));
    FunctionCounter.builder("recordtracker.flushes", tracker, t -> t.stats().flushes())
        .description("Successful flushes of buffered marks")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder("recordtracker.flush.failures", tracker, t -> t.stats().flushFailures())
        .description("Failed flush attempts; the marks are kept and retried")
        .tags(tags)
        .register(registry);
    FunctionTimer.builder(
            "recordtracker.flush",
            tracker,
            t -> t.stats().flushes(),
            t -> t.stats().flushTime().toNanos(),
            TimeUnit.NANOSECONDS)
        .description("Successful flushes and the time they took")
        .tags(tags)
        .register(registry);
    FunctionTimer.builder(
            "recordtracker.reconcile",
            tracker,
            t -> t.stats().reconciles(),
            t -> t.stats().reconcileTime().toNanos(),
            TimeUnit.NANOSECONDS)
        .description("Reconciliations and the time they took")
        .tags(tags)
        .register(registry);
    Gauge.builder("recordtracker.records.buffered", tracker, t -> t.stats().bufferedRecords())
        .description("Marked records not yet durable in the store")
        .baseUnit("records")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("recordtracker.store.healthy", tracker, t -> healthy(t.stats()))
        .description("1 while flushes succeed, 0 while the store fails")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    if (monitor != null) {
      bindMonitor(registry);
    }
  }

  private void bindMonitor(MeterRegistry registry) {
    FunctionCounter.builder("recordtracker.monitor.rounds", monitor, m -> m.stats().rounds())
        .description("Completeness monitor rounds that completed")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(
            "recordtracker.monitor.rounds.failed", monitor, m -> m.stats().failedRounds())
        .description(
            "Completeness monitor rounds that failed (the store failed); retried next round")
        .tags(tags)
        .register(registry);
    FunctionTimer.builder(
            "recordtracker.monitor.round",
            monitor,
            m -> m.stats().rounds(),
            m -> m.stats().roundTime().toNanos(),
            TimeUnit.NANOSECONDS)
        .description("Completed completeness monitor rounds and the time they took")
        .tags(tags)
        .register(registry);
    Gauge.builder(
            "recordtracker.monitor.last.success.age",
            monitor,
            m ->
                m.stats()
                    .sinceLastSuccess(tracker.clock().instant())
                    .map(d -> d.toNanos() / 1e9)
                    .orElse(Double.NaN))
        .description(
            "Seconds since the completeness monitor last completed a round; NaN before the first")
        .baseUnit("seconds")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    // The gauges of findings say nothing (NaN, not 0) until a round has looked.
    Gauge.builder(
            "recordtracker.batches.open",
            monitor,
            m -> afterFirstRound(m, m.lastIncompleteBatches()))
        .description("Incomplete batches in the completeness monitor's last round")
        .baseUnit("batches")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    for (Finding.Kind kind : Finding.Kind.values()) {
      Gauge.builder(
              "recordtracker.batches.overdue",
              monitor,
              m ->
                  afterFirstRound(
                      m, m.lastFindings().stream().filter(f -> f.kind() == kind).count()))
          .description("Batches found overdue or stalled in the monitor's last round")
          .baseUnit("batches")
          .tags(tags)
          .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
          .strongReference(true)
          .register(registry);
    }
    Gauge.builder(
            "recordtracker.records.missing",
            monitor,
            m ->
                afterFirstRound(
                    m,
                    m.lastFindings().stream()
                        .mapToLong(f -> f.reconciliation().missingCount())
                        .sum()))
        .description("Records missing downstream in the monitor's last findings")
        .baseUnit("records")
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }

  /**
   * Registers a function counter {@code name} of records for each of {@code stages}, tagged with
   * the stage, reading {@code count} of {@code source} when the registry asks.
   */
  static <T> void perStage(
      MeterRegistry registry,
      String name,
      String description,
      T source,
      Set<Stage> stages,
      Tags tags,
      BiFunction<T, Stage, Long> count) {
    for (Stage stage : stages) {
      FunctionCounter.builder(name, source, s -> count.apply(s, stage))
          .description(description)
          .baseUnit("records")
          .tags(tags)
          .tag("stage", stage.name())
          .register(registry);
    }
  }

  /** {@code value}, or NaN while {@code monitor} has not completed a round: unknown, not zero. */
  private static double afterFirstRound(CompletenessMonitor monitor, long value) {
    return monitor.stats().lastSuccessAt().isPresent() ? value : Double.NaN;
  }

  private static double healthy(TrackerStats stats) {
    return stats.storeHealthy() ? 1 : 0;
  }

  @Override
  public String toString() {
    return "RecordTrackerMetrics{tags=" + tags + ", monitor=" + (monitor != null) + "}";
  }
}
