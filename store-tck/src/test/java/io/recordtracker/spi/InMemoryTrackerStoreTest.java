package io.recordtracker.spi;

/** The in-memory store against the store contract. */
class InMemoryTrackerStoreTest extends TrackerStoreContractTest {

  @Override
  protected TrackerStore createStore() {
    return TrackerStore.inMemory();
  }
}
