package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.ResendPlan;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

/** The processor on an in-memory store: with and without the patch. */
class CisProcessorTest {

  @TempDir Path dir;

  @Test
  void without_the_patch_every_record_is_processed_including_the_retried_ones() throws Exception {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      EdiSender.Sent sent = new EdiSender(tracker).send(dir, 12_345, Map.of());

      CisProcessor.Result result = new CisProcessor(tracker, 3, 100).process(sent.file(), null);

      assertThat(result.read()).isEqualTo(12_345);
      assertThat(result.committed()).isEqualTo(12_345);
      assertThat(result.deferred()).isPositive(); // they went through the retry path
      assertThat(result.lost().isEmpty()).isTrue();
      assertThat(result.patchedAt()).isNull();
      assertThat(tracker.reconcile(sent.batch()).isComplete()).isTrue();
      assertThat(tracker.reconcile(sent.batch(), CisProcessor.RECEIVED, CisProcessor.RECEIVED))
          .extracting(Reconciliation::absentUpstreamCount)
          .isEqualTo(0L);
    }
  }

  @Test
  void the_patch_drops_exactly_what_the_processor_never_committed() throws Exception {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      EdiSender.Sent sent = new EdiSender(tracker).send(dir, 30_000, Map.of());

      CisProcessor.Result result =
          new CisProcessor(tracker, 4, 300).process(sent.file(), new CisProcessor.Patch(0.5, 2));

      assertThat(result.restartedWorkers()).hasSize(2);
      assertThat(result.read()).isEqualTo(30_000);
      assertThat(result.committed() + result.lost().getLongCardinality()).isEqualTo(30_000);
      Reconciliation r = tracker.reconcile(sent.batch());
      assertThat(r.missing()).isEqualTo(result.lostRanges()).isNotEmpty();
      // Received is complete: the loss is after reading, as in the incident.
      assertThat(
              tracker
                  .reconcile(sent.batch(), io.recordtracker.Stage.SENT, CisProcessor.RECEIVED)
                  .isComplete())
          .isTrue();
    }
  }

  @Test
  void a_restarted_worker_rolls_back_its_customer_rows_and_their_marks_together() throws Exception {
    DataSource h2 =
        new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    JdbcTrackerStore store = JdbcTrackerStore.builder(h2).tablePrefix("t_").build();
    try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
      CisDatabase cis = new CisDatabase(h2, store, "t_").createTable();
      EdiSender.Sent sent = new EdiSender(tracker).send(dir, 20_000, Map.of());

      CisProcessor.Result result =
          new CisProcessor(tracker, cis, 4, 250)
              .process(sent.file(), new CisProcessor.Patch(0.4, 2));

      RoaringBitmap processed = store.load(sent.batch(), Stage.PROCESSED);
      RoaringBitmap saved = cis.savedRecords(sent.batch());
      assertThat(saved).isEqualTo(processed); // a row iff a mark: they committed together
      assertThat(saved.getLongCardinality()).isEqualTo(result.committed());
      assertThat(RoaringBitmap.and(saved, result.lost()).isEmpty()).isTrue();
      assertThat(RoaringBitmap.or(saved, result.lost()).getLongCardinality()).isEqualTo(20_000);
      assertThat(tracker.reconcile(sent.batch()).missing()).isEqualTo(result.lostRanges());
    }
  }

  @Test
  void a_resend_file_holds_only_the_resent_records_with_their_original_stamps() throws Exception {
    try (RecordTracker tracker = RecordTracker.inMemory()) {
      EdiSender sender = new EdiSender(tracker);
      EdiSender.Sent sent = sender.send(dir, 5_000, Map.of());
      List<RecordRange> ranges = List.of(RecordRange.of(10, 19), RecordRange.single(4_999));
      tracker.markProcessed(sent.batch(), RecordRange.of(0, 9));
      tracker.markProcessed(sent.batch(), RecordRange.of(20, 4_998));
      ResendPlan plan = tracker.reconcile(sent.batch()).resendPlan();

      EdiSender.Sent resent = sender.resend(plan, dir);

      RoaringBitmap records = new RoaringBitmap();
      List<String> lines = new ArrayList<>();
      try (EdiFile.Reader in = new EdiFile.Reader(resent.file())) {
        assertThat(in.header().kind()).isEqualTo(EdiFile.RESEND);
        assertThat(in.header().batch()).isEqualTo(sent.batch());
        assertThat(in.header().expectedRecords()).isEqualTo(5_000);
        assertThat(in.header().count()).isEqualTo(11);
        while (in.next()) {
          records.add(in.record());
          lines.add(in.line());
        }
      }
      assertThat(IncidentReplay.ranges(records)).isEqualTo(ranges);
      List<String> originals = new ArrayList<>();
      try (EdiFile.Reader in = new EdiFile.Reader(sent.file())) {
        while (in.next()) {
          if (plan.includes(in.record())) {
            originals.add(in.line());
          }
        }
      }
      assertThat(lines).isEqualTo(originals).hasSize(11); // copied as first sent
      assertThat(resent.records()).isEqualTo(11);
      assertThat(tracker.reconcile(sent.batch()).missing()).isEqualTo(ranges); // marked sent again
    }
  }

  @Test
  void ranges_of_a_bitmap_are_maximal_runs_across_container_boundaries() {
    RoaringBitmap b = new RoaringBitmap();
    b.add(65_530L, 65_540L);
    b.add(3);
    b.add(100_000L, 100_002L);
    b.add(Integer.MAX_VALUE);

    assertThat(IncidentReplay.ranges(b))
        .containsExactly(
            RecordRange.single(3),
            RecordRange.of(65_530, 65_539),
            RecordRange.of(100_000, 100_001),
            RecordRange.single(Integer.MAX_VALUE));
    assertThat(IncidentReplay.ranges(new RoaringBitmap())).isEmpty();
  }
}
