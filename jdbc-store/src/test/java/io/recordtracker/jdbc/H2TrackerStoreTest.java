package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import io.recordtracker.spi.TrackerStoreContractTest;

/** The store contract on H2, with a session time zone other than the JVM's. */
class H2TrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return JdbcTrackerStore.builder(Databases.h2()).tablePrefix(Databases.PREFIX).build();
  }

  @Override
  protected void compactNow(BatchId batch, Stage stage) {
    ((JdbcTrackerStore) store).compact(batch, stage);
  }
}
