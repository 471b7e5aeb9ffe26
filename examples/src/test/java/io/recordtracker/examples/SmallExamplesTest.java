package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each small example runs and prints what its Javadoc promises. */
class SmallExamplesTest {
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private PrintStream original;

  @BeforeEach
  void capture() {
    original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(original);
  }

  private List<String> lines() {
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void send_path_marks_every_record_sent_and_none_processed_yet() {
    SendPathExample.main(new String[0]);

    assertThat(lines()).filteredOn(l -> l.startsWith("sent ")).hasSize(3);
    assertThat(lines())
        .anyMatch(l -> l.contains("\"counts\":{\"missing\":2500,\"absentUpstream\":0"))
        .anyMatch(l -> l.contains("\"missing\":[[0,2499]]"));
  }

  @Test
  void processing_path_reports_exactly_the_rolled_back_transaction() throws Exception {
    ProcessingPathExample.main(new String[0]);

    assertThat(lines())
        .contains("transaction 300-399 rolled back: deadlock detected (simulated)")
        .contains("missing: [300-399]");
  }

  @Test
  void custom_stage_names_the_hop_that_lost_the_records() {
    CustomStageExample.main(new String[0]);

    assertThat(lines())
        .containsExactly(
            "sent->received       missing      0 []",
            "received->processed  missing  1,001 [4000-4999, 7777]");
  }

  @Test
  void reconciliation_job_prints_one_report_for_the_batch_with_gaps() throws Exception {
    ReconciliationJobExample.main(new String[0]);

    List<String> reports = lines().stream().filter(l -> l.startsWith("{")).toList();
    assertThat(reports).hasSize(1);
    assertThat(reports.get(0))
        .contains(
            "\"counts\":{\"missing\":1001,\"absentUpstream\":0,\"unexpected\":0,\"repeated\":0}")
        .contains("\"missing\":[[2000,2999],[4999,4999]]");
  }
}
