package io.recordtracker.spi;

import io.recordtracker.BatchConflictException;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.Stage;
import io.recordtracker.TrackerStoreException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.roaringbitmap.RoaringBitmap;

/**
 * Where a tracker keeps batches and marks. One store may be shared by many trackers in many
 * processes; every method must be safe to call from several threads at once.
 *
 * <p>The marks of a (batch, stage) are a grow-only set: {@link #merge} is a union, so it is
 * commutative, associative and idempotent, and writers never need to read what is stored or lock
 * each other. A store proves itself by passing the contract suite {@code
 * io.recordtracker.spi.TrackerStoreContractTest} published as the {@code record-tracker-store-tck}
 * module.
 *
 * <p>Any method may throw {@link TrackerStoreException} when the underlying storage fails; the
 * tracker keeps unmerged marks and retries.
 */
public interface TrackerStore extends AutoCloseable {

  /**
   * Creates the batch if it does not exist and returns the batch as stored. If it exists with the
   * same expected record count, the stored batch is returned unchanged (its attributes and
   * opened-at stay as first written).
   *
   * <p>An unsealed batch ({@link BatchInfo#isSealed()} false) is stored as unsealed, and opening
   * one unsealed over an existing batch returns the stored batch whatever its size; opening one
   * with a count over a batch stored unsealed is a conflict (the rules of {@code
   * io.recordtracker.internal.Sealing#checkOpen}).
   *
   * <p>A store that tells incarnations apart stamps a batch it creates with a new {@link
   * BatchInfo#incarnation()}, one this id never had before (a random non-zero long will do), and
   * returns it with every read of the batch; otherwise incarnations are {@link
   * BatchInfo#UNKNOWN_INCARNATION} and a batch purged and opened again cannot be told from the old
   * one.
   *
   * @throws BatchConflictException if it exists with a different expected record count
   */
  BatchInfo openBatch(BatchInfo batch);

  /**
   * Fixes the size of an unsealed batch at {@code totalRecords} and returns the batch as stored,
   * sealed. Sealing a batch that is sealed with the same count already returns it unchanged.
   *
   * <p>Atomic against {@link #merge}: no mark at or beyond {@code totalRecords} may be durable once
   * this returns. The store checks the highest durable mark of every stage and stores the seal in
   * one step that no merge into the batch can run between (a lock on the batch that merges into an
   * unsealed batch respect, or one transaction that re-checks what it read); and from then on
   * {@link #merge} refuses a delta with a mark at or beyond the sealed size as it refuses the marks
   * of a gone batch, with {@link io.recordtracker.MarksRejectedException}.
   *
   * <p>The default throws {@link UnsupportedOperationException}: a store written before batches
   * could be unsealed does not support them, and fails the contract suite's tests of them.
   *
   * @param batch the batch
   * @param totalRecords its record count, not negative
   * @return the batch as stored, sealed with {@code totalRecords}
   * @throws io.recordtracker.UnknownBatchException if the batch does not exist
   * @throws BatchConflictException if the batch is sealed with another count
   * @throws IllegalArgumentException if {@code totalRecords} is negative, or a durable mark of any
   *     stage is at or beyond it (the message names the highest); nothing is changed
   * @throws UnsupportedOperationException if the store does not support unsealed batches
   */
  default BatchInfo seal(BatchId batch, int totalRecords) {
    throw new UnsupportedOperationException(
        "the store " + this + " does not support sealing batches");
  }

  /**
   * Records that the batch will never complete (a test file, a cancelled send) and returns it as
   * stored, {@linkplain BatchInfo#isAbandoned() abandoned} at {@code at} for {@code reason}. Its
   * marks are kept, and merges into it go on as before. From then on {@link #batches} leaves it out
   * of {@link BatchQuery.Completion#INCOMPLETE} (it is {@link BatchQuery.Completion#ABANDONED}),
   * and every read of it returns the abandoned-at time and reason. Abandoning a batch abandoned for
   * the same reason already returns it unchanged (the first time stays).
   *
   * <p>Atomic against {@link #recordCompletion}: a batch is never both abandoned by this call and
   * complete before it. Stores apply the rules of {@code
   * io.recordtracker.internal.Abandoning#alreadyAbandoned}.
   *
   * <p>The default throws {@link UnsupportedOperationException}: a store written before batches
   * could be abandoned does not support it, and fails the contract suite's tests of it.
   *
   * @param batch the batch
   * @param at when it is abandoned
   * @param reason why, valid by {@link BatchInfo#requireAbandonReason}
   * @return the batch as stored, abandoned
   * @throws io.recordtracker.UnknownBatchException if the batch does not exist
   * @throws IllegalStateException if it is abandoned for another reason already, or complete;
   *     nothing is changed
   * @throws IllegalArgumentException if {@code reason} is not valid
   * @throws UnsupportedOperationException if the store does not support abandoning batches
   */
  default BatchInfo abandon(BatchId batch, Instant at, String reason) {
    throw new UnsupportedOperationException(
        "the store " + this + " does not support abandoning batches");
  }

  /** The batch with id {@code id}, if it exists. */
  Optional<BatchInfo> findBatch(BatchId id);

  /**
   * Unions each delta into the stored marks of its (batch, stage) and advances the stage's
   * last-marked time to the delta's {@code markedAt} if later; the records it held already (stored
   * by a delta of another {@link MarkDelta#token() token}) and the delta's {@link
   * MarkDelta#repeats()} become the stage's {@link #loadRepeats repeats}. When this returns, the
   * marks are durable. All or nothing: if any delta's batch is no longer stored, or is stored as
   * another incarnation than the delta was made for ({@link MarkDelta#madeFor}), or is sealed with
   * fewer records than a mark of the delta needs (see {@link #seal}), none of the deltas is stored
   * and this throws, naming those batches, so that the caller can set their marks aside and merge
   * the others again. A store checks this with what it writes, in the same transaction (the row
   * counts of its inserts), never with a separate read beforehand.
   *
   * @throws io.recordtracker.MarksRejectedException if a delta's batch is not stored (in its
   *     incarnation), or is sealed below one of its marks; nothing was stored
   */
  void merge(List<MarkDelta> deltas);

  /**
   * The union of everything merged into ({@code batch}, {@code stage}); an empty bitmap if nothing
   * was, or if the batch does not exist. The caller owns the returned bitmap.
   */
  RoaringBitmap load(BatchId batch, Stage stage);

  /**
   * The records of ({@code batch}, {@code stage}) that were marked by two or more separate
   * markings: merged by two deltas of different {@link MarkDelta#token() tokens} (or without one),
   * or listed in a delta's {@link MarkDelta#repeats()}. Records merged twice by deltas of one token
   * (a retried merge) are not repeats. A store may compute them when deltas meet (on merge, on
   * compaction, or when read), never by reading the stage's whole marks on every merge.
   *
   * <p>The default returns an empty bitmap: a store written before repeats were counted knows of
   * none.
   *
   * @param batch the batch
   * @param stage the stage
   * @return its repeated records, empty if none or the batch does not exist; the caller owns it
   */
  default RoaringBitmap loadRepeats(BatchId batch, Stage stage) {
    return new RoaringBitmap();
  }

  /**
   * The batch's incarnation, size and sealed state and the marks (and {@link #loadRepeats repeats})
   * of {@code stages}, read together so that the marks are known to be that incarnation's; empty if
   * the batch does not exist. A tracker's {@code reconcile} uses this. A store that can should read
   * it all in one round trip (one statement); the default reads the batch, then each stage, then
   * the batch again, and tries again if the batch changed in between (its incarnation, size, seal
   * or opening time: purged and opened again, or sealed, meanwhile).
   *
   * @param batch the batch
   * @param stages the stages whose marks to read, at least one; when the marks of several are
   *     corrupt, the first in the set's order is the one reported
   * @return the batch's incarnation, size and marks, or empty
   * @throws TrackerStoreException if the store fails, or the batch keeps being opened again
   */
  default Optional<StageMarks> read(BatchId batch, Set<Stage> stages) {
    for (int attempt = 1; attempt <= 3; attempt++) {
      Optional<BatchInfo> before = findBatch(batch);
      if (before.isEmpty()) {
        return Optional.empty();
      }
      Map<Stage, RoaringBitmap> marks = new HashMap<>();
      Map<Stage, RoaringBitmap> repeats = new HashMap<>();
      for (Stage stage : stages) {
        marks.put(stage, load(batch, stage));
        repeats.put(stage, loadRepeats(batch, stage));
      }
      Optional<BatchInfo> after = findBatch(batch);
      if (after.isEmpty()) {
        return Optional.empty();
      }
      // The same batch throughout: a store without incarnations (0 everywhere) still shows a
      // purge and reopen, or a seal, between the reads by the other fields.
      if (after.get().incarnation() == before.get().incarnation()
          && after.get().expectedRecords() == before.get().expectedRecords()
          && after.get().isSealed() == before.get().isSealed()
          && after.get().openedAt().equals(before.get().openedAt())) {
        return Optional.of(
            new StageMarks(
                before.get().incarnation(),
                before.get().expectedRecords(),
                before.get().isSealed(),
                marks,
                repeats));
      }
    }
    throw new TrackerStoreException(
        "batch " + batch + " was purged and opened again three times while it was being read");
  }

  /**
   * The batches matching {@code query}, newest opened first and, among batches opened at the same
   * instant, by id descending; paged by the query's limit and offset.
   */
  List<BatchInfo> batches(BatchQuery query);

  /**
   * Records that the batch was found complete at {@code at}, unless a completion is already
   * recorded. Does nothing for a batch that does not exist.
   */
  void recordCompletion(BatchId batch, Instant at);

  /**
   * Records the completion as {@link #recordCompletion} does, unless that would wait for other
   * transactions (a caller's open transaction holding a lock on the batch, say): then it records
   * nothing and returns false, and the caller tries again later. A tracker's {@code reconcile}
   * records completions through this method. The default calls {@link #recordCompletion} and
   * returns true.
   *
   * @return true if the completion is recorded (now or before), or the batch does not exist; false
   *     if it could not be recorded now without waiting
   * @throws io.recordtracker.TrackerStoreException if the store fails
   */
  default boolean tryRecordCompletion(BatchId batch, Instant at) {
    recordCompletion(batch, at);
    return true;
  }

  /**
   * Deletes the batches and all their marks; ids that do not exist are skipped.
   *
   * @return how many batches were deleted
   */
  int delete(Collection<BatchId> batches);

  /**
   * The current time by the store's own clock (a database server's), which every host using the
   * store shares; empty if the store has no clock of its own, as the default. A tracker built
   * without an explicit {@code Clock} follows it (see {@link StoreClock}), so that hosts whose
   * clocks disagree still agree on last-marked times, grace periods and deadlines.
   *
   * @return the store's time, or empty
   * @throws io.recordtracker.TrackerStoreException if the store fails
   */
  default Optional<Instant> currentTime() {
    return Optional.empty();
  }

  /**
   * The stages this store knows: every stage any batch was ever marked at (also batches purged
   * since, where the store can tell), and every stage {@linkplain #declareStages declared}. A
   * tracker refuses to reconcile against a custom stage the store does not know, which is almost
   * always a typo. Empty if the store cannot tell, as the default: then no stage is checked.
   *
   * @return the known stages, or empty if the store does not keep them
   * @throws io.recordtracker.TrackerStoreException if the store fails
   */
  default Optional<Set<Stage>> knownStages() {
    return Optional.empty();
  }

  /**
   * Records {@code stages} as known before any record is marked at them (see {@link
   * #knownStages()}). Idempotent; the default does nothing.
   *
   * @param stages the stages to declare
   * @throws io.recordtracker.TrackerStoreException if the store fails
   */
  default void declareStages(Collection<Stage> stages) {}

  /**
   * Where monitors keep what they reported, shared by every monitor instance on this store (see
   * {@link AlertStore}); empty, as the default, if the store keeps none: each monitor then keeps
   * its own in memory, and a restart or a second instance reports open findings again.
   *
   * @return the store's alert store, or empty
   */
  default Optional<AlertStore> alertStore() {
    return Optional.empty();
  }

  /** Releases what the store holds; the default does nothing. Never closes a caller's pool. */
  @Override
  default void close() {}

  /** A new, empty store that keeps everything in this JVM's memory. */
  static TrackerStore inMemory() {
    return new InMemoryTrackerStore();
  }
}
