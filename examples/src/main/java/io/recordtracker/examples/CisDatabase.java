package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CIS's own data in the same database as the tracker: each worker keeps one connection, inserts a
 * customer row per record, and at each commit marks the transaction's records processed with {@link
 * JdbcTrackerStore#markWithin(Connection, BatchId, Stage, int[])} before committing. The rows and
 * their marks commit together or not at all: when the patch restarts a worker, its connection
 * closes, its open transaction rolls back, and its records are neither saved nor marked.
 */
final class CisDatabase implements CisProcessor.Committer {
  private static final Logger log = LoggerFactory.getLogger("CIS");
  private static final int MAX_ATTEMPTS = 3;

  private final DataSource dataSource;
  private final JdbcTrackerStore store;
  private final String table;

  CisDatabase(DataSource dataSource, JdbcTrackerStore store, String tablePrefix) {
    this.dataSource = dataSource;
    this.store = store;
    this.table = tablePrefix + "cis_customer";
  }

  /** Creates the customer table if it is missing. */
  CisDatabase createTable() throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (batch_id VARCHAR(128) NOT NULL, record_no INT NOT NULL,"
              + " customer_id VARCHAR(16) NOT NULL, name VARCHAR(64) NOT NULL,"
              + " city VARCHAR(32) NOT NULL, amount DECIMAL(12, 2) NOT NULL,"
              + " PRIMARY KEY (batch_id, record_no))");
    }
    return this;
  }

  /** The records of {@code batch} whose customer row is saved. */
  RoaringBitmap savedRecords(BatchId batch) throws SQLException {
    RoaringBitmap saved = new RoaringBitmap();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT record_no FROM " + table + " WHERE batch_id = ?")) {
      ps.setString(1, batch.value());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          saved.add(rs.getInt(1));
        }
      }
    }
    return saved;
  }

  /** Deletes the customer rows of {@code batches}, whose tracking was purged. */
  void delete(Collection<BatchId> batches) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE batch_id = ?")) {
      for (BatchId batch : batches) {
        ps.setString(1, batch.value());
        ps.executeUpdate();
      }
    }
  }

  @Override
  public Session open() throws SQLException {
    return open(false);
  }

  /**
   * A committer for a file that repeats records already saved (the whole file resent): a record
   * whose customer row exists has its amount posted again, as a CIS without idempotency does, and
   * is marked processed again; a new one is inserted.
   */
  CisProcessor.Committer reapplying() {
    return () -> open(true);
  }

  private Session open(boolean reapply) throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO "
                  + table
                  + " (batch_id, record_no, customer_id, name, city, amount)"
                  + " VALUES (?, ?, ?, ?, ?, ?)");
      return new WorkerSession(c, insert, reapply);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private final class WorkerSession implements Session {
    private final Connection connection;
    private final PreparedStatement insert;
    private final List<Integer> pendingRecords = new ArrayList<>();
    private final List<String> pendingLines = new ArrayList<>();
    private final boolean reapply;

    WorkerSession(Connection connection, PreparedStatement insert, boolean reapply) {
      this.connection = connection;
      this.insert = insert;
      this.reapply = reapply;
    }

    @Override
    public void add(BatchId batch, int record, String line) throws SQLException {
      if (!reapply) {
        bind(batch, record, line);
      }
      pendingRecords.add(record);
      pendingLines.add(line);
    }

    /** Posts the pending records again where their rows exist, inserts the others. */
    private void reapply(BatchId batch) throws SQLException {
      // The saved rows in the span of the pending records: one range scan of the primary key.
      java.util.Set<Integer> existing = new java.util.HashSet<>();
      int low = pendingRecords.stream().mapToInt(Integer::intValue).min().orElse(0);
      int high = pendingRecords.stream().mapToInt(Integer::intValue).max().orElse(-1);
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT record_no FROM "
                  + table
                  + " WHERE batch_id = ? AND record_no BETWEEN ? AND ?")) {
        ps.setString(1, batch.value());
        ps.setInt(2, low);
        ps.setInt(3, high);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            existing.add(rs.getInt(1));
          }
        }
      }
      try (PreparedStatement post =
          connection.prepareStatement(
              "UPDATE "
                  + table
                  + " SET amount = amount + ? WHERE batch_id = ? AND record_no = ?")) {
        insert.clearBatch();
        for (int i = 0; i < pendingRecords.size(); i++) {
          int record = pendingRecords.get(i);
          String line = pendingLines.get(i);
          if (existing.contains(record)) {
            post.setBigDecimal(1, new BigDecimal(line.split("\\|", -1)[5]));
            post.setString(2, batch.value());
            post.setInt(3, record);
            post.addBatch();
          } else {
            bind(batch, record, line);
          }
        }
        post.executeBatch();
      }
    }

    private void bind(BatchId batch, int record, String line) throws SQLException {
      // REC|<stamp>|<customer id>|<name>|<city>|<amount>
      String[] f = line.split("\\|", -1);
      insert.setString(1, batch.value());
      insert.setInt(2, record);
      insert.setString(3, f[2]);
      insert.setString(4, f[3]);
      insert.setString(5, f[4]);
      insert.setBigDecimal(6, new BigDecimal(f[5]));
      insert.addBatch();
    }

    @Override
    public void commit(BatchId batch, int[] records) throws SQLException {
      for (int attempt = 1; ; attempt++) {
        try {
          if (reapply) {
            reapply(batch);
          }
          insert.executeBatch();
          store.markWithin(connection, batch, Stage.PROCESSED, records); // same transaction
          connection.commit(); // the customers and their marks, together
          pendingRecords.clear();
          pendingLines.clear();
          return;
        } catch (SQLException | RuntimeException e) {
          connection.rollback(); // the customers and their marks, together
          if (attempt == MAX_ATTEMPTS || !isTransient(e)) {
            throw e;
          }
          // What any CIS does on a deadlock or a conflicting concurrent insert: run it again.
          log.warn(
              "Transaction of {} records rolled back ({}); retrying, attempt {} of {}",
              records.length,
              e.getMessage(),
              attempt + 1,
              MAX_ATTEMPTS);
          insert.clearBatch();
          if (!reapply) {
            for (int i = 0; i < pendingRecords.size(); i++) {
              bind(batch, pendingRecords.get(i), pendingLines.get(i));
            }
          }
        }
      }
    }

    @Override
    public void close() throws SQLException {
      try {
        insert.close();
        connection.rollback(); // whatever was not committed, rows and marks alike
      } finally {
        connection.close();
      }
    }
  }

  /** A constraint conflict (SQLState class 23) or a serialization failure or deadlock (40). */
  private static boolean isTransient(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("23") || state.startsWith("40")) {
          return true;
        }
      }
    }
    return false;
  }
}
