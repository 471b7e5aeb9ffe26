package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the dashboard shows of one batch: its stages in order (sent first, processed last, custom
 * stages between), the reconciliation of each consecutive pair (a hop), its state and timeline.
 */
final class BatchView {

  final BatchInfo info;
  final List<Stage> stages;
  final List<Reconciliation> hops;
  final String state;

  private BatchView(BatchInfo info, List<Stage> stages, List<Reconciliation> hops, String state) {
    this.info = info;
    this.stages = stages;
    this.hops = hops;
    this.state = state;
  }

  /** Records marked at stage {@code i}: reached upstream of hop i, or downstream of the last. */
  long records(int i) {
    if (i < hops.size()) {
      return hops.get(i).expectedRecords() - hops.get(i).absentUpstreamCount();
    }
    Reconciliation last = hops.get(hops.size() - 1);
    return records(i - 1) - last.missingCount() + last.unexpectedCount();
  }

  /** Sent first, processed last, custom stages between in name order. */
  private static List<Stage> stages(BatchInfo b) {
    TreeSet<Stage> custom = new TreeSet<>(b.lastMarkedAt().keySet());
    custom.remove(Stage.SENT);
    custom.remove(Stage.PROCESSED);
    List<Stage> stages = new ArrayList<>();
    stages.add(Stage.SENT);
    stages.addAll(custom);
    stages.add(Stage.PROCESSED);
    return stages;
  }

  /**
   * The view of {@code b} as {@code tracker} reads it, reusing {@code endToEnd} (sent -> processed,
   * or null) if it is a hop; {@code window} is how recent a mark makes it in flight.
   */
  static BatchView of(
      RecordTracker tracker, Duration window, BatchInfo b, Reconciliation endToEnd) {
    List<Stage> stages = stages(b);
    List<Reconciliation> hops = new ArrayList<>();
    for (int i = 0; i + 1 < stages.size(); i++) {
      hops.add(
          endToEnd != null && stages.size() == 2
              ? endToEnd
              : tracker.reconcile(b.id(), stages.get(i), stages.get(i + 1)));
    }
    return new BatchView(b, stages, hops, state(tracker, window, b));
  }

  /**
   * complete; abandoned (a team closed it, not complete); opened (nothing marked yet); in flight
   * (marked within the window, as the gate counts it); stalled (marked before the window, not
   * complete).
   */
  private static String state(RecordTracker tracker, Duration window, BatchInfo b) {
    if (b.isComplete()) {
      return "complete";
    }
    if (b.isAbandoned()) {
      return "abandoned";
    }
    Instant last = null;
    for (Instant at : b.lastMarkedAt().values()) {
      last = last == null || at.isAfter(last) ? at : last;
    }
    if (last == null) {
      return "opened";
    }
    return last.isAfter(tracker.clock().instant().minus(window)) ? "in flight" : "stalled";
  }

  /** Writes the batch, its state, its stages and its hops. */
  void writeJson(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeFieldName("batch");
    Render.writeBatch(g, info);
    g.writeStringField("state", state);
    g.writeArrayFieldStart("stages");
    for (int i = 0; i < stages.size(); i++) {
      g.writeStartObject();
      g.writeStringField("stage", stages.get(i).name());
      g.writeNumberField("records", records(i));
      g.writeStringField(
          "lastMarkedAt", info.lastMarkedAt(stages.get(i)).map(Instant::toString).orElse(null));
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeArrayFieldStart("hops");
    for (int i = 0; i < hops.size(); i++) {
      Reconciliation r = hops.get(i);
      g.writeStartObject();
      g.writeStringField("upstream", r.upstream().name());
      g.writeStringField("downstream", r.downstream().name());
      g.writeNumberField("upstreamRecords", records(i));
      g.writeNumberField("downstreamRecords", records(i + 1));
      g.writeNumberField("missing", r.missingCount());
      g.writeNumberField("absentUpstream", r.absentUpstreamCount());
      g.writeNumberField("unexpected", r.unexpectedCount());
      g.writeBooleanField("complete", r.isComplete());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** Opened, last marked per stage, completed, abandoned: in time order. */
  Map<String, Instant> timeline() {
    List<Map.Entry<String, Instant>> events = new ArrayList<>();
    events.add(Map.entry("opened", info.openedAt()));
    for (Stage s : stages) {
      info.lastMarkedAt(s).ifPresent(at -> events.add(Map.entry("last marked " + s, at)));
    }
    info.completedAt().ifPresent(at -> events.add(Map.entry("complete", at)));
    info.abandonedAt().ifPresent(at -> events.add(Map.entry("abandoned", at)));
    events.sort(Map.Entry.comparingByValue());
    Map<String, Instant> ordered = new LinkedHashMap<>();
    events.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return ordered;
  }
}
