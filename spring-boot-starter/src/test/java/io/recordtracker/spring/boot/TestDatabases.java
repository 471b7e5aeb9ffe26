package io.recordtracker.spring.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The test databases: a fresh in-memory H2 per call, and one embedded PostgreSQL per JVM. */
final class TestDatabases {

  private static final AtomicInteger H2_DATABASES = new AtomicInteger();

  private TestDatabases() {}

  /** The JDBC URL of a new, empty in-memory H2 database that lives until the JVM exits. */
  static String newH2Url() {
    return "jdbc:h2:mem:starter" + H2_DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
  }

  /** The JDBC URL of the embedded PostgreSQL (shared: tests find their batches by their ids). */
  static String postgresUrl() {
    return EmbeddedPg.INSTANCE.getJdbcUrl("postgres", "postgres");
  }

  /** The URL of the database {@code kind} names: "h2" (a new one) or "postgres". */
  static String url(String kind) {
    return kind.equals("h2") ? newH2Url() : postgresUrl();
  }

  /**
   * A plain DataSource on {@code url}, with H2's user as Spring Boot connects to it ({@code sa}),
   * so that it opens the database an auto-configured pool created.
   */
  static DataSource dataSource(String url) {
    return url.startsWith("jdbc:h2:")
        ? new DriverManagerDataSource(url, "sa", "")
        : new DriverManagerDataSource(url);
  }

  /** One embedded PostgreSQL per JVM, started on first use and stopped when the JVM exits. */
  private static final class EmbeddedPg {
    static final EmbeddedPostgres INSTANCE = start();

    private static EmbeddedPostgres start() {
      try {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        pg.close();
                      } catch (IOException ignored) {
                        // the JVM is exiting
                      }
                    }));
        return pg;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
  }

  /**
   * A DataSource that the test switches to failing: while failing, every connection request throws,
   * as while the database is stopped or unreachable.
   */
  static final class SwitchableDataSource implements DataSource {
    static final String FAILURE = "database switched off by the test";

    private final DataSource delegate;
    private volatile boolean failing;

    SwitchableDataSource(DataSource delegate) {
      this.delegate = delegate;
    }

    void failing(boolean failing) {
      this.failing = failing;
    }

    @Override
    public Connection getConnection() throws SQLException {
      check();
      return delegate.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      check();
      return delegate.getConnection(user, password);
    }

    private void check() throws SQLException {
      if (failing) {
        throw new SQLException(FAILURE, "08001");
      }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return delegate.isWrapperFor(iface);
    }
  }
}
