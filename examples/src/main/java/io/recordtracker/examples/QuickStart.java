package io.recordtracker.examples;

import com.zaxxer.hikari.HikariDataSource;
import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.ResendPlan;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.sql.Connection;
import java.util.Map;

/** The README's quick start: one batch sent, partly processed, reconciled to what to resend. */
public final class QuickStart {
  /** Prints {@code resend [244000-246999]: 3000 records}: those sent and never processed. */
  public static void main(String[] args) throws Exception {
    try (HikariDataSource dataSource = new HikariDataSource()) {
      dataSource.setJdbcUrl("jdbc:h2:mem:quickstart"); // or jdbc:postgresql://db:5432/cis ...
      JdbcTrackerStore store = JdbcTrackerStore.builder(dataSource).build(); // creates rt_* tables
      try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
        // EDI, send path: declare the batch before the file leaves, mark what the transport took.
        BatchId batch = BatchId.generate(); // stamp it into the file header
        tracker.openBatch(batch, 486_000, Map.of("file", "customers-2019-06-07.edi"));
        tracker.markSent(batch, RecordRange.of(0, 485_999));

        // CIS, processing path: mark records as they are processed...
        tracker.markProcessed(batch, RecordRange.of(0, 243_999));
        // ...or in the transaction of the work itself: both commit, or neither does.
        try (Connection c = dataSource.getConnection()) {
          c.setAutoCommit(false);
          // your work on c here, then:
          store.markWithin(c, batch, Stage.PROCESSED, RecordRange.of(247_000, 485_999));
          c.commit();
        }

        // Reconciliation job: what was sent and never processed? A plan for the sender, which
        // resends the records of its original file that plan.includes(recordNumber).
        ResendPlan plan = tracker.reconcile(batch).resendPlan();
        System.out.println("resend " + plan.ranges() + ": " + plan.recordCount() + " records");
      }
    }
  }
}
