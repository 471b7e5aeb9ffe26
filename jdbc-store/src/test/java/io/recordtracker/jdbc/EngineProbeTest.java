package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.TrackerStoreException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the store's probe of the server finds at build, beyond the dialect. */
class EngineProbeTest {

  @Test
  void a_plain_postgresql_server_is_neither_galera_nor_a_standby_nor_citus() {
    DatabaseTraits traits =
        DatabaseTraits.detect(
            Databases.embeddedPostgres(), JdbcDialect.POSTGRESQL, "rtjdbc_", Duration.ofSeconds(5));
    assertThat(traits).isEqualTo(new DatabaseTraits(false, false, false));
    try (JdbcTrackerStore store =
        JdbcTrackerStore.builder(Databases.embeddedPostgres())
            .tablePrefix(Databases.PREFIX)
            .build()) {
      assertThat(store.galera()).isFalse();
      assertThat(store.readOnly()).isFalse();
      assertThat(store.replicationLag()).isEmpty();
    }
  }

  @Test
  void a_plain_mariadb_server_is_not_galera() {
    TestDataSource mariadb = Databases.mariadb();
    assertThat(DatabaseTraits.detect(mariadb, JdbcDialect.MYSQL, "rtjdbc_", Duration.ofSeconds(5)))
        .isEqualTo(new DatabaseTraits(false, false, false));
  }

  @Test
  void cockroachdb_is_refused_with_what_it_lacks() {
    // The embedded PostgreSQL answering version() as CockroachDB does.
    PlainDataSource cockroach =
        () -> {
          Connection real = Databases.embeddedPostgres().getConnection();
          return (Connection)
              Proxy.newProxyInstance(
                  Connection.class.getClassLoader(),
                  new Class<?>[] {Connection.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("prepareStatement")
                        && "SELECT version()".equals(args[0])) {
                      args =
                          new Object[] {"SELECT 'CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu)'"};
                    }
                    try {
                      return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
        };
    assertThatThrownBy(
            () ->
                JdbcTrackerStore.builder(cockroach)
                    .tablePrefix(Databases.PREFIX)
                    .dialect(JdbcDialect.POSTGRESQL)
                    .build())
        .isInstanceOf(TrackerStoreException.class)
        .hasMessage(
            "the database is CockroachDB (CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu)), which"
                + " speaks PostgreSQL's protocol but not all of what the store relies on: its"
                + " advisory locks are no-ops (creating the rtjdbc_* tables from several processes"
                + " at once is not serialised) and it runs every transaction at SERIALIZABLE, which"
                + " the seal's READ COMMITTED read of the marks does not expect. It is not"
                + " supported; see docs/jdbc.md for the engines that are.");
  }
}
