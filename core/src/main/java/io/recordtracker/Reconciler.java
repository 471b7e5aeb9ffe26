package io.recordtracker;

import io.recordtracker.spi.StageMarks;
import io.recordtracker.spi.TrackerStore;
import java.time.Clock;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles two stages of a batch from this tracker's buffered marks and the store's, and records
 * a batch's completion in the store once it is seen complete with every mark durable.
 */
final class Reconciler {

  // The tracker's logger, so that users' logging configuration keeps applying to these lines.
  private static final Logger log = LoggerFactory.getLogger(RecordTracker.class);

  private final TrackerStore store;
  private final Clock clock;
  private final MarkBuffers buffers;
  private final TrackerCounters counters;
  private final Function<BatchId, BatchState> states;

  /**
   * @param states the cached, live state of a batch, loaded from the store on a miss
   */
  Reconciler(
      TrackerStore store,
      Clock clock,
      MarkBuffers buffers,
      TrackerCounters counters,
      Function<BatchId, BatchState> states) {
    this.store = store;
    this.clock = clock;
    this.buffers = buffers;
    this.counters = counters;
    this.states = states;
  }

  /**
   * The custom stages the store knows, as last read; a stage missing here is read again before it
   * is called unknown. Only grows (a cache: stages are never forgotten by the store).
   */
  private final Set<Stage> knownStages = ConcurrentHashMap.newKeySet();

  /** As {@link RecordTracker#reconcile(BatchId, Stage, Stage)}; the stages are not null. */
  Reconciliation reconcile(BatchId batch, Stage upstream, Stage downstream) {
    return reconcile(batch, upstream, downstream, true);
  }

  /**
   * As {@link RecordTracker#reconcile(BatchId, Stage, Stage)}; the stages are not null. With {@code
   * checkStages} false, a custom stage is not checked against the store's known stages (a monitor's
   * configured pair is deliberate, not a typo).
   */
  Reconciliation reconcile(BatchId batch, Stage upstream, Stage downstream, boolean checkStages) {
    long start = System.nanoTime();
    BatchState state = states.apply(batch);
    // Stages the store does not know: known after all if this batch holds marks at them (a stage
    // marked by markWithin only, whose registration is still on its way), else a typo.
    Set<Stage> unverified = new LinkedHashSet<>();
    if (checkStages) {
      unverified.addAll(unknown(List.of(upstream, downstream), state));
    }
    RoaringBitmap up;
    RoaringBitmap down;
    RoaringBitmap repeats = new RoaringBitmap();
    RoaringBitmap unflushed = new RoaringBitmap();
    long drains = 0;
    boolean allDurable;
    Set<Stage> stages = new LinkedHashSet<>(List.of(upstream, downstream));
    for (int attempt = 1; ; attempt++) {
      // Local marks first, then the store: a mark moves only from buffer to store, so it is seen
      // in one place or the other.
      up = state.buffer(upstream).snapshot();
      down = state.buffer(downstream).snapshot();
      if (downstream.countsRepeats()) {
        StageBuffer buffer = state.buffer(downstream);
        drains = buffer.drains();
        repeats = buffer.repeatsSnapshot();
        unflushed = buffer.undoubtedPending();
      }
      allDurable = up.isEmpty() && down.isEmpty();
      // The marks come with the incarnation they belong to: if it is the one cached, they are
      // this batch's. Otherwise the cache is stale (purged, perhaps opened again with another
      // size): never answer from it.
      Optional<StageMarks> stored =
          StoreCall.run("read " + stages + " marks of " + batch, () -> store.read(batch, stages));
      if (stored.isEmpty()) {
        buffers.drop(state);
        throw new UnknownBatchException(batch);
      }
      // The size too: a store without incarnations (0 everywhere) still shows a reopened batch
      // of another size as stale.
      StageMarks read = stored.get();
      if (read.incarnation() == state.info.incarnation()
          && read.sealed()
          && !state.info.isSealed()) {
        // Sealed by another tracker since this one cached it: take the size. Marks of this
        // tracker's beyond it are refused by the store at the next flush and set aside.
        state.refresh(state.info.sealedWith(read.expectedRecords()));
      }
      if (read.incarnation() == state.info.incarnation()
          && read.expectedRecords() == state.info.expectedRecords()
          && read.sealed() == state.info.isSealed()) {
        if (read.sealed()) {
          // Not of the batch: set aside by the next flush, never reported.
          up.remove((long) read.expectedRecords(), 0x1_0000_0000L);
          down.remove((long) read.expectedRecords(), 0x1_0000_0000L);
        }
        for (Stage stage : unverified) {
          if (stored.get().of(stage).isEmpty()
              && state.buffer(stage).isEmpty()
              && !storeKnows(stage)) {
            throw unknownStage(stage);
          }
          knownStages.add(stage); // marked in this batch: known
        }
        up.or(stored.get().of(upstream));
        down.or(stored.get().of(downstream));
        if (downstream.countsRepeats()) {
          repeats.or(stored.get().repeatsOf(downstream));
          // A mark not yet flushed of a record the store holds is a second marking, unless a
          // flush moved marks to the store meanwhile (it counts them once they are stored).
          if (state.buffer(downstream).drains() == drains) {
            repeats.or(RoaringBitmap.and(unflushed, stored.get().of(downstream)));
          }
        }
        break;
      }
      if (attempt >= 3) {
        throw new TrackerStoreException(
            "batch "
                + batch
                + " was purged and opened again "
                + attempt
                + " times while it was being reconciled; try again");
      }
      log.info(
          "Batch {} was purged and opened again (incarnation {} -> {}, {} -> {} records);"
              + " reading it afresh",
          batch,
          state.info.incarnation(),
          stored.get().incarnation(),
          state.info.expectedRecords(),
          stored.get().expectedRecords());
      buffers.drop(state);
      state = states.apply(batch);
    }
    Reconciliation result =
        Reconciliation.compute(batch, upstream, downstream, state.info, up, down, repeats);
    if (result.isComplete()
        && allDurable
        && upstream.equals(Stage.SENT)
        && downstream.equals(Stage.PROCESSED)
        && !state.completionRecorded) {
      boolean recorded =
          StoreCall.run(
              "record completion of " + batch,
              () -> store.tryRecordCompletion(batch, clock.instant()));
      if (recorded) {
        state.completionRecorded = true;
      } else {
        // Another transaction holds the batch (a caller's open markWithin): answering now matters
        // more than the record, which a later reconcile makes.
        log.debug(
            "Completion of batch {} not recorded now: another transaction holds the batch;"
                + " a later reconcile records it",
            batch);
      }
    }
    counters.reconciled(System.nanoTime() - start);
    return result;
  }

  /**
   * Of {@code stages}, those neither built in, nor marked in this tracker, nor known to the store:
   * a typo must fail, not report every record missing. A store that cannot tell checks nothing.
   */
  private Set<Stage> unknown(List<Stage> stages, BatchState state) {
    Set<Stage> unknown = new LinkedHashSet<>();
    for (Stage stage : stages) {
      if (!stage.equals(Stage.SENT)
          && !stage.equals(Stage.PROCESSED)
          && !knownStages.contains(stage)
          && !state.marked(stage)) {
        unknown.add(stage);
      }
    }
    return unknown;
  }

  /**
   * Whether the store knows {@code stage}, asked only for a stage this batch has no mark at (the
   * store's list may take a scan): a known one reconciles as every record missing, an unknown one
   * is a typo. A store that cannot tell knows every stage.
   */
  private boolean storeKnows(Stage stage) {
    Optional<Set<Stage>> stored = StoreCall.run("read the known stages", () -> store.knownStages());
    if (stored.isEmpty()) {
      return true;
    }
    knownStages.addAll(stored.get());
    return knownStages.contains(stage);
  }

  /** The failure for a stage the store does not know, naming those it does. */
  private UnknownStageException unknownStage(Stage stage) {
    Set<Stage> known = new HashSet<>(knownStages);
    known.add(Stage.SENT);
    known.add(Stage.PROCESSED);
    return new UnknownStageException(stage, known);
  }

  /** Declares {@code stages} in the store, so that they are known before their first mark. */
  void declare(Collection<Stage> stages) {
    StoreCall.run(
        "declare stages " + stages,
        () -> {
          store.declareStages(stages);
          return null;
        });
    knownStages.addAll(stages);
  }
}
