package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.internal.TrackerInternals;
import io.recordtracker.monitor.CompletenessMonitor.StagePair;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one monitor round finds: pages through the incomplete batches, and for each watched stage
 * pair of each decides whether it is overdue, stalled, past its deadline, unreadable, complete or
 * not yet due, reconciling only the batches past their grace or deadline and those with a reported
 * finding. The {@link CompletenessMonitor} then decides what to tell each listener.
 *
 * <p>A round's cost follows change: one paged query over the incomplete batches, plus one reconcile
 * per due (batch, pair) whose marks may have changed since it was last reconciled. The
 * reconciliation of each listed (batch, pair) is remembered with the batch as the listing showed it
 * (incarnation, seal, size, opening and every stage's last-marked time) and used again, instead of
 * reconciling, while
 *
 * <ol>
 *   <li>the listing shows the batch as it was: marks only grow, and each write advances its stage's
 *       last-marked time, so the same times mean the same marks;
 *   <li>the reconcile came at least {@code grace} after the batch's last mark it saw: a mark is
 *       stamped when it is handed to the store, so it may become visible a little after a reconcile
 *       that already read its time; past {@code grace} of quiet, none is still on its way. A batch
 *       being worked on is reconciled each round it is due, as before. (A mark made within a
 *       caller's transaction has its time written off that transaction, shortly before or after the
 *       commit: its batch is read again once the time is written.);
 *   <li>this tracker holds no unflushed marks of the batch (its reconcile counts them, the store's
 *       times do not show them);
 *   <li>less than {@code renotifyAfter} has passed since: an unchanged finding is read afresh when
 *       a reminder of it is due, so that nothing, whatever the times said, stays stale longer;
 *   <li>it is not a sealed batch seen complete between {@code sent} and {@code processed} and still
 *       listed incomplete: that reconcile failed to record the completion (another transaction held
 *       the batch), and is made again the next round, then after 1, 2, 4 ... up to {@value
 *       #MAX_COMPLETION_BACKOFF} rounds.
 * </ol>
 *
 * <p>What is remembered is bounded by the incomplete batches: a batch no longer listed (complete,
 * purged) is forgotten at the end of the round that did not list it. Rounds never overlap (the
 * monitor holds its round lock), so the memory needs no lock of its own.
 */
final class FindingScan {

  /** The most rounds a batch seen complete and still listed incomplete waits to be reconciled. */
  static final int MAX_COMPLETION_BACKOFF = 64;

  // The monitor's logger: its log lines are the monitor's.
  private static final Logger log = LoggerFactory.getLogger(CompletenessMonitor.class);

  private final RecordTracker tracker;
  private final Duration grace;
  private final Duration deadline;
  private final Duration renotifyAfter;
  private final List<StagePair> pairs;

  /** The last reconciliation of each listed (batch, pair), by its key for marks. */
  private final Map<Key, Remembered> remembered = new HashMap<>();

  /** Batches of which the tracker holds unflushed marks, as of the start of the round. */
  private Set<BatchId> unflushed = Set.of();

  /** Reconciles made by the running round. */
  private long reconciled;

  FindingScan(
      RecordTracker tracker,
      Duration grace,
      Duration deadline,
      Duration renotifyAfter,
      List<StagePair> pairs) {
    this.tracker = tracker;
    this.grace = grace;
    this.deadline = deadline;
    this.renotifyAfter = renotifyAfter;
    this.pairs = pairs;
  }

  /**
   * What a round found: how many incomplete batches, how many (batch, pair) it reconciled, each
   * key's outcome and the findings.
   */
  record Round(
      long incomplete, long reconciled, Map<Key, Outcome> outcomes, Map<Key, Finding> findings) {}

  /**
   * A (batch, pair)'s last reconciliation: the batch as listed when it was made, when, and how many
   * rounds to use it still before reconciling again a batch seen complete and listed incomplete.
   */
  private static final class Remembered {
    final BatchInfo seen;
    final Instant at;
    final Reconciliation reconciliation;
    final int backoff;
    int skipsLeft;

    Remembered(BatchInfo seen, Instant at, Reconciliation reconciliation, int backoff) {
      this.seen = seen;
      this.at = at;
      this.reconciliation = reconciliation;
      this.backoff = backoff;
      this.skipsLeft = backoff;
    }
  }

  /** How many (batch, pair) reconciliations are remembered; for tests. */
  int remembered() {
    return remembered.size();
  }

  /**
   * Classifies every watched pair of every incomplete batch, and of every batch with a key in
   * {@code reported} that left the incomplete list (complete now, abandoned, or purged).
   *
   * @throws TrackerStoreException if the store fails (not for one batch that cannot be read)
   */
  Round run(Instant now, Set<Key> reported) {
    Map<Key, Outcome> outcomes = new HashMap<>();
    Map<Key, Finding> findings = new LinkedHashMap<>();
    reconciled = 0;
    unflushed = TrackerInternals.bridge().batchesWithUnflushedMarks(tracker);
    long incomplete = scan(now, reported, outcomes, findings);

    // Reported findings whose batch left the incomplete list: complete now, abandoned, or purged.
    for (Key key : reported) {
      if (!outcomes.containsKey(key)) {
        Optional<BatchInfo> batch = tracker.batch(key.batch);
        if (batch.isEmpty()) {
          outcomes.put(key.forMarks(), Outcome.GONE);
          outcomes.put(key.forReading(), Outcome.GONE);
        } else if (batch.get().isAbandoned()) {
          // A team closed it: what was reported of it is resolved, and nothing new is found.
          outcomes.put(key.forMarks(), Outcome.COMPLETE);
          outcomes.put(key.forReading(), Outcome.READABLE);
        } else {
          classify(batch.get(), key.forMarks(), now, reported, outcomes, findings, false);
        }
      }
    }
    return new Round(incomplete, reconciled, outcomes, findings);
  }

  /**
   * The finding of {@code key} as its batch stands now, read again; null if there is none. For a
   * monitor about to act on what another monitor recorded after this round's scan read the batch.
   *
   * @throws TrackerStoreException if the store fails
   */
  Finding recheck(Key key, Instant now) {
    Optional<BatchInfo> batch = tracker.batch(key.batch);
    if (batch.isEmpty() || batch.get().isAbandoned()) {
      return null;
    }
    Map<Key, Outcome> outcomes = new HashMap<>();
    Map<Key, Finding> findings = new HashMap<>();
    classify(batch.get(), key.forMarks(), now, Set.of(), outcomes, findings, false);
    return findings.get(key);
  }

  /** Pages through the incomplete batches and classifies each pair of each; returns how many. */
  private long scan(
      Instant now, Set<Key> reported, Map<Key, Outcome> outcomes, Map<Key, Finding> findings) {
    long seen = 0;
    Set<BatchId> listed = new HashSet<>();
    BatchQuery.Builder query =
        BatchQuery.builder()
            .completion(BatchQuery.Completion.INCOMPLETE)
            .limit(CompletenessMonitor.PAGE_SIZE);
    while (true) {
      // Keyset paging: batches completed meanwhile (here, as reconcile records completions, or by
      // other processes) leave the result without shifting the pages that follow.
      List<BatchInfo> page = tracker.batches(query.build());
      for (BatchInfo batch : page) {
        seen++;
        listed.add(batch.id());
        for (StagePair pair : pairs) {
          Key key = new Key(batch.id(), pair.upstream(), pair.downstream(), false);
          classify(batch, key, now, reported, outcomes, findings, true);
        }
      }
      if (page.size() < CompletenessMonitor.PAGE_SIZE) {
        // Only listed batches are remembered: complete and purged ones are forgotten.
        remembered.keySet().removeIf(k -> !listed.contains(k.batch));
        return seen;
      }
      query.startAfter(page.get(page.size() - 1));
    }
  }

  /**
   * Classifies one (batch, pair) under both its keys: {@code key} for what its marks show and
   * {@code key.forReading()} for whether they can be read. While they cannot, what was reported
   * under {@code key} stays as it was: nothing is known to change it. A {@code listed} batch (in
   * the incomplete listing) is reconciled only if it may have changed since it was last.
   */
  private void classify(
      BatchInfo batch,
      Key key,
      Instant now,
      Set<Key> reported,
      Map<Key, Outcome> outcomes,
      Map<Key, Finding> findings,
      boolean listed) {
    Key unreadable = key.forReading();
    boolean force = reported.contains(key) || reported.contains(unreadable);
    Outcome outcome = evaluate(batch, key, now, force, listed);
    if (outcome.finding != null && outcome.finding.kind() == Finding.Kind.UNREADABLE) {
      outcomes.put(unreadable, outcome);
      findings.put(unreadable, outcome.finding);
      outcomes.put(key, Outcome.UNKNOWN);
      return;
    }
    outcomes.put(key, outcome);
    if (outcome.finding != null) {
      findings.put(key, outcome.finding);
    }
    outcomes.put(unreadable, outcome == Outcome.GONE ? Outcome.GONE : Outcome.READABLE);
  }

  /**
   * Classifies one (batch, pair). Reconciles only when the batch is past its grace or deadline, or
   * when {@code force} (a finding is open and may have been resolved); a {@code listed} batch only
   * if its marks may have changed since it was last reconciled.
   */
  private Outcome evaluate(BatchInfo batch, Key key, Instant now, boolean force, boolean listed) {
    Finding.Kind kind = null;
    Instant since;
    Optional<Instant> lastUpstream = batch.lastMarkedAt(key.upstream);
    if (!batch.isSealed()) {
      // Unsealed: its records are not all known, so nothing is overdue; it is stalled once no
      // stage was marked (nor the batch opened) for deadline, the sender never sealing it.
      since = lastActivity(batch).plus(deadline);
      if (!now.isBefore(since)) {
        kind = Finding.Kind.STALLED;
      }
    } else if (lastUpstream.isPresent()) {
      // Grace follows progress: a mark at any stage (downstream processing, a resend) restarts it,
      // so a batch still being worked through is never overdue, and never overdue while the gate
      // (which counts any stage's mark within its window) sees it in flight. The deadline, counted
      // from the opening, bounds how long it may progress without completing.
      since = lastActivity(batch).plus(grace);
      if (!now.isBefore(since)) {
        kind = Finding.Kind.OVERDUE;
      } else if (!now.isBefore(batch.openedAt().plus(deadline))) {
        since = batch.openedAt().plus(deadline);
        kind = Finding.Kind.PAST_DEADLINE;
      }
    } else {
      since = batch.openedAt().plus(deadline);
      if (!now.isBefore(since)) {
        kind = Finding.Kind.STALLED;
      }
    }
    if (kind == null && !force) {
      return Outcome.NOT_DUE;
    }
    Reconciliation r = listed ? recall(batch, key, now) : null;
    if (r == null) {
      try {
        reconciled++;
        // Watched pairs are configured, not typed: a custom stage no batch reached yet is the
        // incident itself (every record missing), never a typo to refuse.
        r =
            TrackerInternals.bridge()
                .reconcileWatched(tracker, batch.id(), key.upstream, key.downstream);
      } catch (UnknownBatchException e) {
        remembered.remove(key);
        return Outcome.GONE; // purged between the listing and now
      } catch (TrackerStoreException | IllegalStateException e) {
        remembered.remove(key); // a failure is tried again next round
        return unreadable(batch, key, since, e);
      }
      if (listed) {
        remember(batch, key, now, r);
      }
    }
    if (batch.isSealed() ? r.missingCount() == 0 && r.absentUpstreamCount() == 0 : kind == null) {
      return Outcome.COMPLETE; // an unsealed one: marked again, no longer stalled
    }
    if (kind == null) {
      return Outcome.NOT_DUE; // a resend is under way: within grace again
    }
    switch (kind) {
      case OVERDUE:
        return new Outcome(Finding.overdue(batch, r, since));
      case PAST_DEADLINE:
        return new Outcome(Finding.pastDeadline(batch, r, since));
      default:
        return new Outcome(Finding.stalled(batch, r, since));
    }
  }

  /**
   * The reconciliation of {@code key} remembered from an earlier round, if it still holds (see the
   * class comment); null if the batch must be reconciled.
   */
  private Reconciliation recall(BatchInfo batch, Key key, Instant now) {
    Remembered last = remembered.get(key);
    if (last == null
        || !sameMarks(last.seen, batch)
        || unflushed.contains(batch.id())
        || last.at.isBefore(lastActivity(batch).plus(grace))
        || !now.isBefore(last.at.plus(renotifyAfter))) {
      return null;
    }
    if (completionUnrecorded(batch, key, last.reconciliation)) {
      if (last.skipsLeft == 0) {
        return null;
      }
      last.skipsLeft--;
    }
    return last.reconciliation;
  }

  /** Remembers {@code r}, made at {@code now} of {@code batch} as listed. */
  private void remember(BatchInfo batch, Key key, Instant now, Reconciliation r) {
    int backoff = 0;
    if (completionUnrecorded(batch, key, r)) {
      Remembered last = remembered.get(key);
      if (last != null && sameMarks(last.seen, batch)) {
        backoff = Math.min(MAX_COMPLETION_BACKOFF, Math.max(1, last.backoff * 2));
      }
    }
    remembered.put(key, new Remembered(batch, now, r, backoff));
  }

  /**
   * Whether {@code r} is of a listed (so not recorded complete) sealed batch that is complete
   * between {@code sent} and {@code processed}, the pair whose reconcile records completions.
   */
  private static boolean completionUnrecorded(BatchInfo batch, Key key, Reconciliation r) {
    return batch.isSealed()
        && key.upstream.equals(Stage.SENT)
        && key.downstream.equals(Stage.PROCESSED)
        && r.missingCount() == 0
        && r.absentUpstreamCount() == 0;
  }

  /**
   * Whether two listings of a batch show the same marks: the same incarnation, seal, size and
   * opening, and every stage last marked at the same time.
   */
  private static boolean sameMarks(BatchInfo before, BatchInfo now) {
    return before.incarnation() == now.incarnation()
        && before.isSealed() == now.isSealed()
        && before.expectedRecords() == now.expectedRecords()
        && before.openedAt().equals(now.openedAt())
        && before.lastMarkedAt().equals(now.lastMarkedAt());
  }

  /** When the batch was last marked at any stage, or opened if never. */
  private static Instant lastActivity(BatchInfo batch) {
    Instant last = batch.openedAt();
    for (Instant t : batch.lastMarkedAt().values()) {
      last = t.isAfter(last) ? t : last;
    }
    return last;
  }

  /**
   * The outcome of a batch whose reconciliation failed with {@code failure}: unreadable if the
   * store still answers for the batch itself, gone if it was purged meanwhile. If the store does
   * not answer at all, {@code failure} is thrown: that is the store failing, not this batch.
   */
  private Outcome unreadable(BatchInfo batch, Key key, Instant since, RuntimeException failure) {
    Optional<BatchInfo> current;
    try {
      current = tracker.batch(batch.id());
    } catch (RuntimeException storeDown) {
      failure.addSuppressed(storeDown);
      throw failure;
    }
    if (current.isEmpty()) {
      return Outcome.GONE;
    }
    String cause = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    log.debug("Batch {} {}->{} cannot be read", batch.id(), key.upstream, key.downstream, failure);
    return new Outcome(
        Finding.unreadable(current.get(), key.upstream, key.downstream, since, cause));
  }

  /**
   * What a finding is about: a batch's stage pair, and whether it is the pair's marks ({@code
   * unreadable} false: overdue, stalled) or their being unreadable.
   */
  record Key(BatchId batch, Stage upstream, Stage downstream, boolean unreadable) {
    Key forMarks() {
      return new Key(batch, upstream, downstream, false);
    }

    Key forReading() {
      return new Key(batch, upstream, downstream, true);
    }
  }

  /** The classification of one (batch, pair) in a round. */
  static final class Outcome {
    static final Outcome NOT_DUE = new Outcome(null);
    static final Outcome COMPLETE = new Outcome(null);
    static final Outcome GONE = new Outcome(null);

    /** The marks could be read: an unreadable finding is resolved. */
    static final Outcome READABLE = new Outcome(null);

    /** The marks could not be read: what was reported of them stays as it was. */
    static final Outcome UNKNOWN = new Outcome(null);

    final Finding finding;

    Outcome(Finding finding) {
      this.finding = finding;
    }
  }
}
