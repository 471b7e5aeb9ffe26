package io.recordtracker.monitor;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a digest says of a round's events, whatever carries it (a Slack-compatible message, a
 * PagerDuty event): a headline counting them by kind, and one line per event.
 */
final class DigestText {

  private DigestText() {}

  /**
   * "500 findings this round: 480 new, 20 resolved", counting events by kind in the order of {@link
   * DiscrepancyEvent.Kind}.
   */
  static String headline(List<DiscrepancyEvent> events) {
    Map<DiscrepancyEvent.Kind, Integer> counts = new EnumMap<>(DiscrepancyEvent.Kind.class);
    events.forEach(e -> counts.merge(e.kind(), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    counts.forEach((kind, n) -> parts.add(n + " " + word(kind)));
    return events.size()
        + (events.size() == 1 ? " finding" : " findings")
        + " this round: "
        + String.join(", ", parts);
  }

  private static String word(DiscrepancyEvent.Kind kind) {
    switch (kind) {
      case NEW:
        return "new";
      case GROWN:
        return "grown";
      case REMINDER:
        return "still open";
      default:
        return "resolved";
    }
  }

  /**
   * One event as one line: "NEW overdue EDI-1 sent → processed: 101 missing of 486000", "RESOLVED
   * overdue EDI-1 sent → processed", "NEW unreadable BAD-1 sent → processed: cannot be read".
   */
  static String line(DiscrepancyEvent event) {
    Finding f = event.finding();
    String head =
        event.kind()
            + " "
            + f.kind().name().toLowerCase(Locale.ROOT)
            + " "
            + f.batchId()
            + " "
            + f.upstream()
            + " → "
            + f.downstream();
    if (event.kind() == DiscrepancyEvent.Kind.RESOLVED) {
      return head;
    }
    if (f.kind() == Finding.Kind.UNREADABLE) {
      return head + ": cannot be read";
    }
    long missing = f.reconciliation().missingCount();
    long absent = f.reconciliation().absentUpstreamCount();
    return head
        + ": "
        + (missing > 0 || absent == 0 ? missing + " missing" : absent + " never " + f.upstream())
        + (f.reconciliation().isSealed() ? " of " + f.reconciliation().expectedRecords() : "");
  }
}
