package io.recordtracker.spring.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/** The example service end to end, with and without the fault; also prints what the job says. */
class CisImportExampleTest {

  @TempDir Path dir;

  @Test
  void the_import_fails_naming_exactly_the_dropped_records_and_completes_without_the_fault()
      throws Exception {
    try (ConfigurableApplicationContext context =
        SpringApplication.run(CisImportExample.class, CisImportExample.ARGS)) {
      RecordTracker tracker = context.getBean(RecordTracker.class);

      BatchId lossy = BatchId.generate();
      JobExecution failed =
          CisImportExample.importFile(
              context, CisImportExample.send(tracker, lossy, 30, dir), true);
      System.out.println(CisImportExample.describe(failed));
      assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
      assertThat(failed.getStepExecutions().iterator().next().getExitStatus().getExitDescription())
          .isEqualTo("batch " + lossy + ": 6 of 30 sent records not processed: 5-9, 20");
      assertThat(tracker.reconcile(lossy).missing())
          .containsExactly(RecordRange.of(5, 9), RecordRange.single(20));

      BatchId clean = BatchId.generate();
      JobExecution completed =
          CisImportExample.importFile(
              context, CisImportExample.send(tracker, clean, 30, dir), false);
      System.out.println(CisImportExample.describe(completed));
      assertThat(completed.getStatus()).isEqualTo(BatchStatus.COMPLETED);
      assertThat(tracker.reconcile(clean).isComplete()).isTrue();
      assertThat(
              new JdbcTemplate(context.getBean(javax.sql.DataSource.class))
                  .queryForObject(
                      "SELECT COUNT(*) FROM cis_customer WHERE batch = ?",
                      Integer.class,
                      clean.value()))
          .isEqualTo(30);
    }
  }
}
