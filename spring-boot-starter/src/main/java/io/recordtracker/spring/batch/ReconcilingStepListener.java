package io.recordtracker.spring.batch;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.internal.Arguments;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.listener.StepExecutionListener;
import org.springframework.batch.core.step.StepExecution;

/**
 * Reconciles the step's batches when the step ends, so that a step that lost records does not end
 * COMPLETED. For each batch (found by a function of the step execution, typically a job parameter),
 * it reconciles {@code upstream} against {@code downstream} (default {@code sent} against {@code
 * processed}); when records are missing or were never marked upstream, the step's status and exit
 * status become FAILED, the exit description naming each batch and its exact ranges:
 *
 * <pre>{@code
 * batch 01J...: 6 of 30 sent records not processed: 5-9, 20
 * }</pre>
 *
 * With {@link Builder#warnOnly()} it logs the same text at WARN and leaves the status alone. A step
 * that already failed is left as it is. The tracker is flushed first, so that marks made after
 * commit are durable before the job reports.
 */
public final class ReconcilingStepListener implements StepExecutionListener {

  private static final Logger log = LoggerFactory.getLogger(ReconcilingStepListener.class);

  private final RecordTracker tracker;
  private final Function<StepExecution, Collection<BatchId>> batches;
  private final Stage upstream;
  private final Stage downstream;
  private final boolean warnOnly;

  private ReconcilingStepListener(Builder b) {
    this.tracker = b.tracker;
    this.batches = b.batches;
    this.upstream = b.upstream;
    this.downstream = b.downstream;
    this.warnOnly = b.warnOnly;
  }

  /**
   * A builder for a listener reconciling the batches {@code batches} names for each step execution.
   *
   * @param tracker the tracker
   * @param batches the batches a step execution processed
   * @return a builder
   * @throws NullPointerException if an argument is null
   */
  public static Builder builder(
      RecordTracker tracker, Function<StepExecution, Collection<BatchId>> batches) {
    return new Builder(
        Arguments.requireNonNull(tracker, "tracker"), Arguments.requireNonNull(batches, "batches"));
  }

  /**
   * A builder for a listener reconciling the batch whose id is the job parameter {@code parameter}.
   *
   * @param tracker the tracker
   * @param parameter the name of a String job parameter holding the batch id
   * @return a builder
   * @throws NullPointerException if an argument is null
   */
  public static Builder forJobParameter(RecordTracker tracker, String parameter) {
    Arguments.requireNonNull(parameter, "parameter");
    return builder(
        tracker,
        step -> {
          String id = step.getJobParameters().getString(parameter);
          if (id == null) {
            throw new IllegalStateException("job parameter " + parameter + " is not set");
          }
          return List.of(BatchId.of(id));
        });
  }

  /**
   * Reconciles the step's batches; FAILED with the missing ranges when records are missing.
   *
   * @return the step's exit status, FAILED with a description when records are missing
   */
  @Override
  public ExitStatus afterStep(StepExecution step) {
    if (step.getStatus() != BatchStatus.COMPLETED) {
      return step.getExitStatus();
    }
    tracker.flush();
    List<String> problems = new ArrayList<>();
    for (BatchId batch : batches.apply(step)) {
      Reconciliation r = tracker.reconcile(batch, upstream, downstream);
      if (r.missingCount() > 0) {
        problems.add(
            "batch "
                + batch
                + ": "
                + r.missingCount()
                + " of "
                + r.expectedRecords()
                + " "
                + upstream
                + " records not "
                + downstream
                + ": "
                + ranges(r.missing()));
      }
      if (r.absentUpstreamCount() > 0) {
        problems.add(
            "batch "
                + batch
                + ": "
                + r.absentUpstreamCount()
                + " records never "
                + upstream
                + ": "
                + ranges(r.absentUpstream()));
      }
    }
    if (problems.isEmpty()) {
      return step.getExitStatus();
    }
    String description = String.join("; ", problems);
    if (warnOnly) {
      log.warn("Step {} lost records: {}", step.getStepName(), description);
      return step.getExitStatus();
    }
    log.error("Step {} lost records: {}", step.getStepName(), description);
    step.setStatus(BatchStatus.FAILED);
    return ExitStatus.FAILED.addExitDescription(description);
  }

  private static String ranges(List<RecordRange> ranges) {
    return ranges.stream().map(RecordRange::toString).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return "ReconcilingStepListener{"
        + upstream
        + "->"
        + downstream
        + (warnOnly ? ", warn only" : "")
        + "}";
  }

  /** Builds a {@link ReconcilingStepListener}. */
  public static final class Builder {
    private final RecordTracker tracker;
    private final Function<StepExecution, Collection<BatchId>> batches;
    private Stage upstream = Stage.SENT;
    private Stage downstream = Stage.PROCESSED;
    private boolean warnOnly;

    private Builder(RecordTracker tracker, Function<StepExecution, Collection<BatchId>> batches) {
      this.tracker = tracker;
      this.batches = batches;
    }

    /**
     * The stages to reconcile; default {@code sent} against {@code processed}.
     *
     * @param upstream the stage every record should have reached first
     * @param downstream the stage the step marks
     * @return this builder
     * @throws NullPointerException if a stage is null
     */
    public Builder stages(Stage upstream, Stage downstream) {
      this.upstream = Arguments.requireNonNull(upstream, "upstream");
      this.downstream = Arguments.requireNonNull(downstream, "downstream");
      return this;
    }

    /**
     * Only logs missing records at WARN; the step's status is left alone.
     *
     * @return this builder
     */
    public Builder warnOnly() {
      this.warnOnly = true;
      return this;
    }

    /**
     * The listener.
     *
     * @return the listener
     */
    public ReconcilingStepListener build() {
      return new ReconcilingStepListener(this);
    }
  }
}
