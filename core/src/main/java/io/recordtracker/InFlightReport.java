package io.recordtracker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The batches in flight and why: {@link RecordTracker#inFlightReport(java.time.Duration)}'s answer.
 * A batch whose marks cannot be read (corrupt or inconsistent stored marks) is counted in flight,
 * since whether it is complete cannot be told, and {@link #unreadable()} says why. Immutable.
 */
public final class InFlightReport {

  private static final int IDS_SHOWN = 10;

  private final List<BatchInfo> batches;
  private final Map<BatchId, String> unreadable;

  /**
   * A report of {@code batches} in flight, of which those in {@code unreadable} could not be read,
   * with why.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if an unreadable batch is not among {@code batches}
   */
  public InFlightReport(List<BatchInfo> batches, Map<BatchId, String> unreadable) {
    Objects.requireNonNull(batches, "batches must not be null");
    Objects.requireNonNull(unreadable, "unreadable must not be null");
    this.batches = List.copyOf(batches);
    for (BatchId id : unreadable.keySet()) {
      if (this.batches.stream().noneMatch(b -> b.id().equals(id))) {
        throw new IllegalArgumentException("unreadable batch " + id + " is not among the batches");
      }
    }
    this.unreadable = Collections.unmodifiableMap(new LinkedHashMap<>(unreadable));
  }

  /**
   * Every batch in flight, the unreadable ones included: what {@link
   * RecordTracker#inFlight(java.time.Duration)} returns.
   */
  public List<BatchInfo> batches() {
    return batches;
  }

  /**
   * The batches counted in flight because their marks could not be read, each with why (the store's
   * message), in the order of {@link #batches()}.
   */
  public Map<BatchId, String> unreadable() {
    return unreadable;
  }

  /** Whether nothing is in flight: maintenance may start. */
  public boolean isEmpty() {
    return batches.isEmpty();
  }

  /**
   * What this report says, for a person: "nothing in flight", or how many batches are in flight,
   * the first ten ids, and for each unreadable one "batch X unreadable: why".
   */
  public String describe() {
    if (batches.isEmpty()) {
      return "nothing in flight";
    }
    StringBuilder s = new StringBuilder();
    s.append(batches.size()).append(batches.size() == 1 ? " batch" : " batches");
    s.append(" in flight: ");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < Math.min(IDS_SHOWN, batches.size()); i++) {
      ids.add(batches.get(i).id().value());
    }
    s.append(String.join(", ", ids));
    if (batches.size() > IDS_SHOWN) {
      s.append(" (+").append(batches.size() - IDS_SHOWN).append(" more)");
    }
    unreadable.forEach(
        (id, why) -> s.append("; batch ").append(id).append(" unreadable: ").append(why));
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InFlightReport
        && batches.equals(((InFlightReport) o).batches)
        && unreadable.equals(((InFlightReport) o).unreadable);
  }

  @Override
  public int hashCode() {
    return Objects.hash(batches, unreadable);
  }

  /** As {@link #describe()}. */
  @Override
  public String toString() {
    return describe();
  }
}
