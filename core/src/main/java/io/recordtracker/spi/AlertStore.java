package io.recordtracker.spi;

import io.recordtracker.BatchId;
import java.util.Collection;
import java.util.List;

/**
 * Where monitors keep what they reported ({@link AlertRecord} rows), shared by every monitor
 * instance on the store so that N instances and their restarts tell each event once between them. A
 * {@link TrackerStore} offers one through {@link TrackerStore#alertStore()}; every method must be
 * safe to call from several threads and processes at once.
 *
 * <p>Writes are compare-and-set on a row's {@link AlertRecord#version()}, checked by the store in
 * the same step that writes (a conditional update of one row), never by a read beforehand and never
 * by a lock in one JVM: a monitor that read version v writes v+1 only if the row is still at v, and
 * so only one of several monitors that decided the same event claims it.
 *
 * <p>Rows of batches that no longer exist are the monitor's to remove ({@link #remove}, {@link
 * #removeSettledOfGoneBatches}); a store need not remove them when it deletes a batch.
 *
 * <p>Any method may throw {@link io.recordtracker.TrackerStoreException} when the storage fails.
 */
public interface AlertStore {

  /**
   * The rows with a finding open or a claim held (expired or not): what monitors must follow up, in
   * no particular order.
   *
   * @return the rows
   */
  List<AlertRecord> unsettled();

  /**
   * Every row of these batches, any listener and pair.
   *
   * @param batches the batches
   * @return their rows, in no particular order
   */
  List<AlertRecord> find(Collection<BatchId> batches);

  /**
   * Stores {@code next} if the row of its key is at {@code expectedVersion}, or, when {@code
   * expectedVersion} is 0, if there is no row of its key.
   *
   * @param expectedVersion the version read, or 0 for none
   * @param next the row to store; its version must be {@code expectedVersion + 1}
   * @return true if stored, false if the row was at another version (another monitor wrote it)
   * @throws IllegalArgumentException if {@code next}'s version is not {@code expectedVersion + 1}
   */
  boolean compareAndSet(long expectedVersion, AlertRecord next);

  /**
   * Removes the row of {@code key} if it is at {@code expectedVersion}.
   *
   * @param key the row's key
   * @param expectedVersion the version read
   * @return true if removed
   */
  boolean remove(AlertRecord.Key key, long expectedVersion);

  /**
   * Removes the rows with no finding open and no claim held whose batch no longer exists, so that
   * the rows of purged batches do not pile up.
   *
   * @return how many rows were removed
   */
  int removeSettledOfGoneBatches();

  /**
   * A new, empty alert store in this JVM's memory, for a monitor whose tracker's store keeps none:
   * it holds for one monitor instance, and its settled rows stay until the monitor is dropped.
   *
   * @return the store
   */
  static AlertStore inMemory() {
    return new InMemoryAlertStore(batch -> true);
  }
}
