package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import io.recordtracker.spi.TrackerStoreContractTest;

/**
 * The store contract on the PostgresServer server named by an environment variable (see {@link
 * Databases#postgresServer()}), with a session time zone other than the JVM's. Each test is
 * skipped, with a message saying how to enable it, when the variable is not set.
 */
class PostgresServerTrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return JdbcTrackerStore.builder(Databases.postgresServer())
        .tablePrefix(Databases.PREFIX)
        .build();
  }

  @Override
  protected void releaseStore(TrackerStore store) {
    if (store != null) { // null when the assumption in createStore skipped the test
      store.close();
    }
  }

  @Override
  protected void compactNow(BatchId batch, Stage stage) {
    ((JdbcTrackerStore) store).compact(batch, stage);
  }
}
