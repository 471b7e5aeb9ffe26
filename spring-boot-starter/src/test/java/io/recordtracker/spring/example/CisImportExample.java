package io.recordtracker.spring.example;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.spring.batch.ReconcilingStepListener;
import io.recordtracker.spring.batch.TrackedRecord;
import io.recordtracker.spring.batch.TrackingItemWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemProcessor;
import org.springframework.batch.infrastructure.item.support.ListItemReader;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The CIS side as a Spring Boot service: a Spring Batch job imports an EDI file of customer records
 * into the CIS database, marking each record processed in the chunk that writes it, and fails with
 * the exact missing ranges when a fault drops records. The tracker, its store and the DataSource
 * come from the starter and Spring Boot; the only tracking code is the writer and the listener.
 *
 * <p>Run it: {@code mvn -B -pl spring-boot-starter -am verify -Dtest=CisImportExampleTest
 * -Dsurefire.failIfNoSpecifiedTests=false} (see docs/spring.md).
 */
@SpringBootApplication
public class CisImportExample {

  /** The records the fault drops, as a patch script restarting a worker mid-file would. */
  static final Set<Integer> DROPPED = Set.of(5, 6, 7, 8, 9, 20);

  /** The EDI sender's part: opens the batch, writes the file, marks every record sent. */
  static Path send(RecordTracker tracker, BatchId id, int records, Path dir) throws IOException {
    tracker.openBatch(id, records, Map.of("file", "customers-" + id + ".edi"));
    List<String> lines = new ArrayList<>();
    lines.add("UNB+" + id + "+" + records);
    for (int i = 0; i < records; i++) {
      lines.add("CUS+" + i + "+customer " + i);
    }
    Path file = Files.write(dir.resolve("customers-" + id + ".edi"), lines);
    tracker.markSent(id, RecordRange.of(0, records - 1));
    return file;
  }

  /** A customer line of the file: its record number in the batch and its name. */
  record Customer(BatchId batch, int record, String name) {}

  /** Imports {@code file} with a chunk-oriented job; {@code faulty} drops {@link #DROPPED}. */
  static JobExecution importFile(ConfigurableApplicationContext context, Path file, boolean faulty)
      throws Exception {
    RecordTracker tracker = context.getBean(RecordTracker.class);
    DataSource dataSource = context.getBean(DataSource.class);
    JobRepository repository = context.getBean(JobRepository.class);
    JdbcTemplate cis = new JdbcTemplate(dataSource);
    cis.execute(
        "CREATE TABLE IF NOT EXISTS cis_customer (batch VARCHAR(128), record INT, name VARCHAR(100))");

    List<String> lines = Files.readAllLines(file);
    BatchId id = BatchId.of(lines.get(0).split("\\+")[1]);
    List<Customer> customers = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\\+");
      customers.add(new Customer(id, Integer.parseInt(f[1]), f[2]));
    }
    ItemProcessor<Customer, Customer> processor =
        c -> faulty && DROPPED.contains(c.record()) ? null : c;
    TrackingItemWriter<Customer> writer =
        TrackingItemWriter.builder(
                tracker, (Customer c) -> new TrackedRecord(c.batch(), c.record()))
            .delegate(
                chunk ->
                    chunk.forEach(
                        c ->
                            cis.update(
                                "INSERT INTO cis_customer VALUES (?, ?, ?)",
                                c.batch().value(),
                                c.record(),
                                c.name())))
            .within(context.getBean(JdbcTrackerStore.class), dataSource)
            .build();
    Job job =
        new JobBuilder("cis-import", repository)
            .start(
                new StepBuilder("import-customers", repository)
                    .<Customer, Customer>chunk(10)
                    .transactionManager(context.getBean(PlatformTransactionManager.class))
                    .reader(new ListItemReader<>(customers))
                    .processor(processor)
                    .writer(writer)
                    .listener(ReconcilingStepListener.forJobParameter(tracker, "batchId").build())
                    .build())
            .build();
    return context
        .getBean(JobOperator.class)
        .start(job, new JobParametersBuilder().addString("batchId", id.value()).toJobParameters());
  }

  /** The arguments the example runs with: an in-memory H2 database, no job run at startup. */
  static final String[] ARGS = {
    "--spring.datasource.url=jdbc:h2:mem:cis;DB_CLOSE_DELAY=-1",
    "--spring.batch.job.enabled=false",
    "--spring.main.banner-mode=off"
  };

  /** Sends a file of 30 records, imports it with the fault, and prints how the job ended. */
  public static void main(String[] args) throws Exception {
    try (ConfigurableApplicationContext context =
        SpringApplication.run(CisImportExample.class, ARGS)) {
      RecordTracker tracker = context.getBean(RecordTracker.class);
      Path dir = Files.createTempDirectory("record-tracker-cis");
      Path file = send(tracker, BatchId.generate(), 30, dir);
      System.out.println(describe(importFile(context, file, true)));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** How a job ended: its status and its step's exit code and description. */
  static String describe(JobExecution job) {
    StringBuilder s = new StringBuilder("Job " + job.getStatus());
    for (StepExecution step : job.getStepExecutions()) {
      s.append(", step ")
          .append(step.getStepName())
          .append(' ')
          .append(step.getExitStatus().getExitCode())
          .append(": ")
          .append(step.getExitStatus().getExitDescription());
    }
    return s.toString();
  }
}
