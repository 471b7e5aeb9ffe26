package io.recordtracker.monitor;

import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import java.time.Duration;
import java.util.List;

/** The human-readable pieces alerts share: ranges and durations as people read them. */
final class AlertText {

  private AlertText() {}

  /** The first {@code max} ranges, comma-separated, with "(+N more)" if there are more. */
  static String firstRanges(List<RecordRange> ranges, int max) {
    if (ranges.isEmpty()) {
      return "none";
    }
    StringBuilder s = new StringBuilder();
    int shown = Math.min(max, ranges.size());
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        s.append(", ");
      }
      s.append(ranges.get(i));
    }
    if (ranges.size() > shown) {
      s.append(" (+").append(ranges.size() - shown).append(" more)");
    }
    return s.toString();
  }

  /**
   * The batch's size as alerts say it: "486000 expected", or, for a batch not sealed yet, "an
   * unsealed batch".
   */
  static String size(Reconciliation r) {
    return r.isSealed() ? r.expectedRecords() + " expected" : "an unsealed batch";
  }

  /** A duration as "2d 3h", "1h 5m", "20m", "45s": the two largest units, rounded down. */
  static String duration(Duration d) {
    long seconds = Math.max(0, d.getSeconds());
    long days = seconds / 86_400;
    long hours = seconds % 86_400 / 3_600;
    long minutes = seconds % 3_600 / 60;
    long secs = seconds % 60;
    if (days > 0) {
      return hours > 0 ? days + "d " + hours + "h" : days + "d";
    }
    if (hours > 0) {
      return minutes > 0 ? hours + "h " + minutes + "m" : hours + "h";
    }
    if (minutes > 0) {
      return secs > 0 && minutes < 10 ? minutes + "m " + secs + "s" : minutes + "m";
    }
    return secs + "s";
  }
}
