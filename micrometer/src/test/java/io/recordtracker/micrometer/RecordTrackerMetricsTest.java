package io.recordtracker.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.spi.ForwardingTrackerStore;
import io.recordtracker.spi.MarkDelta;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecordTrackerMetricsTest {

  private final SettableClock clock = new SettableClock(Instant.parse("2026-11-25T08:00:00Z"));
  private final SwitchableStore store = new SwitchableStore();
  private final RecordTracker tracker =
      RecordTracker.builder().store(store).clock(clock).flushInterval(Duration.ofHours(1)).build();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void close() {
    store.failing.set(false);
    tracker.close();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  /**
   * A timer's total time in whole nanoseconds. The registry keeps it as a double in its base unit
   * (seconds), so nanoseconds come back off by a rounding error (62904728 ns reads as
   * 6.290472799999999E7); far below half a nanosecond for any duration a test sees.
   */
  private static long nanos(FunctionTimer timer) {
    return Math.round(timer.totalTime(TimeUnit.NANOSECONDS));
  }

  @Test
  void a_timers_total_reads_back_in_exact_nanoseconds() {
    FunctionTimer timer =
        FunctionTimer.builder("t", this, o -> 1, o -> 62_904_728L, TimeUnit.NANOSECONDS)
            .register(registry);
    assertThat(nanos(timer)).isEqualTo(62_904_728L);
  }

  @Test
  void counters_and_timers_follow_the_trackers_stats() {
    new RecordTrackerMetrics(tracker, null, Tags.of("app", "cis")).bindTo(registry);
    BatchId id = BatchId.of("B-1");
    tracker.openBatch(id, 100);
    tracker.markSent(id, RecordRange.of(0, 99));
    tracker.markProcessed(id, RecordRange.of(0, 89));
    tracker.flush();
    tracker.reconcile(id);
    tracker.reconcile(id);
    tracker.markProcessed(id, RecordRange.of(90, 94));

    assertThat(counter("recordtracker.records.flushed", "stage", "sent", "app", "cis"))
        .isEqualTo(100);
    assertThat(counter("recordtracker.records.flushed", "stage", "processed")).isEqualTo(90);
    assertThat(counter("recordtracker.flushes")).isEqualTo(1);
    assertThat(counter("recordtracker.flush.failures")).isZero();
    assertThat(gauge("recordtracker.records.buffered")).isEqualTo(5);
    assertThat(gauge("recordtracker.store.healthy")).isEqualTo(1);
    FunctionTimer flush = registry.get("recordtracker.flush").functionTimer();
    assertThat(flush.count()).isEqualTo(1);
    assertThat(nanos(flush)).isEqualTo(tracker.stats().flushTime().toNanos());
    FunctionTimer reconcile = registry.get("recordtracker.reconcile").functionTimer();
    assertThat(reconcile.count()).isEqualTo(2);
    assertThat(nanos(reconcile)).isEqualTo(tracker.stats().reconcileTime().toNanos());
    assertThat(registry.find("recordtracker.batches.open").gauge()).isNull(); // no monitor
  }

  @Test
  void failing_store_shows_as_flush_failures_and_unhealthy() {
    new RecordTrackerMetrics(tracker).bindTo(registry);
    BatchId id = BatchId.of("B-2");
    tracker.openBatch(id, 10);
    tracker.markSent(id, RecordRange.of(0, 9));
    store.failing.set(true);

    assertThatThrownBy(tracker::flush).isInstanceOf(TrackerStoreException.class);

    assertThat(counter("recordtracker.flush.failures")).isEqualTo(1);
    assertThat(gauge("recordtracker.store.healthy")).isZero();
    assertThat(gauge("recordtracker.records.buffered")).isEqualTo(10);

    store.failing.set(false);
    tracker.flush();
    assertThat(gauge("recordtracker.store.healthy")).isEqualTo(1);
    assertThat(gauge("recordtracker.records.buffered")).isZero();
    assertThat(counter("recordtracker.records.flushed", "stage", "sent")).isEqualTo(10);
  }

  @Test
  void monitor_gauges_show_the_last_rounds_open_overdue_and_missing() {
    CompletenessMonitor monitor =
        CompletenessMonitor.builder(tracker)
            .listener(e -> {})
            .deadline(Duration.ofHours(1))
            .build();
    new RecordTrackerMetrics(tracker, monitor, Tags.empty()).bindTo(registry);
    BatchId lossy = BatchId.of("LOSSY");
    tracker.openBatch(lossy, 1_000);
    tracker.markSent(lossy, RecordRange.of(0, 999));
    tracker.markProcessed(lossy, RecordRange.of(0, 899));
    tracker.openBatch(BatchId.of("NOTHING-SENT"), 50);
    BatchId fine = BatchId.of("FINE");
    tracker.openBatch(fine, 10);
    tracker.markSent(fine, RecordRange.of(0, 9));
    tracker.markProcessed(fine, RecordRange.of(0, 9));
    tracker.flush();
    // Before the first round nothing is known: NaN, not 0 (an alert on "> 0" stays quiet).
    assertThat(gauge("recordtracker.batches.open")).isNaN();
    assertThat(gauge("recordtracker.batches.overdue", "kind", "overdue")).isNaN();
    assertThat(gauge("recordtracker.records.missing")).isNaN();

    clock.advance(Duration.ofMinutes(61));
    monitor.runOnce();

    assertThat(gauge("recordtracker.batches.open")).isEqualTo(3);
    assertThat(gauge("recordtracker.batches.overdue", "kind", "overdue")).isEqualTo(1);
    assertThat(gauge("recordtracker.batches.overdue", "kind", "stalled")).isEqualTo(1);
    assertThat(gauge("recordtracker.records.missing")).isEqualTo(100);

    tracker.markProcessed(lossy, RecordRange.of(900, 999));
    tracker.flush();
    monitor.runOnce();
    assertThat(gauge("recordtracker.batches.open")).isEqualTo(2); // FINE was recorded complete
    assertThat(gauge("recordtracker.batches.overdue", "kind", "overdue")).isZero();
    assertThat(gauge("recordtracker.records.missing")).isZero();
  }

  @Test
  void monitor_meters_count_rounds_run_and_failed_and_the_time_since_the_last_success() {
    CompletenessMonitor monitor = CompletenessMonitor.builder(tracker).listener(e -> {}).build();
    new RecordTrackerMetrics(tracker, monitor, Tags.of("app", "cis")).bindTo(registry);
    FunctionTimer round =
        registry.get("recordtracker.monitor.round").tags("app", "cis").functionTimer();

    assertThat(counter("recordtracker.monitor.rounds", "app", "cis")).isZero();
    assertThat(counter("recordtracker.monitor.rounds.failed")).isZero();
    assertThat(round.count()).isZero();
    assertThat(gauge("recordtracker.monitor.last.success.age")).isNaN();
    assertThat(registry.get("recordtracker.monitor.last.success.age").gauge().getId().getBaseUnit())
        .isEqualTo("seconds");

    monitor.runOnce();
    clock.advance(Duration.ofSeconds(90));
    assertThat(counter("recordtracker.monitor.rounds")).isEqualTo(1);
    assertThat(round.count()).isEqualTo(1);
    assertThat(gauge("recordtracker.monitor.last.success.age")).isEqualTo(90);
    assertThat(gauge("recordtracker.batches.open")).isZero(); // a round looked: now 0 is known

    store.readsFailing.set(true);
    assertThatThrownBy(monitor::runOnce).isInstanceOf(TrackerStoreException.class);
    assertThatThrownBy(monitor::runOnce).isInstanceOf(TrackerStoreException.class);
    clock.advance(Duration.ofSeconds(60));
    assertThat(counter("recordtracker.monitor.rounds")).isEqualTo(1);
    assertThat(counter("recordtracker.monitor.rounds.failed")).isEqualTo(2);
    assertThat(round.count()).isEqualTo(1);
    assertThat(gauge("recordtracker.monitor.last.success.age")).isEqualTo(150);

    store.readsFailing.set(false);
    monitor.runOnce();
    assertThat(counter("recordtracker.monitor.rounds")).isEqualTo(2);
    assertThat(round.count()).isEqualTo(2);
    assertThat(gauge("recordtracker.monitor.last.success.age")).isZero();
    assertThat(monitor.stats().failedRounds()).isEqualTo(2);
    assertThat(monitor.stats().lastSuccessAt()).contains(clock.instant());
  }

  @Test
  void custom_stages_named_before_binding_get_their_counter() {
    Stage received = Stage.of("received");
    new RecordTrackerMetrics(tracker).stages(received).bindTo(registry);
    BatchId id = BatchId.of("B-3");
    tracker.openBatch(id, 10);
    tracker.mark(id, received, RecordRange.of(0, 6));
    tracker.flush();

    assertThat(counter("recordtracker.records.flushed", "stage", "received")).isEqualTo(7);
    assertThat(counter("recordtracker.records.flushed", "stage", "sent")).isZero();
  }

  /** An in-memory store whose merge fails while {@code failing} is set. */
  static final class SwitchableStore extends ForwardingTrackerStore {
    final AtomicBoolean failing = new AtomicBoolean();
    final AtomicBoolean readsFailing = new AtomicBoolean();

    @Override
    public List<BatchInfo> batches(BatchQuery query) {
      if (readsFailing.get()) {
        throw new TrackerStoreException("database unreachable (simulated)");
      }
      return super.batches(query);
    }

    @Override
    public void merge(List<MarkDelta> deltas) {
      if (failing.get()) {
        throw new TrackerStoreException("database unreachable (simulated)");
      }
      super.merge(deltas);
    }
  }
}
