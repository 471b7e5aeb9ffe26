package io.recordtracker.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Binds what a {@link JdbcTrackerStore} counts itself, beside a tracker's meters ({@link
 * RecordTrackerMetrics}): the records marked with {@code markWithin}, which bypass every tracker
 * and so never show in {@code recordtracker.records.flushed}. Reads the store when the registry
 * asks. Needs {@code record-tracker-jdbc} on the class path, as any user of the store has.
 *
 * <pre>{@code
 * new RecordTrackerMetrics(tracker, monitor, Tags.of("app", "cis")).bindTo(registry);
 * new JdbcTrackerStoreMetrics(store, Tags.of("app", "cis")).bindTo(registry);
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>What</th></tr>
 *   <tr><td>{@code recordtracker.records.marked.within}</td><td>function counter, tag
 *       {@code stage}</td><td>records of this store's {@code markWithin} calls that returned
 *       normally ({@link JdbcTrackerStore#markedWithinRecords()}: counted when the call returns,
 *       before the caller commits or rolls back); one counter for the sent and processed stages at
 *       least, plus each stage marked before binding or named in {@link #stages}</td></tr>
 *   <tr><td>{@code recordtracker.store.replication.lag}</td><td>time gauge (seconds)</td><td>how
 *       far the standby the store reads is behind its primary ({@link
 *       JdbcTrackerStore#replicationLag()}); NaN when it cannot be told or the read fails. Bound
 *       only for a {@link JdbcTrackerStore#readOnly()} store (one on a PostgreSQL standby): each
 *       scrape runs one query</td></tr>
 * </table>
 */
public final class JdbcTrackerStoreMetrics implements MeterBinder {

  private final JdbcTrackerStore store;
  private final Tags tags;
  private final Set<Stage> stages = RecordTrackerMetrics.sentAndProcessed();

  /**
   * Meters of {@code store}, each carrying {@code tags}.
   *
   * @param store the store whose counts the meters read
   * @param tags tags every meter carries
   * @throws NullPointerException if {@code store} or {@code tags} is null
   */
  public JdbcTrackerStoreMetrics(JdbcTrackerStore store, Iterable<Tag> tags) {
    this.store = Objects.requireNonNull(store, "store must not be null");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags must not be null"));
  }

  /**
   * Also counts these custom stages. A stage's counter exists from binding on, so name here the
   * custom stages first marked after {@link #bindTo}.
   *
   * @param custom the stages to count
   * @return this
   * @throws NullPointerException if a stage is null
   */
  public JdbcTrackerStoreMetrics stages(Stage... custom) {
    RecordTrackerMetrics.addStages(stages, custom);
    return this;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Set<Stage> all = new LinkedHashSet<>(stages);
    all.addAll(store.markedWithinRecords().keySet());
    RecordTrackerMetrics.perStage(
        registry,
        "recordtracker.records.marked.within",
        "Records marked with markWithin in callers' transactions, counted when the call returns"
            + " (the caller may still roll back)",
        store,
        all,
        tags,
        (s, stage) -> s.markedWithinRecords().getOrDefault(stage, 0L));
    if (store.readOnly()) {
      TimeGauge.builder(
              "recordtracker.store.replication.lag",
              store,
              TimeUnit.MILLISECONDS,
              JdbcTrackerStoreMetrics::lagMillis)
          .description("How far the standby the store reads is behind its primary")
          .tags(tags)
          .register(registry);
    }
  }

  private static double lagMillis(JdbcTrackerStore store) {
    try {
      return store.replicationLag().map(d -> (double) d.toMillis()).orElse(Double.NaN);
    } catch (RuntimeException e) {
      return Double.NaN; // the database failed: the scrape shows no value rather than failing
    }
  }

  @Override
  public String toString() {
    return "JdbcTrackerStoreMetrics{store=" + store + ", tags=" + tags + "}";
  }
}
