package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.spi.TrackerStore;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A typo in a stage name fails loudly instead of reporting every record missing. */
class StageCheckTest {

  private final TrackerStore store = TrackerStore.inMemory();
  private final RecordTracker edi = tracker();
  private final RecordTracker ops = tracker();

  private RecordTracker tracker() {
    return RecordTracker.builder().store(store).flushInterval(Duration.ofHours(1)).build();
  }

  @AfterEach
  void close() {
    edi.close();
    ops.close();
  }

  private BatchId sent(int records) {
    BatchId id = BatchId.generate();
    edi.openBatch(id, records);
    edi.markSent(id, RecordRange.of(0, records - 1));
    edi.flush();
    return id;
  }

  @Test
  void a_stage_no_batch_was_ever_marked_at_is_a_typo_naming_the_known_stages() {
    BatchId id = sent(100);
    edi.mark(id, Stage.of("received"), RecordRange.of(0, 99));
    edi.flush();

    assertThatThrownBy(() -> ops.reconcile(id, Stage.SENT, Stage.of("recieved")))
        .isInstanceOfSatisfying(
            UnknownStageException.class,
            e -> {
              assertThat(e.stage()).isEqualTo(Stage.of("recieved"));
              assertThat(e.knownStages())
                  .containsExactlyInAnyOrder(Stage.SENT, Stage.PROCESSED, Stage.of("received"));
            })
        .hasMessage(
            "no stage \"recieved\" in the store: no batch was ever marked at it and it was not"
                + " declared. The store knows processed, received, sent. A typo? A new stage is"
                + " known once a record is marked at it, or declared up front with"
                + " RecordTracker.declareStages");
  }

  @Test
  void a_known_stage_with_no_mark_in_this_batch_reports_every_record_missing() {
    BatchId other = sent(10);
    edi.mark(other, Stage.of("received"), 1);
    edi.flush();
    BatchId lost = sent(100); // the incident: nothing of this batch was ever received

    Reconciliation r = ops.reconcile(lost, Stage.SENT, Stage.of("received"));
    assertThat(r.missing()).containsExactly(RecordRange.of(0, 99));
    // The built-in stages need no mark anywhere.
    assertThat(ops.reconcile(lost).missing()).containsExactly(RecordRange.of(0, 99));
  }

  @Test
  void a_declared_stage_and_one_marked_here_but_not_flushed_are_known() {
    BatchId id = sent(10);
    ops.declareStages(Stage.of("archived"));
    try (RecordTracker another = tracker()) {
      assertThat(another.reconcile(id, Stage.SENT, Stage.of("archived")).missingCount())
          .isEqualTo(10);
    }
    assertThat(store.knownStages().orElseThrow()).contains(Stage.of("archived"));

    edi.mark(id, Stage.of("acknowledged"), 3); // buffered in edi only
    assertThat(edi.reconcile(id, Stage.SENT, Stage.of("acknowledged")).missingCount()).isEqualTo(9);
    assertThatThrownBy(() -> ops.reconcile(id, Stage.SENT, Stage.of("acknowledged")))
        .isInstanceOf(UnknownStageException.class);
    edi.flush();
    assertThat(ops.reconcile(id, Stage.SENT, Stage.of("acknowledged")).missingCount()).isEqualTo(9);
    assertThatThrownBy(() -> ops.declareStages(Stage.SENT, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("stage must not be null");
    assertThat(Set.of(Stage.of("archived"))).contains(Stage.countingRepeats("archived"));
  }
}
