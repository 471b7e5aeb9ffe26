package io.recordtracker.spring.boot;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.InFlightReport;
import io.recordtracker.MaintenanceGate;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.internal.Arguments;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The read-only actuator endpoint {@code recordtracker}:
 *
 * <ul>
 *   <li>{@code GET /actuator/recordtracker}: the incomplete batches (the newest {@value
 *       #INCOMPLETE_SHOWN}), the batches in flight with the unreadable ones and why, and the
 *       maintenance gate's status;
 *   <li>{@code GET /actuator/recordtracker/{batchId}}: the batch's reconciliation of {@code sent}
 *       against {@code processed}, as its JSON report, and the resend plan of its missing records;
 *       404 for a batch that does not exist.
 * </ul>
 *
 * Nothing here writes, except that a reconciliation finding a batch complete records its completion
 * time, as every reconciliation does.
 */
@Endpoint(id = "recordtracker")
public class RecordTrackerEndpoint {

  /** How many incomplete batches the summary lists at most. */
  public static final int INCOMPLETE_SHOWN = 100;

  private final RecordTracker tracker;
  private final MaintenanceGate gate;

  /**
   * An endpoint over {@code tracker}, with {@code gate} for what is in flight.
   *
   * @param tracker the tracker
   * @param gate the maintenance gate
   * @throws NullPointerException if an argument is null
   */
  public RecordTrackerEndpoint(RecordTracker tracker, MaintenanceGate gate) {
    this.tracker = Arguments.requireNonNull(tracker, "tracker");
    this.gate = Arguments.requireNonNull(gate, "gate");
  }

  /**
   * The incomplete batches, the batches in flight and the gate's status.
   *
   * @return {@code incomplete} (batches), {@code inFlight} (batches), {@code unreadable} (batch id
   *     to why) and {@code gate} (the status text)
   */
  @ReadOperation
  public Map<String, Object> summary() {
    List<BatchInfo> incomplete =
        tracker.batches(BatchQuery.builder().incompleteOnly().limit(INCOMPLETE_SHOWN).build());
    InFlightReport inFlight = gate.inFlightReport();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("incomplete", describe(incomplete));
    out.put("inFlight", describe(inFlight.batches()));
    Map<String, String> unreadable = new LinkedHashMap<>();
    inFlight.unreadable().forEach((id, why) -> unreadable.put(id.value(), why));
    out.put("unreadable", unreadable);
    out.put("gate", inFlight.describe());
    return out;
  }

  /**
   * The reconciliation of batch {@code batchId} ({@code sent} against {@code processed}) and the
   * resend plan of its missing records, each in its JSON report's schema.
   *
   * @param batchId the batch id
   * @return {@code reconciliation} and {@code resendPlan}; null (404) if there is no such batch
   */
  @ReadOperation
  public Map<String, Object> batch(@Selector String batchId) {
    Reconciliation r;
    try {
      r = tracker.reconcile(BatchId.of(batchId));
    } catch (UnknownBatchException e) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("reconciliation", JsonTree.parse(r.toJson()));
    out.put("resendPlan", JsonTree.parse(r.resendPlan().toJson()));
    return out;
  }

  private static List<Map<String, Object>> describe(List<BatchInfo> batches) {
    List<Map<String, Object>> out = new ArrayList<>(batches.size());
    for (BatchInfo b : batches) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", b.id().value());
      m.put("expectedRecords", b.expectedRecords());
      m.put("openedAt", b.openedAt().toString());
      m.put("attributes", b.attributes());
      Map<String, String> marked = new LinkedHashMap<>();
      b.lastMarkedAt().forEach((stage, at) -> marked.put(stage.name(), at.toString()));
      m.put("lastMarkedAt", marked);
      b.completedAt().ifPresent(at -> m.put("completedAt", at.toString()));
      out.add(m);
    }
    return out;
  }
}
