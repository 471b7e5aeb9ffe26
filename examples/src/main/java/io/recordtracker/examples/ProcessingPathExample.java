package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The processing path (CIS) when the business data lives in the same database as the tracker:
 * {@link JdbcTrackerStore#markWithin} writes the processed marks inside the business transaction,
 * so a rolled-back transaction rolls its marks back too, and reconciliation names exactly the
 * records whose work never committed. Run: {@code java -cp examples/target/incident-replay.jar
 * io.recordtracker.examples.ProcessingPathExample}
 */
public final class ProcessingPathExample {
  private ProcessingPathExample() {}

  /**
   * Processes 1,000 records in transactions of 100; the transaction of 300-399 fails.
   *
   * @param args none
   * @throws SQLException if the embedded database fails
   */
  public static void main(String[] args) throws SQLException {
    DataSource db = new DriverManagerDataSource("jdbc:h2:mem:cis;DB_CLOSE_DELAY=-1");
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS customer (id VARCHAR(40) PRIMARY KEY, name VARCHAR(100))");
    }
    JdbcTrackerStore store = JdbcTrackerStore.builder(db).tablePrefix("rt_").build();
    try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
      BatchId batch = BatchId.generate();
      tracker.openBatch(batch, 1_000);
      tracker.markSent(batch, RecordRange.of(0, 999)); // what EDI did

      for (int first = 0; first < 1_000; first += 100) {
        RecordRange range = RecordRange.of(first, first + 99);
        try (Connection c = db.getConnection()) {
          c.setAutoCommit(false);
          try {
            saveCustomers(c, batch, range);
            store.markWithin(c, batch, Stage.PROCESSED, range); // same transaction
            if (first == 300) {
              throw new SQLException("deadlock detected (simulated)");
            }
            c.commit(); // the customers and their marks, together
          } catch (SQLException e) {
            c.rollback(); // the customers and their marks, together
            System.out.println("transaction " + range + " rolled back: " + e.getMessage());
          }
        }
      }

      Reconciliation r = tracker.reconcile(batch);
      System.out.println("missing: " + r.missing()); // [300-399]: exactly the rolled-back work
      System.out.println(r.toJson());
    }
  }

  private static void saveCustomers(Connection c, BatchId batch, RecordRange range)
      throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement("INSERT INTO customer (id, name) VALUES (?, ?)")) {
      for (int r = range.first(); r <= range.last(); r++) {
        insert.setString(1, batch + "/" + r);
        insert.setString(2, "customer " + r);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }
}
