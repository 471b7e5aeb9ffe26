package io.recordtracker.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.sql.DataSource;

/**
 * A connection pool of the simplest kind: closing a borrowed connection puts it back, and the next
 * borrower gets it unchecked (as from a real pool whose validation passed just before the network
 * froze); a connection its driver closed is dropped. It notes every connection given back with a
 * network timeout other than the one it had when it was opened.
 */
final class SimplePool implements PlainDataSource, AutoCloseable {

  private record Pooled(Connection physical, int networkTimeoutMillis) {}

  private final DataSource target;
  private final Deque<Pooled> idle = new ConcurrentLinkedDeque<>();
  private final List<String> changedTimeouts = new ArrayList<>(); // guarded by itself

  SimplePool(DataSource target) {
    this.target = target;
  }

  /** Connections given back with a network timeout other than their own, described. */
  List<String> changedTimeouts() {
    synchronized (changedTimeouts) {
      return List.copyOf(changedTimeouts);
    }
  }

  @Override
  public Connection getConnection() throws SQLException {
    Pooled pooled = idle.pollFirst();
    if (pooled == null) {
      Connection physical = target.getConnection();
      pooled = new Pooled(physical, physical.getNetworkTimeout());
    }
    return borrowed(pooled);
  }

  private Connection borrowed(Pooled pooled) {
    boolean[] returned = {false};
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "close":
                  if (!returned[0]) {
                    returned[0] = true;
                    giveBack(pooled);
                  }
                  return null;
                case "isClosed":
                  return returned[0] || pooled.physical().isClosed();
                default:
                  if (returned[0]) {
                    throw new SQLException("connection was given back to the pool", "08003");
                  }
                  try {
                    return method.invoke(pooled.physical(), args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
              }
            });
  }

  private void giveBack(Pooled pooled) {
    Connection physical = pooled.physical();
    int timeout;
    try {
      if (physical.isClosed()) {
        return;
      }
      timeout = physical.getNetworkTimeout();
    } catch (SQLException e) {
      return; // broken: drop it
    }
    if (timeout != pooled.networkTimeoutMillis()) {
      synchronized (changedTimeouts) {
        changedTimeouts.add(
            "given back with network timeout "
                + timeout
                + " ms instead of "
                + pooled.networkTimeoutMillis()
                + " ms");
      }
    }
    idle.addFirst(pooled);
  }

  /** Closes the idle connections. */
  @Override
  public void close() {
    for (Pooled pooled = idle.pollFirst(); pooled != null; pooled = idle.pollFirst()) {
      try {
        pooled.physical().close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }
}
