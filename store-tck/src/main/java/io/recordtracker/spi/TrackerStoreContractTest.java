package io.recordtracker.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchConflictException;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Stage;
import io.recordtracker.monitor.DiscrepancyEvent;
import io.recordtracker.monitor.Finding;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/**
 * The contract every {@link TrackerStore} must pass. A store's test extends this class and
 * implements {@link #createStore()}; see {@code InMemoryTrackerStoreTest} for the few lines it
 * takes. Each test uses batch ids of its own, so a store may be shared across tests or not.
 */
public abstract class TrackerStoreContractTest {

  /** A base instant with microsecond precision, which every supported database keeps exactly. */
  protected static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");

  /** The store under test, made by {@link #createStore()} before each test. */
  protected TrackerStore store;

  /** A store to test; called before each test. It may hold data of earlier tests. */
  protected abstract TrackerStore createStore() throws Exception;

  /** Releases what {@link #createStore()} made; the default closes the store. */
  protected void releaseStore(TrackerStore store) throws Exception {
    store.close();
  }

  @BeforeEach
  void setUpStore() throws Exception {
    store = createStore();
  }

  @AfterEach
  void tearDownStore() throws Exception {
    releaseStore(store);
  }

  /** A batch id no other test (or earlier run on the same database) uses. */
  protected static BatchId newBatchId() {
    return BatchId.generate();
  }

  /** A bitmap of {@code records}. */
  protected static RoaringBitmap bitmap(int... records) {
    return RoaringBitmap.bitmapOf(records);
  }

  /** A delta made for whatever incarnation of the batch is stored when it is merged. */
  protected static MarkDelta delta(BatchId id, Stage stage, RoaringBitmap marks, Instant at) {
    return new MarkDelta(id, stage, marks, at);
  }

  /** A delta made for one incarnation of the batch. */
  protected static MarkDelta delta(
      BatchId id, Stage stage, RoaringBitmap marks, Instant at, long incarnation) {
    return new MarkDelta(id, stage, marks, at, incarnation);
  }

  /**
   * Folds the stored rows of ({@code batch}, {@code stage}) now, for a store that compacts what it
   * stores; the default does nothing. Repeats must survive it.
   */
  protected void compactNow(BatchId batch, Stage stage) {}

  /** A delta of one marking, {@code token}, with the repeats it already knows. */
  protected static MarkDelta marking(
      BatchId id, Stage stage, RoaringBitmap marks, RoaringBitmap repeats, long token) {
    return new MarkDelta(id, stage, marks, T0, BatchInfo.UNKNOWN_INCARNATION, repeats, token);
  }

  @Test
  void records_merged_by_two_markings_are_repeats_and_a_retried_marking_is_not() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
    Stage stage = Stage.PROCESSED;

    store.merge(List.of(marking(id, stage, bitmap(1, 2, 3), bitmap(), 11)));
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap());
    store.merge(List.of(marking(id, stage, bitmap(3, 4), bitmap(), 22)));
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(3));
    // A retry of marking 11 (its first merge may have been stored) with more of its records.
    store.merge(List.of(marking(id, stage, bitmap(1, 2, 3, 5), bitmap(), 11)));
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(3));
    // A delta without a token is a marking of its own, every time it is merged.
    store.merge(List.of(delta(id, stage, bitmap(4, 900), T0)));
    store.merge(List.of(delta(id, stage, bitmap(900), T0)));
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(3, 4, 900));
    // Repeats the delta knows (marked twice before it was made) are kept, new records or not.
    store.merge(List.of(marking(id, stage, bitmap(7, 8), bitmap(7), 33)));
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(3, 4, 7, 900));

    compactNow(id, stage);
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(3, 4, 7, 900));
    assertThat(store.load(id, stage)).isEqualTo(bitmap(1, 2, 3, 4, 5, 7, 8, 900));
    store.merge(List.of(marking(id, stage, bitmap(1, 999), bitmap(), 44)));
    compactNow(id, stage);
    assertThat(store.loadRepeats(id, stage)).isEqualTo(bitmap(1, 3, 4, 7, 900));
    assertThat(store.load(id, stage)).isEqualTo(bitmap(1, 2, 3, 4, 5, 7, 8, 900, 999));
    assertThat(store.loadRepeats(id, Stage.SENT)).isEqualTo(bitmap());
  }

  @Test
  void read_returns_the_repeats_of_each_stage_counting_them() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
    Stage applied = Stage.countingRepeats("applied");
    store.merge(
        List.of(
            marking(id, Stage.PROCESSED, bitmap(1, 2), bitmap(), 1),
            marking(id, applied, bitmap(5, 6), bitmap(), 2)));
    store.merge(
        List.of(
            marking(id, Stage.PROCESSED, bitmap(2, 3), bitmap(), 3),
            marking(id, applied, bitmap(6), bitmap(), 4)));

    StageMarks read =
        store.read(id, new LinkedHashSet<>(List.of(Stage.PROCESSED, applied))).orElseThrow();

    assertThat(read.of(Stage.PROCESSED)).isEqualTo(bitmap(1, 2, 3));
    assertThat(read.repeatsOf(Stage.PROCESSED)).isEqualTo(bitmap(2));
    assertThat(read.repeatsOf(applied)).isEqualTo(bitmap(6));
  }

  @Test
  void repeats_of_marks_refused_are_not_stored() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 10, T0, Map.of()).asUnsealed());
    store.merge(List.of(marking(id, Stage.PROCESSED, bitmap(1), bitmap(), 1)));
    store.seal(id, 5);

    assertThatThrownBy(
            () ->
                store.merge(
                    List.of(
                        marking(id, Stage.PROCESSED, bitmap(1), bitmap(), 2),
                        marking(id, Stage.SENT, bitmap(1, 7), bitmap(), 3))))
        .isInstanceOf(io.recordtracker.MarksRejectedException.class);

    assertThat(store.loadRepeats(id, Stage.PROCESSED)).isEqualTo(bitmap());
  }

  @Test
  void known_stages_are_every_stage_marked_or_declared_and_outlive_a_purge() {
    if (store.knownStages().isEmpty()) {
      return; // a store that does not keep its stages: reconcile checks none (documented)
    }
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
    Stage received = Stage.of("received-" + Long.toHexString(System.nanoTime() & 0xFFFFFF));
    Stage declared = Stage.of("declared-" + Long.toHexString(System.nanoTime() & 0xFFFFFF));
    assertThat(store.knownStages().orElseThrow()).doesNotContain(received, declared);

    store.merge(List.of(delta(id, received, bitmap(1), T0)));
    store.declareStages(List.of(declared));
    store.declareStages(List.of(declared)); // idempotent
    assertThat(store.knownStages().orElseThrow()).contains(received, declared);

    store.delete(List.of(id));
    assertThat(store.knownStages().orElseThrow()).contains(received, declared);
  }

  @Test
  void open_creates_batch_and_find_returns_it() {
    BatchId id = newBatchId();
    BatchInfo opened =
        store.openBatch(BatchInfo.of(id, 486_000, T0, Map.of("file", "customers.edi", "c", "x")));

    assertThat(opened.id()).isEqualTo(id);
    assertThat(opened.expectedRecords()).isEqualTo(486_000);
    assertThat(opened.openedAt()).isEqualTo(T0);
    assertThat(opened.attributes()).isEqualTo(Map.of("file", "customers.edi", "c", "x"));
    assertThat(opened.lastMarkedAt()).isEmpty();
    assertThat(opened.completedAt()).isEmpty();
    assertThat(store.findBatch(id)).contains(opened);
  }

  @Test
  void open_again_with_same_count_returns_stored_batch_unchanged() {
    BatchId id = newBatchId();
    BatchInfo first = store.openBatch(BatchInfo.of(id, 10, T0, Map.of("file", "a")));
    BatchInfo again =
        store.openBatch(BatchInfo.of(id, 10, T0.plusSeconds(60), Map.of("file", "b")));

    assertThat(again).isEqualTo(first);
    assertThat(store.findBatch(id)).contains(first);
  }

  @Test
  void open_again_with_other_count_conflicts_and_changes_nothing() {
    BatchId id = newBatchId();
    BatchInfo first = store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));

    assertThatThrownBy(() -> store.openBatch(BatchInfo.of(id, 11, T0, Map.of())))
        .isInstanceOf(BatchConflictException.class)
        .hasMessageContaining(id.value())
        .hasMessageContaining("10")
        .hasMessageContaining("11");
    assertThat(store.findBatch(id)).contains(first);
  }

  @Test
  void empty_batch_can_be_opened() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 0, T0, Map.of()));
    assertThat(store.findBatch(id).orElseThrow().expectedRecords()).isZero();
    assertThat(store.load(id, Stage.SENT).isEmpty()).isTrue();
  }

  @Test
  void unknown_batch_is_absent_and_has_no_marks() {
    BatchId id = newBatchId();
    assertThat(store.findBatch(id)).isEmpty();
    assertThat(store.load(id, Stage.SENT).isEmpty()).isTrue();
  }

  @Test
  void merge_into_unknown_batch_is_rejected_and_stores_nothing() {
    BatchId known = newBatchId();
    BatchId unknown = newBatchId();
    BatchInfo batch = store.openBatch(BatchInfo.of(known, 100, T0, Map.of()));

    assertThatThrownBy(
            () ->
                store.merge(
                    List.of(
                        delta(known, Stage.SENT, bitmap(7), T0, batch.incarnation()),
                        delta(unknown, Stage.SENT, bitmap(1, 2, 3), T0))))
        .isInstanceOfSatisfying(
            MarksRejectedException.class,
            e -> assertThat(e.rejectedRecords()).isEqualTo(Map.of(unknown, 3L)));

    assertThat(store.findBatch(unknown)).isEmpty();
    assertThat(store.load(unknown, Stage.SENT).isEmpty()).isTrue();
    // All or nothing: the known batch's delta of the same merge was not stored either.
    assertThat(store.load(known, Stage.SENT).isEmpty()).isTrue();
    assertThat(store.findBatch(known).orElseThrow().lastMarkedAt()).isEmpty();
  }

  @Test
  void each_opening_of_an_id_is_a_new_incarnation() {
    BatchId id = newBatchId();
    // An attribute of its own, so the listing below finds it among any number of other batches.
    Map<String, String> tag = Map.of("incarnation-test", id.value());
    BatchInfo first = store.openBatch(BatchInfo.of(id, 100, T0, tag));
    assertThat(first.incarnation()).isNotEqualTo(BatchInfo.UNKNOWN_INCARNATION);
    assertThat(store.openBatch(BatchInfo.of(id, 100, T0, tag)).incarnation())
        .isEqualTo(first.incarnation());
    assertThat(store.findBatch(id).orElseThrow().incarnation()).isEqualTo(first.incarnation());

    store.delete(List.of(id));
    BatchInfo second = store.openBatch(BatchInfo.of(id, 100, T0, tag));

    assertThat(second.incarnation())
        .isNotEqualTo(BatchInfo.UNKNOWN_INCARNATION)
        .isNotEqualTo(first.incarnation());
    assertThat(
            store.batches(BatchQuery.builder().attribute("incarnation-test", id.value()).build()))
        .extracting(BatchInfo::incarnation)
        .containsExactly(second.incarnation());
  }

  @Test
  void marks_made_for_a_purged_incarnation_never_reach_the_reopened_batch() {
    BatchId id = newBatchId();
    BatchInfo old = store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(1), T0, old.incarnation())));
    store.delete(List.of(id));
    BatchInfo reopened = store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));

    assertThatThrownBy(
            () ->
                store.merge(
                    List.of(
                        delta(id, Stage.SENT, bitmap(2, 3, 500), T0, old.incarnation()),
                        delta(id, Stage.PROCESSED, bitmap(4), T0, reopened.incarnation()))))
        .isInstanceOfSatisfying(
            MarksRejectedException.class,
            e -> assertThat(e.rejectedRecords()).isEqualTo(Map.of(id, 3L)));
    assertThat(store.load(id, Stage.SENT).isEmpty()).isTrue();
    assertThat(store.load(id, Stage.PROCESSED).isEmpty()).isTrue();

    store.merge(List.of(delta(id, Stage.PROCESSED, bitmap(4), T0, reopened.incarnation())));
    assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(bitmap(4));
    // A delta that names no incarnation goes to whatever incarnation is stored.
    store.merge(List.of(delta(id, Stage.PROCESSED, bitmap(5), T0)));
    assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(bitmap(4, 5));
  }

  @Test
  void read_returns_the_incarnation_size_and_marks_of_each_stage_together() {
    BatchId id = newBatchId();
    assertThat(store.read(id, java.util.Set.of(Stage.SENT))).isEmpty();
    BatchInfo batch = store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(1, 2, 999), T0, batch.incarnation())));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(3), T0, batch.incarnation())));

    StageMarks read =
        store
            .read(id, new java.util.LinkedHashSet<>(List.of(Stage.SENT, Stage.PROCESSED)))
            .orElseThrow();

    assertThat(read.incarnation()).isEqualTo(batch.incarnation());
    assertThat(read.expectedRecords()).isEqualTo(1_000);
    assertThat(read.of(Stage.SENT)).isEqualTo(bitmap(1, 2, 3, 999));
    assertThat(read.of(Stage.PROCESSED).isEmpty()).isTrue();
    assertThat(read.marks()).containsOnlyKeys(Stage.SENT, Stage.PROCESSED);

    store.delete(List.of(id));
    assertThat(store.read(id, java.util.Set.of(Stage.SENT))).isEmpty();
    BatchInfo reopened = store.openBatch(BatchInfo.of(id, 10, T0, Map.of()));
    StageMarks afresh = store.read(id, java.util.Set.of(Stage.SENT)).orElseThrow();
    assertThat(afresh.incarnation()).isEqualTo(reopened.incarnation());
    assertThat(afresh.expectedRecords()).isEqualTo(10);
    assertThat(afresh.of(Stage.SENT).isEmpty()).isTrue();
  }

  @Test
  void merge_is_a_union_and_idempotent() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1_000, T0, Map.of()));

    store.merge(List.of(delta(id, Stage.SENT, bitmap(1, 2, 3), T0)));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(3, 4, 999), T0)));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(1, 2, 3), T0)));

    assertThat(store.load(id, Stage.SENT)).isEqualTo(bitmap(1, 2, 3, 4, 999));
    assertThat(store.load(id, Stage.PROCESSED).isEmpty()).isTrue();
  }

  @Test
  void merge_does_not_modify_the_delta() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(50), T0)));
    RoaringBitmap delta = bitmap(1, 2);
    store.merge(List.of(delta(id, Stage.SENT, delta, T0)));
    assertThat(delta).isEqualTo(bitmap(1, 2));
  }

  @Test
  void loaded_bitmap_belongs_to_the_caller() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(1), T0)));
    store.load(id, Stage.SENT).add(50);
    assertThat(store.load(id, Stage.SENT)).isEqualTo(bitmap(1));
  }

  @Test
  void one_merge_call_may_carry_several_batches_and_stages() {
    BatchId a = newBatchId();
    BatchId b = newBatchId();
    store.openBatch(BatchInfo.of(a, 100, T0, Map.of()));
    store.openBatch(BatchInfo.of(b, 100, T0, Map.of()));
    Stage received = Stage.of("received");

    store.merge(
        List.of(
            delta(a, Stage.SENT, bitmap(1, 2), T0),
            delta(a, received, bitmap(2), T0),
            delta(b, Stage.PROCESSED, bitmap(7), T0),
            delta(a, Stage.SENT, bitmap(3), T0)));

    assertThat(store.load(a, Stage.SENT)).isEqualTo(bitmap(1, 2, 3));
    assertThat(store.load(a, received)).isEqualTo(bitmap(2));
    assertThat(store.load(b, Stage.PROCESSED)).isEqualTo(bitmap(7));
    assertThat(store.load(b, Stage.SENT).isEmpty()).isTrue();
  }

  @Test
  void custom_stages_are_kept_apart() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
    Stage received = Stage.of("received");
    Stage acked = Stage.of("acknowledged");
    store.merge(List.of(delta(id, received, bitmap(5, 6), T0)));
    store.merge(List.of(delta(id, acked, bitmap(6, 7), T0)));

    assertThat(store.load(id, received)).isEqualTo(bitmap(5, 6));
    assertThat(store.load(id, acked)).isEqualTo(bitmap(6, 7));
    assertThat(store.load(id, Stage.of("RECEIVED"))).isEqualTo(bitmap(5, 6));
  }

  @Test
  void merge_advances_last_marked_time_per_stage_and_never_back() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 100, T0, Map.of()));
    Instant t1 = T0.plusSeconds(10);
    Instant t2 = T0.plusSeconds(20);

    store.merge(List.of(delta(id, Stage.SENT, bitmap(1), t2)));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(2), t1)));
    store.merge(List.of(delta(id, Stage.PROCESSED, bitmap(1), t1)));

    BatchInfo info = store.findBatch(id).orElseThrow();
    assertThat(info.lastMarkedAt()).isEqualTo(Map.of(Stage.SENT, t2, Stage.PROCESSED, t1));
  }

  @Test
  void bitmaps_of_millions_of_records_round_trip() {
    BatchId id = newBatchId();
    int n = 10_000_000;
    store.openBatch(BatchInfo.of(id, n, T0, Map.of()));
    RoaringBitmap sent = new RoaringBitmap();
    sent.add(0L, n);
    RoaringBitmap processed = new RoaringBitmap();
    Random random = new Random(42);
    for (int i = 0; i < n; i++) {
      if (random.nextInt(100) != 0) {
        processed.add(i);
      }
    }
    processed.runOptimize();
    store.merge(List.of(delta(id, Stage.SENT, sent, T0)));
    store.merge(List.of(delta(id, Stage.PROCESSED, processed, T0)));

    assertThat(store.load(id, Stage.SENT)).isEqualTo(sent);
    assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(processed);
  }

  @Test
  void many_threads_merging_at_once_lose_nothing() throws Exception {
    BatchId id = newBatchId();
    int n = 200_000;
    store.openBatch(BatchInfo.of(id, n, T0, Map.of()));
    int threads = 8;
    int rounds = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    RoaringBitmap expected = new RoaringBitmap();
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        List<RoaringBitmap> deltas = new ArrayList<>();
        Random random = new Random(t);
        for (int r = 0; r < rounds; r++) {
          RoaringBitmap d = new RoaringBitmap();
          int start = random.nextInt(n - 1000);
          d.add((long) start, start + 1 + random.nextInt(999));
          for (int k = 0; k < 50; k++) {
            d.add(random.nextInt(n));
          }
          deltas.add(d);
          expected.or(d);
        }
        futures.add(
            pool.submit(
                () -> {
                  for (RoaringBitmap d : deltas) {
                    store.merge(List.of(delta(id, Stage.PROCESSED, d, T0)));
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(expected);
  }

  @Test
  void record_completion_is_kept_once() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1, T0, Map.of()));
    store.recordCompletion(id, T0.plusSeconds(5));
    store.recordCompletion(id, T0.plusSeconds(9));
    store.recordCompletion(newBatchId(), T0); // unknown: ignored

    assertThat(store.findBatch(id).orElseThrow().completedAt()).contains(T0.plusSeconds(5));
  }

  @Test
  void batches_filter_by_opened_time_attributes_and_completion_newest_first() {
    String tag = newBatchId().value(); // isolates this test's batches from others in the store
    BatchId old = newBatchId();
    BatchId mid = newBatchId();
    BatchId recent = newBatchId();
    store.openBatch(BatchInfo.of(old, 5, T0, Map.of("tag", tag, "customer", "acme")));
    store.openBatch(BatchInfo.of(mid, 5, T0.plusSeconds(60), Map.of("tag", tag)));
    store.openBatch(
        BatchInfo.of(recent, 5, T0.plusSeconds(120), Map.of("tag", tag, "customer", "acme")));
    store.recordCompletion(mid, T0.plusSeconds(90));

    BatchQuery.Builder mine = BatchQuery.builder().attribute("tag", tag);
    assertThat(ids(store.batches(mine.build()))).containsExactly(recent, mid, old);
    assertThat(ids(store.batches(mine.build().toBuilder().attribute("customer", "acme").build())))
        .containsExactly(recent, old);
    assertThat(ids(store.batches(mine.build().toBuilder().incompleteOnly().build())))
        .containsExactly(recent, old);
    assertThat(
            ids(
                store.batches(
                    mine.build().toBuilder().completion(BatchQuery.Completion.COMPLETE).build())))
        .containsExactly(mid);
    assertThat(
            ids(
                store.batches(
                    mine.build().toBuilder()
                        .openedAfter(T0.plusSeconds(60))
                        .openedBefore(T0.plusSeconds(120))
                        .build())))
        .containsExactly(mid);
    assertThat(ids(store.batches(mine.build().toBuilder().limit(2).build())))
        .containsExactly(recent, mid);
    assertThat(ids(store.batches(mine.build().toBuilder().limit(2).offset(2).build())))
        .containsExactly(old);
  }

  // ---------------------------------------------------------------------------------------------
  // Abandoned batches

  @Test
  void abandon_stores_when_and_why_keeps_the_marks_and_every_read_returns_it() {
    BatchId id = newBatchId();
    String tag = id.value();
    BatchInfo opened = store.openBatch(BatchInfo.of(id, 10, T0, Map.of("tag", tag)));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(0, 1, 2), T0.plusSeconds(1))));

    BatchInfo abandoned = store.abandon(id, T0.plusSeconds(30), "test file, never processed");

    assertThat(abandoned.isAbandoned()).isTrue();
    assertThat(abandoned.abandonedAt()).contains(T0.plusSeconds(30));
    assertThat(abandoned.abandonReason()).contains("test file, never processed");
    assertThat(abandoned.incarnation()).isEqualTo(opened.incarnation());
    assertThat(abandoned.expectedRecords()).isEqualTo(10);
    assertThat(abandoned.isComplete()).isFalse();
    assertThat(abandoned.lastMarkedAt()).isEqualTo(Map.of(Stage.SENT, T0.plusSeconds(1)));
    assertThat(store.findBatch(id)).contains(abandoned);
    assertThat(store.batches(BatchQuery.builder().attribute("tag", tag).build()))
        .containsExactly(abandoned);
    assertThat(store.load(id, Stage.SENT)).isEqualTo(bitmap(0, 1, 2));

    // Marks still merge, and the abandon survives them.
    store.merge(List.of(delta(id, Stage.PROCESSED, bitmap(0), T0.plusSeconds(40))));
    BatchInfo marked = store.findBatch(id).orElseThrow();
    assertThat(marked.abandonedAt()).contains(T0.plusSeconds(30));
    assertThat(marked.abandonReason()).contains("test file, never processed");
    assertThat(marked.lastMarkedAt())
        .isEqualTo(Map.of(Stage.SENT, T0.plusSeconds(1), Stage.PROCESSED, T0.plusSeconds(40)));
    assertThat(store.load(id, Stage.PROCESSED)).isEqualTo(bitmap(0));
  }

  @Test
  void abandon_again_for_the_same_reason_changes_nothing_and_another_reason_is_refused() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 3, T0, Map.of()));
    BatchInfo first = store.abandon(id, T0.plusSeconds(10), "cancelled send");

    assertThat(store.abandon(id, T0.plusSeconds(20), "cancelled send")).isEqualTo(first);
    assertThatThrownBy(() -> store.abandon(id, T0.plusSeconds(30), "test file"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("batch " + id + " was abandoned already at " + T0.plusSeconds(10))
        .hasMessageContaining("\"cancelled send\"");
    assertThat(store.findBatch(id)).contains(first);
  }

  @Test
  void abandon_of_a_complete_batch_is_refused_and_of_an_unknown_batch_throws() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1, T0, Map.of()));
    store.recordCompletion(id, T0.plusSeconds(5));
    BatchInfo complete = store.findBatch(id).orElseThrow();

    assertThatThrownBy(() -> store.abandon(id, T0.plusSeconds(9), "too late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "batch "
                + id
                + " is complete (seen complete at "
                + T0.plusSeconds(5)
                + "): there is nothing to abandon");
    assertThat(store.findBatch(id)).contains(complete);

    BatchId unknown = newBatchId();
    assertThatThrownBy(() -> store.abandon(unknown, T0, "never opened"))
        .isInstanceOf(io.recordtracker.UnknownBatchException.class);
    assertThat(store.findBatch(unknown)).isEmpty();
  }

  @Test
  void an_abandoned_batch_seen_complete_later_is_complete_and_keeps_its_abandon() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1, T0, Map.of()));
    store.abandon(id, T0.plusSeconds(10), "given up");
    store.recordCompletion(id, T0.plusSeconds(20));

    BatchInfo read = store.findBatch(id).orElseThrow();
    assertThat(read.completedAt()).contains(T0.plusSeconds(20));
    assertThat(read.abandonedAt()).contains(T0.plusSeconds(10));
    assertThat(read.abandonReason()).contains("given up");
  }

  @Test
  void abandoned_batches_are_not_incomplete_and_closed_means_complete_or_abandoned() {
    String tag = newBatchId().value();
    BatchId incomplete = newBatchId();
    BatchId complete = newBatchId();
    BatchId abandoned = newBatchId();
    BatchId both = newBatchId();
    store.openBatch(BatchInfo.of(incomplete, 5, T0.plusSeconds(4), Map.of("tag", tag)));
    store.openBatch(BatchInfo.of(complete, 5, T0.plusSeconds(3), Map.of("tag", tag)));
    store.openBatch(BatchInfo.of(abandoned, 5, T0.plusSeconds(2), Map.of("tag", tag)));
    store.openBatch(BatchInfo.of(both, 5, T0.plusSeconds(1), Map.of("tag", tag)));
    store.recordCompletion(complete, T0.plusSeconds(60));
    store.abandon(abandoned, T0.plusSeconds(60), "test file");
    store.abandon(both, T0.plusSeconds(60), "cancelled");
    store.recordCompletion(both, T0.plusSeconds(70));

    BatchQuery mine = BatchQuery.builder().attribute("tag", tag).build();
    assertThat(ids(store.batches(mine))).containsExactly(incomplete, complete, abandoned, both);
    assertThat(ids(store.batches(only(mine, BatchQuery.Completion.INCOMPLETE))))
        .containsExactly(incomplete);
    assertThat(ids(store.batches(only(mine, BatchQuery.Completion.COMPLETE))))
        .containsExactly(complete, both);
    assertThat(ids(store.batches(only(mine, BatchQuery.Completion.ABANDONED))))
        .containsExactly(abandoned);
    assertThat(ids(store.batches(only(mine, BatchQuery.Completion.CLOSED))))
        .containsExactly(complete, abandoned, both);
    assertThat(ids(store.batches(only(mine, BatchQuery.Completion.ANY))))
        .containsExactly(incomplete, complete, abandoned, both);
  }

  @Test
  void an_abandoned_batch_is_deleted_like_any_other_and_its_id_reopens_not_abandoned() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 2, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(0, 1), T0)));
    store.abandon(id, T0.plusSeconds(1), "test file");

    assertThat(store.delete(List.of(id))).isEqualTo(1);
    assertThat(store.findBatch(id)).isEmpty();
    assertThat(store.load(id, Stage.SENT)).isEqualTo(new RoaringBitmap());

    BatchInfo reopened = store.openBatch(BatchInfo.of(id, 2, T0.plusSeconds(5), Map.of()));
    assertThat(reopened.isAbandoned()).isFalse();
    assertThat(store.findBatch(id).orElseThrow().abandonReason()).isEmpty();
  }

  @Test
  void abandon_reason_of_500_characters_round_trips_with_non_ascii_text() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.of(id, 1, T0, Map.of()));
    String reason = "Ünïcödé 😀 " + "x".repeat(BatchInfo.MAX_ABANDON_REASON_LENGTH - 11);
    assertThat(reason).hasSize(BatchInfo.MAX_ABANDON_REASON_LENGTH);

    store.abandon(id, T0, reason);

    assertThat(store.findBatch(id).orElseThrow().abandonReason()).contains(reason);
  }

  private static BatchQuery only(BatchQuery query, BatchQuery.Completion completion) {
    return query.toBuilder().completion(completion).build();
  }

  @Test
  void batches_page_by_keyset_in_a_stable_order_with_ties_by_id_descending() {
    String tag = newBatchId().value();
    List<BatchId> expected = new ArrayList<>();
    // Three batches share each opened-at instant, so ties must be ordered by id (descending).
    for (int t = 3; t >= 0; t--) {
      List<BatchId> sameInstant = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        BatchId id = BatchId.of(tag + "-" + t + "-" + k);
        store.openBatch(BatchInfo.of(id, 1, T0.plusSeconds(t), Map.of("tag", tag)));
        sameInstant.add(id);
      }
      sameInstant.sort(java.util.Comparator.reverseOrder());
      expected.addAll(sameInstant);
    }
    BatchQuery.Builder query = BatchQuery.builder().attribute("tag", tag).limit(5);
    List<BatchInfo> first = store.batches(query.build());
    List<BatchInfo> second = store.batches(query.startAfter(first.get(4)).build());
    List<BatchInfo> third = store.batches(query.startAfter(second.get(4)).build());

    List<BatchId> walked = new ArrayList<>(ids(first));
    walked.addAll(ids(second));
    walked.addAll(ids(third));
    assertThat(walked).containsExactlyElementsOf(expected);
    assertThat(third).hasSize(2);
    // The offset form gives the same pages.
    assertThat(
            ids(
                store.batches(
                    BatchQuery.builder().attribute("tag", tag).limit(5).offset(5).build())))
        .containsExactlyElementsOf(ids(second));
  }

  @Test
  void batches_filter_by_recent_marks() {
    String tag = newBatchId().value();
    BatchId quiet = newBatchId();
    BatchId busy = newBatchId();
    store.openBatch(BatchInfo.of(quiet, 5, T0, Map.of("tag", tag)));
    store.openBatch(BatchInfo.of(busy, 5, T0, Map.of("tag", tag)));
    store.merge(List.of(delta(quiet, Stage.SENT, bitmap(1), T0.plusSeconds(10))));
    store.merge(List.of(delta(busy, Stage.SENT, bitmap(1), T0.plusSeconds(10))));
    store.merge(List.of(delta(busy, Stage.PROCESSED, bitmap(1), T0.plusSeconds(100))));

    BatchQuery recent =
        BatchQuery.builder().attribute("tag", tag).markedAfter(T0.plusSeconds(50)).build();
    assertThat(ids(store.batches(recent))).containsExactly(busy);
  }

  @Test
  void delete_removes_batches_and_their_marks() {
    BatchId gone = newBatchId();
    BatchId kept = newBatchId();
    store.openBatch(BatchInfo.of(gone, 10, T0, Map.of("file", "f")));
    store.openBatch(BatchInfo.of(kept, 10, T0, Map.of()));
    store.merge(List.of(delta(gone, Stage.SENT, bitmap(1, 2), T0)));
    store.merge(List.of(delta(kept, Stage.SENT, bitmap(3), T0)));

    assertThat(store.delete(List.of(gone, newBatchId()))).isEqualTo(1);

    assertThat(store.findBatch(gone)).isEmpty();
    assertThat(store.load(gone, Stage.SENT).isEmpty()).isTrue();
    assertThat(store.load(kept, Stage.SENT)).isEqualTo(bitmap(3));
    // The id can be used again, from scratch.
    store.openBatch(BatchInfo.of(gone, 20, T0, Map.of()));
    assertThat(store.load(gone, Stage.SENT).isEmpty()).isTrue();
  }

  @Test
  void times_keep_microsecond_precision_in_utc() {
    BatchId id = newBatchId();
    Instant opened = T0.truncatedTo(ChronoUnit.MICROS);
    store.openBatch(BatchInfo.of(id, 5, opened, Map.of()));
    Instant marked = opened.plusMillis(1234);
    store.merge(List.of(delta(id, Stage.SENT, bitmap(0), marked)));
    BatchInfo info = store.findBatch(id).orElseThrow();
    assertThat(info.openedAt()).isEqualTo(opened);
    assertThat(info.lastMarkedAt(Stage.SENT)).contains(marked);
  }

  private static List<BatchId> ids(List<BatchInfo> batches) {
    List<BatchId> ids = new ArrayList<>();
    batches.forEach(b -> ids.add(b.id()));
    return ids;
  }

  // ---------------------------------------------------------------------------------------------
  // Unsealed batches

  @Test
  void open_unsealed_stores_a_batch_without_size_and_reads_it_back_unsealed() {
    BatchId id = newBatchId();
    BatchInfo opened = store.openBatch(BatchInfo.unsealed(id, T0, Map.of("stream", id.value())));

    assertThat(opened.isSealed()).isFalse();
    assertThat(opened.expectedRecords()).isEqualTo(BatchInfo.UNSEALED_BOUND);
    assertThat(store.findBatch(id)).contains(opened);
    assertThat(store.batches(BatchQuery.builder().attribute("stream", id.value()).build()))
        .containsExactly(opened);
    StageMarks read = store.read(id, java.util.Set.of(Stage.SENT)).orElseThrow();
    assertThat(read.sealed()).isFalse();
    assertThat(read.expectedRecords()).isEqualTo(BatchInfo.UNSEALED_BOUND);
  }

  @Test
  void open_unsealed_again_returns_the_stored_batch_and_open_with_a_count_conflicts() {
    BatchId id = newBatchId();
    BatchInfo first = store.openBatch(BatchInfo.unsealed(id, T0, Map.of("file", "a")));

    assertThat(store.openBatch(BatchInfo.unsealed(id, T0.plusSeconds(5), Map.of())))
        .isEqualTo(first);
    assertThatThrownBy(() -> store.openBatch(BatchInfo.of(id, 10, T0, Map.of())))
        .isInstanceOf(BatchConflictException.class);
    assertThat(store.findBatch(id)).contains(first);
  }

  @Test
  void merge_into_an_unsealed_batch_takes_any_record_up_to_the_bound() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(0, 1_000_000, Integer.MAX_VALUE - 1), T0)));

    assertThat(store.load(id, Stage.SENT)).isEqualTo(bitmap(0, 1_000_000, Integer.MAX_VALUE - 1));
  }

  @Test
  void seal_fixes_the_size_once_and_sealing_again_with_the_same_count_changes_nothing() {
    BatchId id = newBatchId();
    BatchInfo opened = store.openBatch(BatchInfo.unsealed(id, T0, Map.of("file", "a")));
    store.merge(List.of(delta(id, Stage.SENT, bitmap(0, 9), T0, opened.incarnation())));

    BatchInfo sealed = store.seal(id, 10);

    assertThat(sealed.isSealed()).isTrue();
    assertThat(sealed.expectedRecords()).isEqualTo(10);
    assertThat(sealed.incarnation()).isEqualTo(opened.incarnation());
    assertThat(sealed.attributes()).isEqualTo(Map.of("file", "a"));
    assertThat(store.findBatch(id)).contains(sealed);
    assertThat(store.seal(id, 10)).isEqualTo(sealed);
    assertThat(store.openBatch(BatchInfo.of(id, 10, T0, Map.of()))).isEqualTo(sealed);
    assertThat(store.openBatch(BatchInfo.unsealed(id, T0, Map.of()))).isEqualTo(sealed);
    StageMarks read = store.read(id, java.util.Set.of(Stage.SENT)).orElseThrow();
    assertThat(read.sealed()).isTrue();
    assertThat(read.expectedRecords()).isEqualTo(10);
    assertThat(read.of(Stage.SENT)).isEqualTo(bitmap(0, 9));
  }

  @Test
  void seal_with_another_count_conflicts_and_changes_nothing() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
    BatchInfo sealed = store.seal(id, 10);
    BatchId counted = newBatchId();
    BatchInfo opened = store.openBatch(BatchInfo.of(counted, 7, T0, Map.of()));

    assertThatThrownBy(() -> store.seal(id, 11))
        .isInstanceOf(BatchConflictException.class)
        .hasMessageContaining("10");
    assertThatThrownBy(() -> store.seal(counted, 8)).isInstanceOf(BatchConflictException.class);
    assertThat(store.seal(counted, 7)).isEqualTo(opened);
    assertThat(store.findBatch(id)).contains(sealed);
    assertThat(store.findBatch(counted)).contains(opened);
  }

  @Test
  void seal_at_or_below_the_highest_durable_mark_of_any_stage_is_refused_naming_it() {
    BatchId id = newBatchId();
    store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
    store.merge(
        List.of(
            delta(id, Stage.SENT, bitmap(0, 5), T0),
            delta(id, Stage.of("acknowledged"), bitmap(41), T0)));

    assertThatThrownBy(() -> store.seal(id, 41))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 41 is marked");
    assertThatThrownBy(() -> store.seal(id, 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("record 41 is marked");
    assertThat(store.findBatch(id).orElseThrow().isSealed()).isFalse();
    assertThat(store.seal(id, 42).expectedRecords()).isEqualTo(42);
  }

  @Test
  void seal_of_an_unknown_batch_or_with_a_negative_count_is_refused() {
    BatchId id = newBatchId();
    assertThatThrownBy(() -> store.seal(id, 10))
        .isInstanceOf(io.recordtracker.UnknownBatchException.class);
    store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
    assertThatThrownBy(() -> store.seal(id, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThat(store.findBatch(id).orElseThrow().isSealed()).isFalse();
  }

  @Test
  void merge_refuses_a_delta_beyond_the_sealed_size_and_stores_none_of_the_call() {
    BatchId id = newBatchId();
    BatchId other = newBatchId();
    store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
    store.openBatch(BatchInfo.of(other, 10, T0, Map.of()));
    store.seal(id, 10);

    assertThatThrownBy(
            () ->
                store.merge(
                    List.of(
                        delta(other, Stage.SENT, bitmap(3), T0),
                        delta(id, Stage.SENT, bitmap(9, 10, 11), T0))))
        .isInstanceOf(MarksRejectedException.class)
        .satisfies(
            e ->
                assertThat(((MarksRejectedException) e).rejectedRecords())
                    .isEqualTo(Map.of(id, 3L)));
    assertThat(store.load(other, Stage.SENT)).isEqualTo(new RoaringBitmap());
    assertThat(store.load(id, Stage.SENT)).isEqualTo(new RoaringBitmap());
    store.merge(List.of(delta(id, Stage.SENT, bitmap(9), T0)));
    assertThat(store.load(id, Stage.SENT)).isEqualTo(bitmap(9));
  }

  @Test
  void no_mark_slips_past_a_seal_racing_with_merges() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      for (int round = 0; round < 20; round++) {
        BatchId id = newBatchId();
        store.openBatch(BatchInfo.unsealed(id, T0, Map.of()));
        store.merge(List.of(delta(id, Stage.SENT, bitmap(0), T0)));
        java.util.concurrent.atomic.AtomicBoolean stop =
            new java.util.concurrent.atomic.AtomicBoolean();
        Future<Integer> merged =
            pool.submit(
                () -> {
                  int stored = 0;
                  for (int r = 1; !stop.get() && r < 200; r++) {
                    try {
                      store.merge(List.of(delta(id, Stage.PROCESSED, bitmap(r), T0)));
                      stored = r;
                    } catch (MarksRejectedException e) {
                      return stored;
                    }
                  }
                  return stored;
                });
        int sealedAt = -1;
        for (int n = 1 + round; n < 200; n += 7) {
          try {
            store.seal(id, n);
            sealedAt = n;
            break;
          } catch (IllegalArgumentException e) {
            // a mark at or beyond n landed first: try a bigger size
          }
        }
        stop.set(true);
        int highest = merged.get(30, TimeUnit.SECONDS);
        RoaringBitmap marks = store.load(id, Stage.PROCESSED);
        marks.or(store.load(id, Stage.SENT));
        if (sealedAt >= 0) {
          assertThat(marks.last()).isLessThan(sealedAt);
        }
        assertThat(marks.last()).isEqualTo(Math.max(0, highest));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Alert state (AlertStore), for stores that keep it

  /** The store's alert store; skips the test, saying so, if it keeps none. */
  private AlertStore alerts() {
    Optional<AlertStore> alerts = store.alertStore();
    Assumptions.assumeTrue(
        alerts.isPresent(),
        "alert state tests skipped: " + store + " keeps no alert state (alertStore() is empty)");
    return alerts.get();
  }

  private static AlertRecord.Key alertKey(BatchId id, String listener) {
    return new AlertRecord.Key(listener, id, Stage.SENT, Stage.PROCESSED, false);
  }

  /** A settled, open row at {@code version}: NEW told at T0 with 3 missing. */
  private static AlertRecord told(AlertRecord.Key key, long version, long epoch) {
    return new AlertRecord(
        key,
        version,
        epoch,
        true,
        Finding.Kind.OVERDUE,
        7L,
        3,
        0,
        T0,
        null,
        null,
        new byte[] {1, 2, 3, (byte) 0xFF});
  }

  @Test
  void alert_row_is_inserted_once_and_reads_back_as_written() {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord.Key key = alertKey(id, "listener-1");
    AlertRecord claim =
        new AlertRecord(
            key,
            1,
            1_598_180_400_000L,
            false,
            Finding.Kind.STALLED,
            -4_611_686_018_427_387_904L,
            4_000_000_000L,
            7,
            T0,
            DiscrepancyEvent.Kind.NEW,
            T0.plusSeconds(120),
            new byte[] {0, 1, 2});

    assertThat(alerts.compareAndSet(0, claim)).isTrue();
    assertThat(alerts.compareAndSet(0, told(key, 1, 5))).isFalse();

    assertThat(alerts.find(List.of(id))).containsExactly(claim);
    assertThat(alerts.find(List.of(newBatchId()))).isEmpty();
  }

  @Test
  void alert_row_is_updated_only_from_the_version_read() {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord.Key key = alertKey(id, "listener-1");
    alerts.compareAndSet(0, told(key, 1, 1));

    assertThat(alerts.compareAndSet(1, told(key, 2, 2))).isTrue();
    assertThat(alerts.compareAndSet(1, told(key, 2, 3))).isFalse();
    assertThat(alerts.compareAndSet(3, told(key, 4, 4))).isFalse();
    assertThatThrownBy(() -> alerts.compareAndSet(2, told(key, 4, 4)))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(alerts.find(List.of(id))).containsExactly(told(key, 2, 2));
  }

  @Test
  void alert_rows_of_other_listeners_and_pairs_are_rows_of_their_own() {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord.Key a = alertKey(id, "listener-1");
    AlertRecord.Key b = alertKey(id, "listener-2");
    AlertRecord.Key unreadable =
        new AlertRecord.Key("listener-1", id, Stage.SENT, Stage.PROCESSED, true);
    AlertRecord.Key otherPair =
        new AlertRecord.Key("listener-1", id, Stage.of("received"), Stage.PROCESSED, false);
    for (AlertRecord.Key key : List.of(a, b, unreadable, otherPair)) {
      assertThat(alerts.compareAndSet(0, told(key, 1, 1))).isTrue();
    }

    assertThat(alerts.find(List.of(id)))
        .containsExactlyInAnyOrder(
            told(a, 1, 1), told(b, 1, 1), told(unreadable, 1, 1), told(otherPair, 1, 1));
  }

  @Test
  void unsettled_alerts_are_the_open_and_the_claimed() {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord open = told(alertKey(id, "open"), 1, 1);
    AlertRecord claimed =
        new AlertRecord(
            alertKey(id, "claimed"),
            1,
            1,
            false,
            Finding.Kind.OVERDUE,
            7L,
            3,
            0,
            T0,
            DiscrepancyEvent.Kind.NEW,
            T0.plusSeconds(60),
            new byte[] {9});
    AlertRecord settled =
        new AlertRecord(
            alertKey(id, "settled"),
            1,
            1,
            false,
            Finding.Kind.OVERDUE,
            7L,
            3,
            0,
            T0,
            null,
            null,
            new byte[] {9});
    for (AlertRecord r : List.of(open, claimed, settled)) {
      alerts.compareAndSet(0, r);
    }

    assertThat(alerts.unsettled())
        .filteredOn(r -> r.key().batch().equals(id))
        .containsExactlyInAnyOrder(open, claimed);
  }

  @Test
  void alert_row_is_removed_only_at_the_version_read() {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord.Key key = alertKey(id, "listener-1");
    alerts.compareAndSet(0, told(key, 1, 1));
    alerts.compareAndSet(1, told(key, 2, 1));

    assertThat(alerts.remove(key, 1)).isFalse();
    assertThat(alerts.find(List.of(id))).hasSize(1);
    assertThat(alerts.remove(key, 2)).isTrue();
    assertThat(alerts.find(List.of(id))).isEmpty();
    assertThat(alerts.compareAndSet(0, told(key, 1, 9))).isTrue(); // a new row from scratch
  }

  @Test
  void settled_alert_rows_of_deleted_batches_are_removed_and_no_others() {
    AlertStore alerts = alerts();
    BatchId kept = newBatchId();
    BatchId gone = newBatchId();
    store.openBatch(BatchInfo.of(kept, 10, T0, Map.of()));
    store.openBatch(BatchInfo.of(gone, 10, T0, Map.of()));
    AlertRecord keptSettled =
        new AlertRecord(
            alertKey(kept, "l"),
            1,
            1,
            false,
            Finding.Kind.OVERDUE,
            7L,
            3,
            0,
            T0,
            null,
            null,
            new byte[] {1});
    AlertRecord goneSettled =
        new AlertRecord(
            alertKey(gone, "l"),
            1,
            1,
            false,
            Finding.Kind.OVERDUE,
            7L,
            3,
            0,
            T0,
            null,
            null,
            new byte[] {1});
    AlertRecord goneOpen =
        new AlertRecord(
            new AlertRecord.Key("l", gone, Stage.SENT, Stage.PROCESSED, true),
            1,
            1,
            true,
            Finding.Kind.UNREADABLE,
            7L,
            0,
            0,
            T0,
            null,
            null,
            new byte[] {1});
    for (AlertRecord r : List.of(keptSettled, goneSettled, goneOpen)) {
      alerts.compareAndSet(0, r);
    }
    store.delete(List.of(gone));

    assertThat(alerts.removeSettledOfGoneBatches()).isGreaterThanOrEqualTo(1);

    assertThat(alerts.find(List.of(kept, gone))).containsExactlyInAnyOrder(keptSettled, goneOpen);
  }

  @Test
  void of_monitors_racing_from_one_version_exactly_one_writes_the_next() throws Exception {
    AlertStore alerts = alerts();
    BatchId id = newBatchId();
    AlertRecord.Key key = alertKey(id, "listener-1");
    int racers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      for (long version = 0; version < 20; version++) {
        long from = version;
        List<Future<Boolean>> results = new ArrayList<>();
        for (int r = 0; r < racers; r++) {
          long epoch = r;
          results.add(pool.submit(() -> alerts.compareAndSet(from, told(key, from + 1, epoch))));
        }
        int won = 0;
        for (Future<Boolean> result : results) {
          won += result.get(60, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(won).as("writers of version %d", from + 1).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(alerts.find(List.of(id))).extracting(AlertRecord::version).containsExactly(20L);
  }
}
