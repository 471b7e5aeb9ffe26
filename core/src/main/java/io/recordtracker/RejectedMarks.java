package io.recordtracker;

import io.recordtracker.spi.MarkDelta;
import io.recordtracker.spi.TrackerStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks the store rejected because it no longer has the batch they were made for, or because they
 * are beyond the size the batch was sealed with: set aside (never stored, never retried), logged at
 * ERROR, counted, and reported once by {@link #report(long)}.
 */
final class RejectedMarks {

  /** Rejections remembered for flush() callers to report; the ERROR log has them all. */
  private static final int MAX_REMEMBERED = 1_000;

  // The tracker's logger, so that users' logging configuration keeps applying to these lines.
  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);

  private final TrackerStore store;
  private final MarkBuffers buffers;
  private final TrackerCounters counters;

  /**
   * The latest rejections, oldest first, each with its sequence number; guarded by itself. A
   * flush() reports every rejection made after it started, even if another caller reported it
   * already, and every one no caller has reported yet (made by the background flusher).
   */
  private final java.util.ArrayDeque<Rejection> remembered = new java.util.ArrayDeque<>();

  private long sequence;
  private long reportedUpTo;

  private record Rejection(long sequence, BatchId batch, long records) {}

  RejectedMarks(TrackerStore store, MarkBuffers buffers, TrackerCounters counters) {
    this.store = store;
    this.buffers = buffers;
    this.counters = counters;
  }

  /** Whether {@code d}'s incarnation and the stored batch's can be compared: both are stamped. */
  private static boolean incarnationsTell(MarkDelta d, BatchInfo stored) {
    return d.incarnation() != BatchInfo.UNKNOWN_INCARNATION
        && stored.incarnation() != BatchInfo.UNKNOWN_INCARNATION;
  }

  /**
   * Sets aside the drained marks the store rejected and returns the rest, to merge again. The store
   * names the batches; the marks set aside are those made for an incarnation of them the store no
   * longer has (a re-read tells which, since one drain may hold marks of an old and a new
   * incarnation of one id). The rejected batches leave the cache, so their next use reads them
   * again.
   */
  MarkBuffers.Drained setAside(
      MarkBuffers.Drained drained, MarksRejectedException rejection, int attempt) {
    Map<BatchId, Optional<BatchInfo>> stored = new LinkedHashMap<>();
    for (BatchId id : rejection.batches()) {
      stored.put(id, StoreCall.run("find batch " + id, () -> store.findBatch(id)));
    }
    Map<BatchId, Map<Stage, Long>> beyond = trimBeyondSeal(drained, stored);
    if (!beyond.isEmpty()) {
      beyond.forEach(
          (batch, byStage) -> {
            long n = count(byStage);
            log.error(
                "Set aside {} marked records of batch {} ({}): the batch was sealed with {} records"
                    + " by another tracker after this one checked them, so they are not of the"
                    + " batch. They are not stored and will not be retried.",
                n,
                batch,
                byStage,
                stored.get(batch).get().expectedRecords());
            remember(batch, n);
          });
      return drained; // the rest of those deltas, and every other delta, are merged again
    }
    Predicate<MarkDelta> gone =
        d -> {
          Optional<BatchInfo> now = stored.get(d.batch());
          // A batch the store named is gone for the deltas not made for what it holds now. Only
          // where incarnations cannot tell (a store without them), all its deltas once the store
          // names it again: a delta made for the live incarnation is never set aside for another.
          return now != null
              && (now.isEmpty()
                  || !d.madeFor(now.get())
                  || attempt > 1 && !incarnationsTell(d, now.get()));
        };
    Map<BatchId, Map<Stage, Long>> counts = new LinkedHashMap<>();
    for (var delta : drained.deltas) {
      if (gone.test(delta)) {
        counts
            .computeIfAbsent(delta.batch(), b -> new TreeMap<>())
            .merge(delta.stage(), delta.marks().getLongCardinality(), Long::sum);
      }
    }
    if (counts.isEmpty()) {
      if (attempt > 2) {
        // The store keeps naming batches that have no delta here: a store bug. Fail this flush
        // (the marks are kept and retried with backoff) rather than loop holding the flush lock.
        throw new TrackerStoreException(
            "the store "
                + store
                + " rejected batches "
                + rejection.batches()
                + " that this flush holds no marks of");
      }
      // The store named batches none of whose deltas the re-read condemns: it changed between
      // the merge and the re-read. Merging again decides; the next attempt sets them aside.
      return drained;
    }
    for (int i = 0; i < drained.deltas.size(); i++) {
      var delta = drained.deltas.get(i);
      if (gone.test(delta)) {
        buffers.drop(drained.buffers.get(i).batch);
      }
    }
    MarkBuffers.Drained rest = buffers.reject(drained, gone);
    counts.forEach(
        (batch, byStage) -> {
          long n = count(byStage);
          Optional<BatchInfo> now = stored.get(batch);
          log.error(
              "Set aside {} marked records of batch {} ({}): the store {} no longer has the batch"
                  + " they were made for ({}). They are not stored and will not be retried; open"
                  + " the batch again and re-mark them if they still matter.",
              n,
              batch,
              byStage,
              store,
              now == null || now.isEmpty()
                  ? "no such batch: purged, restored from an older backup, or tables recreated"
                  : "it was purged and opened again as a new batch (incarnation "
                      + now.get().incarnation()
                      + ")");
          remember(batch, n);
        });
    return rest;
  }

  /**
   * Takes out of the drained deltas the marks at or beyond the size their batch was sealed with
   * since they were checked (another tracker sealed it while this one had it cached unsealed), and
   * teaches the cached state the size. Exact: the marks within the size stay, to be merged again.
   *
   * @return per batch and stage, how many marks were taken out; empty if none
   */
  private Map<BatchId, Map<Stage, Long>> trimBeyondSeal(
      MarkBuffers.Drained drained, Map<BatchId, Optional<BatchInfo>> stored) {
    Map<BatchId, Map<Stage, Long>> beyond = new LinkedHashMap<>();
    for (int i = 0; i < drained.deltas.size(); i++) {
      MarkDelta d = drained.deltas.get(i);
      Optional<BatchInfo> now = stored.get(d.batch());
      if (now == null || now.isEmpty() || !now.get().isSealed() || !d.madeFor(now.get())) {
        continue;
      }
      long size = now.get().expectedRecords();
      if (d.marks().isEmpty() || (d.marks().last() & 0xFFFF_FFFFL) < size) {
        continue;
      }
      RoaringBitmap within = d.marks().clone();
      within.remove(size, 0x1_0000_0000L);
      beyond
          .computeIfAbsent(d.batch(), b -> new TreeMap<>())
          .merge(
              d.stage(), d.marks().getLongCardinality() - within.getLongCardinality(), Long::sum);
      RoaringBitmap repeatsWithin = d.repeats().clone();
      repeatsWithin.remove(size, 0x1_0000_0000L);
      // The same marking, trimmed: its token (a retry's) and its repeats within the size stay.
      drained.deltas.set(
          i,
          new MarkDelta(
              d.batch(),
              d.stage(),
              within,
              d.markedAt(),
              d.incarnation(),
              repeatsWithin,
              d.token()));
      StageBuffer buffer = drained.buffers.get(i);
      buffers.dropped(buffer.dropInflightFrom(size));
      buffer.batch.refresh(now.get());
    }
    return beyond;
  }

  /** Counts the records set aside, by stage; returns their total. */
  private long count(Map<Stage, Long> byStage) {
    long n = 0;
    for (var e : byStage.entrySet()) {
      counters.rejected(e.getKey(), e.getValue());
      n += e.getValue();
    }
    return n;
  }

  private void remember(BatchId batch, long records) {
    synchronized (remembered) {
      remembered.addLast(new Rejection(++sequence, batch, records));
      if (remembered.size() > MAX_REMEMBERED) {
        remembered.removeFirst();
      }
    }
  }

  /** A mark of where rejections stand now, for {@link #report(long)} after a flush. */
  long mark() {
    synchronized (remembered) {
      return sequence;
    }
  }

  /**
   * Throws for marks set aside after {@code since} (a {@link #mark()} taken when the caller's flush
   * began), and for any no caller has reported yet; otherwise returns.
   *
   * @throws MarksRejectedException if there are such marks
   */
  void report(long since) {
    Map<BatchId, Long> report = new LinkedHashMap<>();
    synchronized (remembered) {
      long from = Math.min(since, reportedUpTo);
      for (Rejection r : remembered) {
        if (r.sequence() > from) {
          report.merge(r.batch(), r.records(), Long::sum);
        }
      }
      reportedUpTo = sequence;
    }
    if (!report.isEmpty()) {
      throw new MarksRejectedException(
          report, "they were set aside and logged at ERROR; every other mark is durable");
    }
  }
}
