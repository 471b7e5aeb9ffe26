package io.recordtracker.spring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.configuration.support.MapJobRegistry;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.support.TaskExecutorJobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.ResourcelessJobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemWriter;
import org.springframework.batch.infrastructure.item.support.ListItemReader;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * A chunk-oriented job of 30 records whose processor may drop some: the writer marks what it wrote,
 * the listener fails the step with exactly the dropped ranges.
 */
class TrackingJobTest {

  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static final int RECORDS = 30;

  private DataSource dataSource;
  private JdbcTrackerStore store;
  private RecordTracker tracker;
  private BatchId id;

  @BeforeEach
  void openBatch() {
    dataSource =
        new DriverManagerDataSource(
            "jdbc:h2:mem:batch" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    store = JdbcTrackerStore.builder(dataSource).build();
    tracker = RecordTracker.builder().store(store).flushInterval(Duration.ofHours(1)).build();
    id = BatchId.generate();
    tracker.openBatch(id, RECORDS);
    tracker.markSent(id, RecordRange.of(0, RECORDS - 1));
  }

  @AfterEach
  void close() {
    tracker.close();
  }

  @Test
  void a_job_whose_processor_drops_records_fails_naming_exactly_their_ranges() throws Exception {
    JobExecution job = run(Set.of(5, 6, 7, 8, 9, 20), true, false);

    assertThat(job.getStatus()).isEqualTo(BatchStatus.FAILED);
    StepExecution step = job.getStepExecutions().iterator().next();
    assertThat(step.getStatus()).isEqualTo(BatchStatus.FAILED);
    assertThat(step.getExitStatus().getExitCode()).isEqualTo(ExitStatus.FAILED.getExitCode());
    assertThat(step.getExitStatus().getExitDescription())
        .isEqualTo("batch " + id + ": 6 of 30 sent records not processed: 5-9, 20");
    assertThat(tracker.reconcile(id).missing())
        .containsExactly(RecordRange.of(5, 9), RecordRange.single(20));
  }

  @Test
  void a_job_that_drops_nothing_completes_and_the_batch_is_complete() throws Exception {
    JobExecution job = run(Set.of(), true, false);

    assertThat(job.getStatus()).isEqualTo(BatchStatus.COMPLETED);
    assertThat(job.getExitStatus().getExitCode()).isEqualTo(ExitStatus.COMPLETED.getExitCode());
    assertThat(tracker.reconcile(id).isComplete()).isTrue();
    assertThat(tracker.batch(id).orElseThrow().isComplete()).isTrue();
  }

  @Test
  void marks_given_after_commit_when_not_within_the_transaction_complete_the_batch_too()
      throws Exception {
    JobExecution job = run(Set.of(), false, false);

    assertThat(job.getStatus()).isEqualTo(BatchStatus.COMPLETED);
    assertThat(tracker.reconcile(id).isComplete()).isTrue();
  }

  @Test
  void warn_only_leaves_the_job_completed_though_records_are_missing() throws Exception {
    JobExecution job = run(Set.of(20), false, true);

    assertThat(job.getStatus()).isEqualTo(BatchStatus.COMPLETED);
    assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.single(20));
  }

  @Test
  void a_chunk_rolled_back_marks_none_of_its_records() throws Exception {
    ItemWriter<Integer> failingOnSecondChunk =
        chunk -> {
          if (chunk.getItems().contains(10)) {
            throw new IllegalStateException("CIS database refused the chunk");
          }
        };
    JobExecution job = run(Set.of(), true, false, failingOnSecondChunk);

    assertThat(job.getStatus()).isEqualTo(BatchStatus.FAILED);
    // chunks of 10: the first committed, the second rolled back with its marks, the third never ran
    assertThat(tracker.reconcile(id).missing()).containsExactly(RecordRange.of(10, 29));
  }

  private JobExecution run(Set<Integer> dropped, boolean within, boolean warnOnly)
      throws Exception {
    return run(dropped, within, warnOnly, chunk -> {});
  }

  private JobExecution run(
      Set<Integer> dropped, boolean within, boolean warnOnly, ItemWriter<Integer> delegate)
      throws Exception {
    JobRepository repository = new ResourcelessJobRepository();
    TrackingItemWriter.Builder<Integer> writer =
        TrackingItemWriter.<Integer>builder(tracker, record -> new TrackedRecord(id, record))
            .delegate(delegate);
    if (within) {
      writer.within(store, dataSource);
    }
    ReconcilingStepListener.Builder listener =
        ReconcilingStepListener.forJobParameter(tracker, "batchId");
    if (warnOnly) {
      listener.warnOnly();
    }
    List<Integer> records = IntStream.range(0, RECORDS).boxed().toList();
    Job job =
        new JobBuilder("cis-import", repository)
            .start(
                new StepBuilder("process", repository)
                    .<Integer, Integer>chunk(10)
                    .transactionManager(new DataSourceTransactionManager(dataSource))
                    .reader(new ListItemReader<>(records))
                    .processor(record -> dropped.contains(record) ? null : record)
                    .writer(writer.build())
                    .listener(listener.build())
                    .build())
            .build();
    TaskExecutorJobOperator operator = new TaskExecutorJobOperator();
    operator.setJobRepository(repository);
    operator.setJobRegistry(new MapJobRegistry());
    operator.afterPropertiesSet();
    return operator.start(
        job, new JobParametersBuilder().addString("batchId", id.value()).toJobParameters());
  }
}
