package io.recordtracker.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** What happened when, as in the postmortem's timeline, with real times. Thread-safe. */
final class Timeline {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  record Entry(Instant at, String what) {}

  private final Instant start = Instant.now();
  private final List<Entry> entries = new ArrayList<>();

  /** Notes that {@code what} happened now. */
  synchronized void note(String what) {
    entries.add(new Entry(Instant.now(), what));
  }

  /** Notes that {@code what} happened at {@code at}; entries print in time order. */
  synchronized void note(Instant at, String what) {
    entries.add(new Entry(at, what));
    entries.sort(java.util.Comparator.comparing(Entry::at));
  }

  synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** Prints the timeline as a markdown table: UTC time, time since start, what happened. */
  synchronized void print(PrintStream out) {
    out.println("| Time (UTC)   | Elapsed  | Description |");
    out.println("| ------------ | -------- | ----------- |");
    for (Entry e : entries) {
      Duration elapsed = Duration.between(start, e.at());
      out.printf("| %s | %7.3fs | %s |%n", TIME.format(e.at()), elapsed.toNanos() / 1e9, e.what());
    }
  }
}
