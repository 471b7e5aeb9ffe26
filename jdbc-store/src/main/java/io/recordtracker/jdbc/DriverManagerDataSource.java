package io.recordtracker.jdbc;

import static io.recordtracker.internal.Arguments.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that opens a new connection on every call through {@link DriverManager}: no
 * pool. Enough for a short command, a test or an example, which make a handful of calls; an
 * application passes the pool it already has (HikariCP or its container's), since the store borrows
 * a connection for every operation.
 *
 * <p>A login timeout set with {@link #setLoginTimeout(int)} is applied through {@link
 * DriverManager#setLoginTimeout(int)}, which is global to the JVM, before each connection is
 * opened. Thread-safe.
 */
public final class DriverManagerDataSource implements PlainDataSource {

  private final String url;
  private final Properties credentials = new Properties();
  private volatile int loginTimeoutSeconds;

  /**
   * A DataSource connecting to {@code url} with the driver's defaults (or the user and password the
   * URL carries).
   *
   * @param url a JDBC URL, such as {@code jdbc:postgresql://localhost:5432/app}
   */
  public DriverManagerDataSource(String url) {
    this(url, null, null);
  }

  /**
   * A DataSource connecting to {@code url} as {@code user}.
   *
   * @param url a JDBC URL, such as {@code jdbc:postgresql://localhost:5432/app}
   * @param user the user, or null for the driver's default
   * @param password the password, or null for none
   */
  public DriverManagerDataSource(String url, String user, String password) {
    this.url = requireNonNull(url, "url");
    if (user != null) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
  }

  /** Opens a new connection; closing it closes it (nothing is pooled). */
  @Override
  public Connection getConnection() throws SQLException {
    int timeout = loginTimeoutSeconds;
    if (timeout > 0) {
      DriverManager.setLoginTimeout(timeout);
    }
    return DriverManager.getConnection(url, credentials);
  }

  /** Opens a new connection as {@code username}, instead of the user this was built with. */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return DriverManager.getConnection(url, username, password);
  }

  /**
   * How long to wait for the database to accept a connection, in seconds; 0 (the default) leaves
   * {@link DriverManager}'s setting alone.
   */
  @Override
  public void setLoginTimeout(int seconds) {
    if (seconds < 0) {
      throw new IllegalArgumentException("login timeout must not be negative: " + seconds);
    }
    this.loginTimeoutSeconds = seconds;
  }

  /** The login timeout in seconds; 0 if none was set. */
  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  /** Shows the URL's scheme only ({@code jdbc:postgresql:…}): a URL may carry a password. */
  @Override
  public String toString() {
    return "DriverManagerDataSource{" + scheme(url) + "…}";
  }

  /** The part of a URL that says which database it is, without host, user or parameters. */
  static String scheme(String url) {
    int colon = url.indexOf(':', url.startsWith("jdbc:") ? 5 : 0);
    return colon < 0
        ? (url.length() > 12 ? url.substring(0, 12) : url)
        : url.substring(0, colon + 1);
  }
}
