package io.recordtracker.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds every blocking read on a connection the store borrows, with JDBC {@code
 * setNetworkTimeout}, for as long as the store holds it.
 *
 * <p>The statement's {@code setQueryTimeout} alone does not bound a frozen network (the peer stops
 * answering, nothing resets the connection): the driver sends its cancel over a new connection, and
 * the frozen socket's read blocks for as long as the freeze lasts, taking a tracker's flusher and
 * every {@code flush()} caller with it. A network timeout makes that read fail; the driver then
 * drops the connection, so a pool discards it. The timeout is the query timeout plus {@link
 * #MARGIN_MILLIS}, so that a statement cancelled at the query timeout still reports that (with its
 * connection intact) rather than a lost connection. A tighter timeout the connection already has is
 * kept, and the previous value is restored before the connection goes back to the pool.
 */
final class NetworkTimeout {

  /** Added to the query timeout: time for the driver's cancel to take effect and be reported. */
  static final int MARGIN_MILLIS = 5_000;

  /** What {@link #apply} returns when it left the connection's timeout as it was. */
  static final int UNCHANGED = -1;

  private static final Logger log = LoggerFactory.getLogger(NetworkTimeout.class);

  /**
   * The executor every store hands to {@code setNetworkTimeout}: one daemon thread at most, and
   * none while idle. Most drivers (PostgreSQL, MariaDB) never use it; MySQL Connector/J runs the
   * change of the socket timeout on it.
   */
  private static final ThreadPoolExecutor EXECUTOR = executor();

  /** Connection classes whose driver rejected network timeouts, each logged once and skipped. */
  private static final Set<String> UNSUPPORTED = ConcurrentHashMap.newKeySet();

  private final int millis;

  /** A network timeout of {@code queryTimeoutSeconds} plus {@link #MARGIN_MILLIS}. */
  NetworkTimeout(int queryTimeoutSeconds) {
    this.millis = (int) Math.min(Integer.MAX_VALUE, queryTimeoutSeconds * 1000L + MARGIN_MILLIS);
  }

  /** The timeout this sets, in milliseconds. */
  int millis() {
    return millis;
  }

  /**
   * Sets the timeout on {@code c}, unless it has a tighter one or its driver does not support
   * network timeouts (logged once per connection class at DEBUG; the store then relies on the query
   * timeout alone).
   *
   * @return the timeout to {@link #restore}, or {@link #UNCHANGED}
   * @throws SQLException if the connection fails (it is broken: the caller's work would fail too)
   */
  int apply(Connection c) throws SQLException {
    String type = c.getClass().getName();
    if (UNSUPPORTED.contains(type)) {
      return UNCHANGED;
    }
    try {
      int previous = c.getNetworkTimeout();
      if (previous > 0 && previous <= millis) {
        return UNCHANGED;
      }
      c.setNetworkTimeout(EXECUTOR, millis);
      return previous;
    } catch (SQLFeatureNotSupportedException
        | UnsupportedOperationException
        | AbstractMethodError e) {
      if (UNSUPPORTED.add(type)) {
        log.debug(
            "{} does not support network timeouts ({}); a frozen connection is bounded only by"
                + " the driver's own socket timeout",
            type,
            e.toString());
      }
      return UNCHANGED;
    }
  }

  /**
   * Puts back the timeout {@link #apply} replaced, before {@code c} returns to its pool. A broken
   * connection is left as it is: closing it is all that is left.
   */
  void restore(Connection c, int previous) {
    if (previous == UNCHANGED) {
      return;
    }
    try {
      if (!c.isClosed()) {
        c.setNetworkTimeout(EXECUTOR, previous);
      }
    } catch (SQLException | RuntimeException e) {
      log.debug("Could not restore the network timeout of a connection: {}", e.toString());
    }
  }

  private static ThreadPoolExecutor executor() {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            runnable -> {
              Thread t = new Thread(runnable, "record-tracker-jdbc-network-timeout");
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }
}
