package io.recordtracker.jdbc;

import io.recordtracker.spi.TrackerStore;
import io.recordtracker.spi.TrackerStoreContractTest;

/** The store contract on MariaDb, with a session time zone other than the JVM's. */
class MariaDbTrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return JdbcTrackerStore.builder(Databases.mariadb()).tablePrefix(Databases.PREFIX).build();
  }
}
