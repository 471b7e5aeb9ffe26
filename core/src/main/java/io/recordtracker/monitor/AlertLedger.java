package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.RecordTracker;
import io.recordtracker.monitor.CompletenessMonitor.StagePair;
import io.recordtracker.monitor.FindingScan.Key;
import io.recordtracker.monitor.FindingScan.Outcome;
import io.recordtracker.spi.AlertRecord;
import io.recordtracker.spi.AlertStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What was reported to which listener, kept in the store's {@link AlertStore} so that any number of
 * monitor instances on one store, and their restarts, tell each event once between them. How:
 *
 * <ol>
 *   <li>Before the scan, a round reads the rows with a finding open or a claim held: the findings
 *       it must follow up (to see them resolved), at versions read before any reconciliation of the
 *       round. Rows of new findings are read after the scan.
 *   <li>For each listener and finding it decides the event from the row (no row or none open: NEW;
 *       more missing: GROWN; unchanged for renotifyAfter: REMINDER; open and now complete:
 *       RESOLVED) and <em>claims</em> it: a compare-and-set of the row from the version read to the
 *       next, recording the event and a lease ({@code claimFor}). Of several monitors that decided
 *       the same event, one claims it; the others find the row moved on and leave it.
 *   <li>It tells the listener, then settles the row (compare-and-set again): the finding as
 *       reported, the claim cleared. A listener that throws releases the claim at once, so the
 *       event is decided and told again next round, by whichever monitor comes first. A monitor
 *       that dies between telling and settling leaves its claim to expire; another then decides and
 *       tells the event again: listeners are told at least once, and deduplicate with {@link
 *       DiscrepancyEvent#idempotencyKey()}.
 *   <li>A row read after the scan may have been written by a monitor whose reconciliation was newer
 *       than this round's: before acting on one, the batch is classified again, after the row was
 *       read. Marks only grow, so a finding another monitor saw resolved is seen resolved too.
 *   <li>Settled rows stay, so that a monitor still deciding on an older reconciliation cannot
 *       insert a NEW of a finding resolved meanwhile; they go once their batch is purged.
 * </ol>
 */
final class AlertLedger {

  // The monitor's logger: its log lines are the monitor's.
  private static final Logger log = LoggerFactory.getLogger(CompletenessMonitor.class);

  private final AlertStore store;
  private final RecordTracker tracker;
  private final FindingScan scan;
  private final Duration renotifyAfter;
  private final Duration claimFor;
  private final List<StagePair> pairs;
  private final Set<String> listeners;

  /** How often the settled rows of purged batches are removed: purges run daily. */
  static final Duration SWEEP_EVERY = Duration.ofMinutes(10);

  /** When this monitor last removed the settled rows of purged batches; rounds never overlap. */
  private Instant lastSweep;

  /** The findings this instance reported, by row, with the row version that holds them. */
  private final Map<AlertRecord.Key, Told> told = new ConcurrentHashMap<>();

  private record Told(long version, Finding finding) {}

  AlertLedger(
      AlertStore store,
      RecordTracker tracker,
      FindingScan scan,
      Duration renotifyAfter,
      Duration claimFor,
      List<StagePair> pairs,
      Collection<String> listeners) {
    this.store = store;
    this.tracker = tracker;
    this.scan = scan;
    this.renotifyAfter = renotifyAfter;
    this.claimFor = claimFor;
    this.pairs = List.copyOf(pairs);
    this.listeners = Set.copyOf(listeners);
  }

  /** What one round read of the rows. */
  final class Round {
    private final Map<AlertRecord.Key, AlertRecord> before = new HashMap<>();
    private final Map<AlertRecord.Key, AlertRecord> after = new HashMap<>();
    private final Set<Key> followed = new HashSet<>();

    /** The keys with a finding open or a claim held for one of this monitor's listeners. */
    Set<Key> followed() {
      return followed;
    }

    /** Reads the rows of the batches of {@code found} that were not read before the scan. */
    void readFound(Collection<Key> found) {
      Set<BatchId> batches = new LinkedHashSet<>();
      for (Key key : found) {
        for (String listener : listeners) {
          if (!before.containsKey(rowKey(listener, key))) {
            batches.add(key.batch());
          }
        }
      }
      if (batches.isEmpty()) {
        return;
      }
      for (AlertRecord r : store.find(batches)) {
        if (!before.containsKey(r.key())) {
          after.put(r.key(), r);
        }
      }
    }
  }

  /**
   * Reads the rows this monitor follows up: a finding open or a claim held, for its listeners and
   * pairs.
   */
  Round begin() {
    Round round = new Round();
    for (AlertRecord r : store.unsettled()) {
      AlertRecord.Key k = r.key();
      if (listeners.contains(k.listener())
          && pairs.contains(new StagePair(k.upstream(), k.downstream()))) {
        round.before.put(k, r);
        round.followed.add(new Key(k.batch(), k.upstream(), k.downstream(), k.unreadable()));
      }
    }
    // What this instance told and another settled since is not needed any more.
    told.keySet().retainAll(round.before.keySet());
    return round;
  }

  /**
   * Removes the settled rows of purged batches, at most once per {@link #SWEEP_EVERY}; a failure is
   * logged, never thrown.
   */
  void sweep(Instant now) {
    if (lastSweep != null && now.isBefore(lastSweep.plus(SWEEP_EVERY))) {
      return;
    }
    lastSweep = now;
    try {
      int removed = store.removeSettledOfGoneBatches();
      if (removed > 0) {
        log.debug("Removed {} settled alert rows of purged batches", removed);
      }
    } catch (RuntimeException e) {
      log.debug("Could not remove the alert rows of purged batches", e);
    }
  }

  /**
   * Decides, claims, tells and settles the events due to {@code listener} this round. Stops at the
   * first event the listener throws on (its claim released, for the next round).
   *
   * @throws io.recordtracker.TrackerStoreException if the alert store fails
   */
  void notify(
      Round round,
      String name,
      DiscrepancyListener listener,
      Map<Key, Finding> findings,
      Map<Key, Outcome> outcomes,
      Instant now) {
    Set<Key> keys = new LinkedHashSet<>(findings.keySet());
    for (AlertRecord.Key k : round.before.keySet()) {
      if (k.listener().equals(name)) {
        keys.add(new Key(k.batch(), k.upstream(), k.downstream(), k.unreadable()));
      }
    }
    List<Key> ordered = new ArrayList<>(keys);
    // A round listener (a digest) is told the round's events at once, once each is claimed.
    RoundDiscrepancyListener roundListener =
        listener instanceof RoundDiscrepancyListener r ? r : null;
    List<Claimed> claimed = new ArrayList<>();
    for (int i = 0; i < ordered.size(); i++) {
      Key key = ordered.get(i);
      AlertRecord.Key rowKey = rowKey(name, key);
      boolean readAfterScan = !round.before.containsKey(rowKey);
      AlertRecord row = readAfterScan ? round.after.get(rowKey) : round.before.get(rowKey);
      if (row != null && row.claimedAt(now)) {
        continue; // another monitor is telling it
      }
      Finding finding = findings.get(key);
      if (finding != null && row != null && readAfterScan) {
        // Written by a monitor that may have reconciled after this round did: look again.
        finding = scan.recheck(key, now);
        if (finding == null) {
          continue;
        }
      }
      Event event = decide(row, key, finding, outcomes.get(key), now);
      if (event == null) {
        continue;
      }
      if (roundListener != null) {
        Claimed c = claim(rowKey, row, event, now);
        if (c != null) {
          claimed.add(c);
        }
      } else if (!tell(rowKey, row, event, listener, now, ordered.size() - i - 1)) {
        return;
      }
    }
    if (roundListener != null && !claimed.isEmpty()) {
      tellRound(roundListener, claimed, now);
    }
  }

  /** An event claimed for a listener and not told yet. */
  private record Claimed(AlertRecord claim, Event event, DiscrepancyEvent told) {}

  /**
   * Tells a round listener its claimed events at once and settles those it took: all, or on a
   * failure those a {@link PartialDeliveryException} says it delivered; the others' claims are
   * released, so that the next round (of any monitor) offers them again.
   */
  private void tellRound(RoundDiscrepancyListener listener, List<Claimed> claimed, Instant now) {
    int delivered = claimed.size();
    try {
      listener.onRound(claimed.stream().map(Claimed::told).toList());
    } catch (RuntimeException e) {
      delivered =
          e instanceof PartialDeliveryException p
              ? Math.max(0, Math.min(claimed.size(), p.delivered()))
              : 0;
      DiscrepancyEvent failed = claimed.get(Math.min(delivered, claimed.size() - 1)).told();
      log.warn(
          "Listener {} failed on {} of batch {}; it gets this and {} more events again next"
              + " round: {}",
          listener,
          failed.kind(),
          failed.finding().batchId(),
          claimed.size() - delivered - 1,
          e.toString());
    }
    for (int i = 0; i < claimed.size(); i++) {
      Claimed c = claimed.get(i);
      if (i < delivered) {
        settle(c.claim(), c.event(), now);
      } else {
        release(c.claim(), now);
      }
    }
  }

  private record Event(DiscrepancyEvent.Kind kind, Finding finding) {}

  /** The event due for {@code key}, or null; settles what needs no event on the way. */
  private Event decide(AlertRecord row, Key key, Finding finding, Outcome outcome, Instant now) {
    boolean open = row != null && row.open();
    if (finding != null) {
      if (open && !sameBatch(row, finding.batch().incarnation())) {
        log.info(
            "Batch {} was purged and opened again before its finding was resolved; the new batch's"
                + " finding is a new one",
            key.batch());
        open = false;
      }
      if (!open) {
        return new Event(DiscrepancyEvent.Kind.NEW, finding);
      }
      long missing = finding.reconciliation().missingCount();
      if (missing > row.missingRecords()) {
        return new Event(DiscrepancyEvent.Kind.GROWN, finding);
      }
      if (!now.isBefore(row.reportedAt().plus(renotifyAfter))) {
        return new Event(DiscrepancyEvent.Kind.REMINDER, finding);
      }
      if (missing < row.missingRecords() || row.claimed() != null) {
        // A partial resend shrank it (growing back to the old count is news again), or a claim
        // expired that is no longer due: the row says so, no event.
        long fewer = Math.min(missing, row.missingRecords());
        AlertRecord next = copy(row, row.version() + 1, row.epoch(), true, fewer, null, null);
        if (store.compareAndSet(row.version(), next)) {
          Told t = told.remove(row.key());
          if (t != null) {
            told.put(row.key(), new Told(next.version(), t.finding()));
          }
        }
      }
      return null;
    }
    if (open && (outcome == Outcome.COMPLETE || outcome == Outcome.READABLE)) {
      // Complete, but maybe a batch opened again under the id after the reported one was purged.
      Optional<BatchInfo> current = tracker.batch(key.batch());
      if (current.isEmpty() || !sameBatch(row, current.get().incarnation())) {
        outcome = Outcome.GONE;
      }
    }
    if (open) {
      if (outcome == Outcome.GONE && !key.unreadable()) {
        log.info("Batch {} was purged before its finding was resolved", key.batch());
        store.remove(row.key(), row.version());
        told.remove(row.key());
        return null;
      }
      if (outcome == Outcome.COMPLETE || outcome == Outcome.READABLE || outcome == Outcome.GONE) {
        // An unreadable batch that was purged is resolved too: purging it is one way to fix it.
        Finding last;
        try {
          last = reported(row);
        } catch (IllegalArgumentException e) {
          // Nothing to say what was resolved: settle it untold rather than fail every round.
          log.warn("Resolved {}, but cannot tell it: {}", row.key(), e.toString());
          store.compareAndSet(
              row.version(),
              copy(row, row.version() + 1, row.epoch(), false, row.missingRecords(), null, null));
          told.remove(row.key());
          return null;
        }
        return new Event(DiscrepancyEvent.Kind.RESOLVED, last);
      }
      return null; // not known this round (unreadable, store answered nothing): as it was
    }
    if (row != null && row.claimed() != null) {
      // A NEW claimed, never told, and the finding is gone: nothing to tell any more.
      store.compareAndSet(
          row.version(),
          copy(row, row.version() + 1, row.epoch(), false, row.missingRecords(), null, null));
    }
    return null;
  }

  /**
   * Claims, tells and settles one event; returns false if the listener threw (the claim released).
   */
  private boolean tell(
      AlertRecord.Key rowKey,
      AlertRecord row,
      Event event,
      DiscrepancyListener listener,
      Instant now,
      int more) {
    Claimed c = claim(rowKey, row, event, now);
    if (c == null) {
      return true;
    }
    try {
      listener.onEvent(c.told());
    } catch (RuntimeException e) {
      log.warn(
          "Listener {} failed on {} of batch {}; it gets this and {} more events again next"
              + " round: {}",
          listener,
          event.kind(),
          rowKey.batch(),
          more,
          e.toString());
      release(c.claim(), now);
      return false;
    }
    settle(c.claim(), event, now);
    return true;
  }

  /** Claims {@code event} on the row; null if another monitor claimed or changed it first. */
  private Claimed claim(AlertRecord.Key rowKey, AlertRecord row, Event event, Instant now) {
    Finding finding = event.finding();
    long epoch;
    if (event.kind() != DiscrepancyEvent.Kind.NEW) {
      epoch = row.epoch();
    } else if (row != null && !row.open() && row.claimed() == DiscrepancyEvent.Kind.NEW) {
      epoch = row.epoch(); // the same finding a monitor claimed and maybe told before it died
    } else {
      // Larger than any epoch of the pair before, even one whose row went with a purge.
      epoch = Math.max(row == null ? 1 : row.epoch() + 1, now.toEpochMilli());
    }
    long version = row == null ? 0 : row.version();
    Instant until = now.plus(claimFor);
    AlertRecord claim =
        row == null
            ? new AlertRecord(
                rowKey,
                1,
                epoch,
                false,
                finding.kind(),
                finding.batch().incarnation(),
                finding.reconciliation().missingCount(),
                finding.reconciliation().absentUpstreamCount(),
                now,
                event.kind(),
                until,
                FindingCodec.encode(finding))
            // A NEW claims the row as not open: the old finding it replaces (of a batch purged
            // since) is over, and if this claim expires the next monitor tells the same epoch.
            : copy(
                row,
                version + 1,
                epoch,
                event.kind() != DiscrepancyEvent.Kind.NEW && row.open(),
                row.missingRecords(),
                event.kind(),
                until);
    if (!store.compareAndSet(version, claim)) {
      log.debug("{} of {} claimed by another monitor", event.kind(), rowKey);
      return null;
    }
    return new Claimed(claim, event, new DiscrepancyEvent(event.kind(), finding, now, epoch));
  }

  private void release(AlertRecord claim, Instant now) {
    try {
      // Expired at once: the next round, of any monitor, decides the event again.
      store.compareAndSet(
          claim.version(),
          copy(
              claim,
              claim.version() + 1,
              claim.epoch(),
              claim.open(),
              claim.missingRecords(),
              claim.claimed(),
              now));
    } catch (RuntimeException e) {
      log.debug("Could not release the claim on {}; it expires by itself", claim.key(), e);
    }
  }

  private void settle(AlertRecord claim, Event event, Instant now) {
    AlertRecord settled;
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      settled =
          copy(
              claim, claim.version() + 1, claim.epoch(), false, claim.missingRecords(), null, null);
    } else {
      Finding f = event.finding();
      settled =
          new AlertRecord(
              claim.key(),
              claim.version() + 1,
              claim.epoch(),
              true,
              f.kind(),
              f.batch().incarnation(),
              f.reconciliation().missingCount(),
              f.reconciliation().absentUpstreamCount(),
              now,
              null,
              null,
              FindingCodec.encode(f));
    }
    boolean stored;
    try {
      stored = store.compareAndSet(claim.version(), settled);
    } catch (RuntimeException e) {
      log.warn(
          "{} of {} was told but could not be recorded; it may be told again once the claim"
              + " expires: {}",
          event.kind(),
          claim.key(),
          e.toString());
      throw e;
    }
    if (!stored) {
      log.warn(
          "{} of {} was told, but its claim had expired and another monitor took it over: the"
              + " event may be told twice; claimFor should exceed the longest a listener takes",
          event.kind(),
          claim.key());
      told.remove(claim.key());
      return;
    }
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      told.remove(claim.key());
    } else {
      told.put(claim.key(), new Told(settled.version(), event.finding()));
    }
  }

  /** The finding last reported in {@code row}: as this instance told it, or as stored. */
  private Finding reported(AlertRecord row) {
    Told t = told.get(row.key());
    if (t != null && t.version() == row.version()) {
      return t.finding();
    }
    AlertRecord.Key k = row.key();
    return FindingCodec.decode(row.finding(), k.batch(), k.upstream(), k.downstream());
  }

  private static AlertRecord.Key rowKey(String listener, Key key) {
    return new AlertRecord.Key(
        listener, key.batch(), key.upstream(), key.downstream(), key.unreadable());
  }

  /** Whether {@code row}'s finding was about the batch of {@code incarnation}, as far as known. */
  private static boolean sameBatch(AlertRecord row, long incarnation) {
    return row.incarnation() == incarnation
        || row.incarnation() == BatchInfo.UNKNOWN_INCARNATION
        || incarnation == BatchInfo.UNKNOWN_INCARNATION;
  }

  /** {@code row} at {@code version} with these fields changed. */
  private static AlertRecord copy(
      AlertRecord row,
      long version,
      long epoch,
      boolean open,
      long missing,
      DiscrepancyEvent.Kind claimed,
      Instant claimedUntil) {
    return new AlertRecord(
        row.key(),
        version,
        epoch,
        open,
        row.findingKind(),
        row.incarnation(),
        missing,
        row.absentRecords(),
        row.reportedAt(),
        claimed,
        claimedUntil,
        row.finding());
  }
}
