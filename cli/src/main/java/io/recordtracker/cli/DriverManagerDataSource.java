package io.recordtracker.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource that opens a new connection per call through {@link DriverManager}: enough for one
 * short command, which makes a handful of calls. The library itself never opens a pool; an
 * application passes its own.
 */
final class DriverManagerDataSource implements DataSource {

  private final String url;
  private final Properties credentials = new Properties();
  private volatile int loginTimeoutSeconds;

  DriverManagerDataSource(String url, String user, String password, int loginTimeoutSeconds) {
    this.url = url;
    if (user != null) {
      credentials.setProperty("user", user);
    }
    if (password != null) {
      credentials.setProperty("password", password);
    }
    this.loginTimeoutSeconds = loginTimeoutSeconds;
  }

  @Override
  public Connection getConnection() throws SQLException {
    DriverManager.setLoginTimeout(loginTimeoutSeconds);
    return DriverManager.getConnection(url, credentials);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("credentials are set when the DataSource is built");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {
    this.loginTimeoutSeconds = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("not a wrapper of " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  /** Shows the URL's scheme only: a URL may carry a password in its parameters. */
  @Override
  public String toString() {
    return "DriverManagerDataSource{" + DatabaseOptions.scheme(url) + "…}";
  }
}
