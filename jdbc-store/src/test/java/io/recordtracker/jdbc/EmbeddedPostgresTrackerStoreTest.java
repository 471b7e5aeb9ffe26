package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import io.recordtracker.spi.TrackerStoreContractTest;

/** The store contract on EmbeddedPostgres, with a session time zone other than the JVM's. */
class EmbeddedPostgresTrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return JdbcTrackerStore.builder(Databases.embeddedPostgres())
        .tablePrefix(Databases.PREFIX)
        .build();
  }

  @Override
  protected void compactNow(BatchId batch, Stage stage) {
    ((JdbcTrackerStore) store).compact(batch, stage);
  }
}
