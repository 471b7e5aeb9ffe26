package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.FlakyStore;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.SettableClock;
import io.recordtracker.TestTrackers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Slf4jDiscrepancyListenerTest {

  @Test
  void default_listener_logs_one_warn_line_per_finding_and_one_info_line_on_resolution() {
    SettableClock clock = new SettableClock(Instant.parse("2020-08-23T11:00:00Z"));
    try (RecordTracker tracker =
        RecordTracker.builder().clock(clock).flushInterval(Duration.ofHours(1)).build()) {
      BatchId id = BatchId.of("B-1");
      Map<String, String> attributes = new LinkedHashMap<>();
      attributes.put("file", "customers.edi");
      attributes.put("customer", "acme");
      tracker.openBatch(id, 10_000, attributes);
      tracker.markSent(id, RecordRange.of(0, 9_999));
      tracker.markProcessed(id, RecordRange.of(0, 999));
      tracker.markProcessed(id, RecordRange.of(1_003, 9_999));
      tracker.flush();
      CompletenessMonitor monitor = CompletenessMonitor.builder(tracker).build(); // default
      clock.advance(Duration.ofMinutes(16));

      String first = captureStderr(monitor::runOnce);
      tracker.markProcessed(id, RecordRange.of(1_000, 1_002));
      tracker.flush();
      String second = captureStderr(monitor::runOnce);

      List<String> warn = first.lines().filter(l -> l.contains("Discrepancies")).toList();
      assertThat(warn).hasSize(1);
      assertThat(warn.get(0))
          .contains(
              "WARN io.recordtracker.monitor.Discrepancies - NEW OVERDUE: batch B-1"
                  + " sent->processed overdue by 1m: missing=3 absentUpstream=0 unexpected=0 of"
                  + " 10000 expected; missing ranges: 1000-1002; absent upstream: none;"
                  + " attributes={file=customers.edi, customer=acme}");
      List<String> info = second.lines().filter(l -> l.contains("Discrepancies")).toList();
      assertThat(info).hasSize(1);
      assertThat(info.get(0))
          .contains(
              "INFO io.recordtracker.monitor.Discrepancies - Resolved: batch B-1 sent->processed"
                  + " is complete (10000 records; 3 were missing when last reported)"
                  + " attributes={file=customers.edi, customer=acme}");
    }
  }

  @Test
  void unreadable_batch_is_logged_at_error_with_the_cause_and_its_resolution_at_info() {
    SettableClock clock = new SettableClock(Instant.parse("2020-08-23T11:00:00Z"));
    FlakyStore store = new FlakyStore();
    try (RecordTracker tracker = TestTrackers.flushingOnRequest(store, clock)) {
      BatchId id = BatchId.of("B-9");
      tracker.openBatch(id, 100, Map.of("file", "corrupt.edi"));
      tracker.markSent(id, RecordRange.of(0, 99));
      tracker.markProcessed(id, RecordRange.of(0, 99));
      tracker.flush();
      store.unreadable.add(id);
      CompletenessMonitor monitor = CompletenessMonitor.builder(tracker).build(); // default
      clock.advance(Duration.ofMinutes(16));

      String first = captureStderr(monitor::runOnce);
      store.unreadable.clear();
      String second = captureStderr(monitor::runOnce);

      assertThat(first.lines().filter(l -> l.contains("Discrepancies")).toList())
          .singleElement()
          .asString()
          .contains(
              "ERROR io.recordtracker.monitor.Discrepancies - NEW UNREADABLE: batch B-9"
                  + " sent->processed cannot be read, so whether records are missing is unknown:"
                  + " stored marks of batch B-9, stage sent are corrupt (simulated);"
                  + " attributes={file=corrupt.edi}");
      assertThat(second.lines().filter(l -> l.contains("Discrepancies")).toList())
          .singleElement()
          .asString()
          .contains(
              "INFO io.recordtracker.monitor.Discrepancies - Resolved: batch B-9 sent->processed"
                  + " is no longer unreadable (it can be read again, or was purged)"
                  + " attributes={file=corrupt.edi}");
    }
  }

  static String captureStderr(Runnable action) {
    PrintStream err = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
      action.run();
    } finally {
      System.setErr(err);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
