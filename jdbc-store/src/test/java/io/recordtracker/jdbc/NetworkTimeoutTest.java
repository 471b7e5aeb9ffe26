package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which network timeout a borrowed connection gets, and what it has when it goes back. */
class NetworkTimeoutTest {

  @Test
  void sets_query_timeout_plus_margin_and_restores_the_previous_value() throws Exception {
    List<String> calls = new ArrayList<>();
    Connection c = connection(0, calls);
    NetworkTimeout timeout = new NetworkTimeout(3);

    int previous = timeout.apply(c);
    timeout.restore(c, previous);

    assertThat(timeout.millis()).isEqualTo(8_000);
    assertThat(calls).containsExactly("getNetworkTimeout", "set 8000", "isClosed", "set 0");
  }

  @Test
  void keeps_a_tighter_timeout_the_connection_already_has() throws Exception {
    List<String> calls = new ArrayList<>();
    Connection c = connection(2_000, calls);
    NetworkTimeout timeout = new NetworkTimeout(3);

    int previous = timeout.apply(c);
    timeout.restore(c, previous);

    assertThat(previous).isEqualTo(NetworkTimeout.UNCHANGED);
    assertThat(calls).containsExactly("getNetworkTimeout");
  }

  @Test
  void loosens_a_wider_timeout_for_the_call_and_puts_it_back() throws Exception {
    List<String> calls = new ArrayList<>();
    Connection c = connection(600_000, calls);
    NetworkTimeout timeout = new NetworkTimeout(3);

    timeout.restore(c, timeout.apply(c));

    assertThat(calls).containsExactly("getNetworkTimeout", "set 8000", "isClosed", "set 600000");
  }

  @Test
  void a_driver_without_network_timeouts_is_asked_once_and_then_skipped() throws Exception {
    List<String> calls = new ArrayList<>();
    Connection c = connection(-1, calls); // -1: getNetworkTimeout is not supported
    NetworkTimeout timeout = new NetworkTimeout(3);

    int first = timeout.apply(c);
    int second = timeout.apply(c);
    timeout.restore(c, first);

    assertThat(first).isEqualTo(NetworkTimeout.UNCHANGED);
    assertThat(second).isEqualTo(NetworkTimeout.UNCHANGED);
    assertThat(calls).containsExactly("getNetworkTimeout");
  }

  /**
   * A connection that records its network-timeout calls. One without network timeouts ({@code
   * networkTimeout < 0}) gets a proxy class of its own: the store remembers such drivers by class.
   */
  private static Connection connection(int networkTimeout, List<String> calls) {
    Class<?>[] types =
        networkTimeout < 0
            ? new Class<?>[] {Connection.class, Unsupported.class}
            : new Class<?>[] {Connection.class};
    return (Connection)
        Proxy.newProxyInstance(
            NetworkTimeoutTest.class.getClassLoader(),
            types,
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getNetworkTimeout":
                  calls.add("getNetworkTimeout");
                  if (networkTimeout < 0) {
                    throw new SQLFeatureNotSupportedException("getNetworkTimeout");
                  }
                  return networkTimeout;
                case "setNetworkTimeout":
                  calls.add("set " + args[1]);
                  return null;
                case "isClosed":
                  calls.add("isClosed");
                  return false;
                default:
                  throw new UnsupportedOperationException(method.getName());
              }
            });
  }

  /** Marks the proxy class of a driver without network timeouts, apart from the others. */
  private interface Unsupported {}
}
