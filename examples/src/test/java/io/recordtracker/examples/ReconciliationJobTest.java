package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scheduled job, driven by a settable clock instead of sleeps. */
class ReconciliationJobTest {
  private static final List<Stage> CHAIN = IncidentReplay.CHAIN;

  private final SettableClock clock = new SettableClock(Instant.parse("2019-06-07T11:00:00Z"));
  private final RecordTracker tracker = RecordTracker.builder().clock(clock).build();
  private final List<ReconciliationJob.Finding> alerts = new ArrayList<>();
  private final ReconciliationJob job =
      new ReconciliationJob(
          tracker, CHAIN, Duration.ofMinutes(5), Duration.ofHours(1), Map.of(), alerts::add);

  @AfterEach
  void close() {
    tracker.close();
  }

  @Test
  void a_batch_still_being_marked_is_not_judged_until_it_settles() {
    BatchId batch = sentAndReceived(1_000);
    tracker.markProcessed(batch, RecordRange.of(0, 499));
    tracker.flush();

    clock.advance(Duration.ofMinutes(4));
    assertThat(job.runOnce()).isEmpty();

    clock.advance(Duration.ofMinutes(2));
    List<ReconciliationJob.Finding> findings = job.runOnce();
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).sentToProcessed().missing())
        .containsExactly(RecordRange.of(500, 999));
  }

  @Test
  void a_discrepancy_is_alerted_once_and_again_only_when_it_changes() {
    BatchId batch = sentAndReceived(1_000);
    tracker.markProcessed(batch, RecordRange.of(0, 899));
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));

    job.runOnce();
    job.runOnce();
    assertThat(alerts).hasSize(1);

    tracker.markProcessed(batch, RecordRange.of(900, 949)); // a partial resend landed
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));
    job.runOnce();
    assertThat(alerts).hasSize(2);
    assertThat(alerts.get(1).sentToProcessed().missing()).containsExactly(RecordRange.of(950, 999));

    tracker.markProcessed(batch, RecordRange.of(950, 999));
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));
    assertThat(job.runOnce()).isEmpty();
    assertThat(alerts).hasSize(2);
  }

  @Test
  void records_that_never_arrived_are_attributed_to_the_sent_to_received_hop() {
    BatchId batch = BatchId.generate();
    tracker.openBatch(batch, 1_000);
    tracker.markSent(batch, RecordRange.of(0, 999));
    tracker.mark(batch, CisProcessor.RECEIVED, RecordRange.of(0, 799));
    tracker.markProcessed(batch, RecordRange.of(0, 799));
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));

    ReconciliationJob.Finding f = job.runOnce().get(0);

    assertThat(f.hopName()).isEqualTo("sent->received");
    assertThat(f.hop().missing()).containsExactly(RecordRange.of(800, 999));
    assertThat(f.hopMeaning()).isEqualTo("the records were sent but never arrived");
  }

  @Test
  void records_read_but_not_processed_are_attributed_to_the_received_to_processed_hop() {
    BatchId batch = sentAndReceived(1_000);
    tracker.markProcessed(batch, RecordRange.of(0, 199));
    tracker.markProcessed(batch, RecordRange.of(201, 999));
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));

    ReconciliationJob.Finding f = job.runOnce().get(0);

    assertThat(f.hopName()).isEqualTo("received->processed");
    assertThat(f.hop().missing()).containsExactly(RecordRange.single(200));
    assertThat(f.sentToProcessed().missing()).containsExactly(RecordRange.single(200));
  }

  @Test
  void a_batch_without_the_middle_stage_is_judged_from_sent_to_processed() {
    BatchId batch = BatchId.generate();
    tracker.openBatch(batch, 100);
    tracker.markSent(batch, RecordRange.of(0, 99));
    tracker.markProcessed(batch, RecordRange.of(0, 89));
    tracker.flush();
    clock.advance(Duration.ofMinutes(10));

    ReconciliationJob.Finding f = job.runOnce().get(0);

    assertThat(f.hopName()).isEqualTo("sent->processed");
    assertThat(f.hop().missing()).containsExactly(RecordRange.of(90, 99));
  }

  private BatchId sentAndReceived(int records) {
    BatchId batch = BatchId.generate();
    tracker.openBatch(batch, records);
    tracker.markSent(batch, RecordRange.of(0, records - 1));
    tracker.mark(batch, CisProcessor.RECEIVED, RecordRange.of(0, records - 1));
    return batch;
  }
}
