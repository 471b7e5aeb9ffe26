package io.recordtracker;

/**
 * One call to the store, made through {@link #run(String, StoreCall)} so that whatever a store
 * throws reaches the caller as a {@link RecordTrackerException}.
 */
@FunctionalInterface
interface StoreCall<T> {

  T call();

  /**
   * The call's result. A {@link RecordTrackerException} passes as it is; any other runtime
   * exception becomes a {@link TrackerStoreException} saying {@code what} failed.
   */
  static <T> T run(String what, StoreCall<T> call) {
    try {
      return call.call();
    } catch (RecordTrackerException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new TrackerStoreException(what + " failed: " + e, e);
    }
  }
}
