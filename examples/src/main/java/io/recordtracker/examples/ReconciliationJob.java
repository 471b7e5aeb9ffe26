package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciliation a team adds to a job it already schedules (a cron, a Quartz job, a {@code
 * ScheduledExecutorService}): each run looks at the batches marked recently and not yet seen
 * complete, and for each one that has settled (no mark for a while, so nothing is still in flight)
 * reconciles sent against processed. A discrepancy is reported once, with the hop where the records
 * disappeared: the first pair of consecutive stages of the chain ({@code sent -> received ->
 * processed}) between which records went missing.
 */
final class ReconciliationJob implements Runnable {
  private static final Logger log = LoggerFactory.getLogger("reconciliation-job");

  /** What one run found wrong with one batch. */
  record Finding(
      BatchInfo batch, Reconciliation sentToProcessed, Reconciliation hop, Duration took) {

    /** "received->processed": the hop where the records disappeared. */
    String hopName() {
      return hop.upstream() + "->" + hop.downstream();
    }

    /** What the hop means, in words a person on call reads at 3 a.m. */
    String hopMeaning() {
      if (hop.upstream().equals(CisProcessor.RECEIVED)) {
        return "the file arrived and its records were read, but they were never processed";
      }
      if (hop.downstream().equals(CisProcessor.RECEIVED)) {
        return "the records were sent but never arrived";
      }
      return "the records were marked "
          + hop.upstream()
          + " but never "
          + hop.downstream()
          + " (add a stage in between to narrow the hop down)";
    }
  }

  private final RecordTracker tracker;
  private final List<Stage> chain;
  private final Duration settle;
  private final Duration lookBack;
  private final Map<String, String> attributes;
  private final Consumer<Finding> alert;
  private final Map<BatchId, Long> alerted = new HashMap<>(); // guarded by this

  /**
   * A job over {@code tracker}'s store.
   *
   * @param chain the stages records go through, first to last, such as sent, received, processed
   * @param settle how long a batch must have had no new mark before it is judged
   * @param lookBack how far back a batch's last mark may be to be looked at
   * @param attributes only batches with these attributes; empty for all
   * @param alert called once per discrepancy (a new batch, or a new missing count)
   */
  ReconciliationJob(
      RecordTracker tracker,
      List<Stage> chain,
      Duration settle,
      Duration lookBack,
      Map<String, String> attributes,
      Consumer<Finding> alert) {
    if (chain.size() < 2) {
      throw new IllegalArgumentException("chain needs at least two stages: " + chain);
    }
    this.tracker = tracker;
    this.chain = List.copyOf(chain);
    this.settle = settle;
    this.lookBack = lookBack;
    this.attributes = Map.copyOf(attributes);
    this.alert = alert;
  }

  /** One scheduled run. Never throws: a scheduled executor would silently stop running it. */
  @Override
  public void run() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      log.error("Reconciliation run failed; the next run retries", e);
    }
  }

  /** One run: the discrepancies found now, each alerted once. */
  synchronized List<Finding> runOnce() {
    Instant now = tracker.clock().instant();
    BatchQuery.Builder query =
        BatchQuery.builder()
            .markedAfter(now.minus(lookBack))
            .completion(BatchQuery.Completion.INCOMPLETE)
            .limit(BatchQuery.MAX_LIMIT);
    attributes.forEach(query::attribute);
    BatchQuery recent = query.build();
    List<Finding> findings = new ArrayList<>();
    List<BatchInfo> batches = tracker.batches(recent);
    // Forget batches that completed, were purged or aged out, so this map stays small.
    alerted.keySet().retainAll(batches.stream().map(BatchInfo::id).toList());
    for (BatchInfo batch : batches) {
      Instant lastMark =
          batch.lastMarkedAt().values().stream().max(Instant::compareTo).orElse(batch.openedAt());
      if (lastMark.isAfter(now.minus(settle))) {
        continue; // still moving: missing records may just be in flight
      }
      Finding finding = check(batch);
      if (finding == null) {
        alerted.remove(batch.id());
        continue;
      }
      findings.add(finding);
      Long before = alerted.put(batch.id(), finding.sentToProcessed().missingCount());
      if (before == null || before != finding.sentToProcessed().missingCount()) {
        log.warn(
            "ALERT batch {} ({}): {} records sent and never processed, lost at {}: {}",
            batch.id(),
            batch.attributes().getOrDefault("file", "no file name"),
            IncidentReplay.count(finding.sentToProcessed().missingCount()),
            finding.hopName(),
            finding.hopMeaning());
        alert.accept(finding);
      }
    }
    return findings;
  }

  /** Reconciles one batch; null if it is complete. */
  Finding check(BatchInfo batch) {
    long start = System.nanoTime();
    Reconciliation whole = tracker.reconcile(batch.id(), first(), last());
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (whole.missingCount() == 0) {
      return null;
    }
    return new Finding(batch, whole, hop(batch), took);
  }

  /**
   * The first hop that lost records, among the stages of the chain this batch uses (a stage no
   * record ever reached is not instrumented for this batch, so it is skipped).
   */
  private Reconciliation hop(BatchInfo batch) {
    List<Stage> used = new ArrayList<>();
    for (Stage stage : chain) {
      if (stage.equals(first()) || stage.equals(last()) || batch.lastMarkedAt(stage).isPresent()) {
        used.add(stage);
      }
    }
    for (int i = 0; i + 1 < used.size(); i++) {
      Reconciliation hop = tracker.reconcile(batch.id(), used.get(i), used.get(i + 1));
      if (hop.missingCount() > 0) {
        return hop;
      }
    }
    return tracker.reconcile(batch.id(), first(), last());
  }

  private Stage first() {
    return chain.get(0);
  }

  private Stage last() {
    return chain.get(chain.size() - 1);
  }
}
