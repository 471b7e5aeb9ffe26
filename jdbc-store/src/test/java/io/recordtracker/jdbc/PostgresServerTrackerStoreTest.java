package io.recordtracker.jdbc;

import io.recordtracker.spi.TrackerStore;
import io.recordtracker.spi.TrackerStoreContractTest;

/** The store contract on PostgresServer, with a session time zone other than the JVM's. */
class PostgresServerTrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return JdbcTrackerStore.builder(Databases.postgresServer())
        .tablePrefix(Databases.PREFIX)
        .build();
  }
}
