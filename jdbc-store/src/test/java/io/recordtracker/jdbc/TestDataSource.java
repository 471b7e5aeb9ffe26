package io.recordtracker.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * A DataSource for tests: every new connection first runs the given session statements (a session
 * time zone other than the JVM's), and {@link #down(boolean)} makes it refuse connections as an
 * unreachable database would.
 */
final class TestDataSource implements PlainDataSource {

  private final DataSource target;
  private final List<String> sessionSql;
  private volatile boolean down;

  TestDataSource(DataSource target, List<String> sessionSql) {
    this.target = target;
    this.sessionSql = sessionSql;
  }

  /** While true, getConnection fails with SQLState 08001 (connection refused). */
  void down(boolean down) {
    this.down = down;
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (down) {
      throw new SQLNonTransientConnectionException(
          "Connection to 127.0.0.1 refused (test outage)", "08001");
    }
    Connection c = target.getConnection();
    try (Statement s = c.createStatement()) {
      for (String sql : sessionSql) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }
}
