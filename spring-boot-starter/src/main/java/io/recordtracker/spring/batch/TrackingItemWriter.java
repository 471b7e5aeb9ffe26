package io.recordtracker.spring.batch;

import io.recordtracker.BatchId;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.internal.Arguments;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.batch.infrastructure.item.Chunk;
import org.springframework.batch.infrastructure.item.ItemWriter;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Writes each chunk with a delegate writer, then marks every written item at a stage (default
 * {@link Stage#PROCESSED}), so that a record is marked exactly when its chunk commits:
 *
 * <ol>
 *   <li>with {@link Builder#within(JdbcTrackerStore, DataSource)} (the store is JDBC on the
 *       DataSource the chunk's transaction runs on), the marks are written with {@link
 *       JdbcTrackerStore#markWithin} on the transaction's own connection: they commit or roll back
 *       with the chunk;
 *   <li>otherwise, inside a transaction, they are given to the tracker after the transaction
 *       commits (a chunk rolled back marks nothing); outside any transaction, at once.
 * </ol>
 *
 * <pre>{@code
 * ItemWriter<Customer> writer = TrackingItemWriter.builder(tracker, (Customer c) -> new TrackedRecord(c.batch(), c.line()))
 *     .delegate(customerWriter)
 *     .within(store, dataSource)
 *     .build();
 * }</pre>
 *
 * Items the processor filtered out never reach the writer and stay unmarked: a {@link
 * ReconcilingStepListener} then names them. Thread-safe when the delegate is.
 *
 * @param <T> the item type
 */
public final class TrackingItemWriter<T> implements ItemWriter<T> {

  private final RecordTracker tracker;
  private final Function<? super T, TrackedRecord> locator;
  private final ItemWriter<? super T> delegate;
  private final Stage stage;
  private final JdbcTrackerStore store;
  private final DataSource dataSource;

  private TrackingItemWriter(Builder<T> b) {
    this.tracker = b.tracker;
    this.locator = b.locator;
    this.delegate = b.delegate;
    this.stage = b.stage;
    this.store = b.store;
    this.dataSource = b.dataSource;
  }

  /**
   * A builder for a writer that marks through {@code tracker} the record {@code locator} says each
   * item is.
   *
   * @param tracker the tracker
   * @param locator the batch and record number of an item
   * @param <T> the item type
   * @return a builder, with no delegate (the items are only marked) and stage {@code processed}
   * @throws NullPointerException if an argument is null
   */
  public static <T> Builder<T> builder(
      RecordTracker tracker, Function<? super T, TrackedRecord> locator) {
    return new Builder<>(
        Arguments.requireNonNull(tracker, "tracker"), Arguments.requireNonNull(locator, "locator"));
  }

  /**
   * Writes the chunk with the delegate, then marks its items.
   *
   * @throws Exception what the delegate throws; nothing is marked then
   */
  @Override
  public void write(Chunk<? extends T> chunk) throws Exception {
    delegate.write(chunk);
    Map<BatchId, int[]> records = byBatch(chunk);
    if (records.isEmpty()) {
      return;
    }
    if (store != null && TransactionSynchronizationManager.isActualTransactionActive()) {
      Connection connection = DataSourceUtils.getConnection(dataSource);
      try {
        records.forEach((batch, numbers) -> store.markWithin(connection, batch, stage, numbers));
      } finally {
        DataSourceUtils.releaseConnection(connection, dataSource);
      }
    } else if (TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void afterCommit() {
              mark(records);
            }
          });
    } else {
      mark(records);
    }
  }

  private void mark(Map<BatchId, int[]> records) {
    records.forEach((batch, numbers) -> tracker.mark(batch, stage, numbers));
  }

  private Map<BatchId, int[]> byBatch(Chunk<? extends T> chunk) {
    Map<BatchId, List<Integer>> lists = new LinkedHashMap<>();
    for (T item : chunk) {
      TrackedRecord r = locator.apply(item);
      if (r == null) {
        throw new IllegalArgumentException("locator returned null for item " + item);
      }
      lists.computeIfAbsent(r.batch(), k -> new ArrayList<>()).add(r.record());
    }
    Map<BatchId, int[]> out = new LinkedHashMap<>();
    lists.forEach((batch, list) -> out.put(batch, list.stream().mapToInt(i -> i).toArray()));
    return out;
  }

  @Override
  public String toString() {
    return "TrackingItemWriter{stage="
        + stage
        + (store != null ? ", within " + store : ", after commit")
        + "}";
  }

  /**
   * Builds a {@link TrackingItemWriter}.
   *
   * @param <T> the item type
   */
  public static final class Builder<T> {
    private final RecordTracker tracker;
    private final Function<? super T, TrackedRecord> locator;
    private ItemWriter<? super T> delegate = chunk -> {};
    private Stage stage = Stage.PROCESSED;
    private JdbcTrackerStore store;
    private DataSource dataSource;

    private Builder(RecordTracker tracker, Function<? super T, TrackedRecord> locator) {
      this.tracker = tracker;
      this.locator = locator;
    }

    /**
     * The writer that does the chunk's real work; default none (the items are only marked).
     *
     * @param delegate the writer
     * @return this builder
     * @throws NullPointerException if {@code delegate} is null
     */
    public Builder<T> delegate(ItemWriter<? super T> delegate) {
      this.delegate = Arguments.requireNonNull(delegate, "delegate");
      return this;
    }

    /**
     * The stage written items reach; default {@link Stage#PROCESSED}.
     *
     * @param stage the stage
     * @return this builder
     * @throws NullPointerException if {@code stage} is null
     */
    public Builder<T> stage(Stage stage) {
      this.stage = Arguments.requireNonNull(stage, "stage");
      return this;
    }

    /**
     * Marks inside the chunk's transaction, on its connection: {@code store} must keep its tables
     * in the database of {@code dataSource}, the DataSource the step's transaction manager runs on
     * (the auto-configured store and the application's DataSource are).
     *
     * @param store the JDBC store
     * @param dataSource the DataSource of the step's transactions
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public Builder<T> within(JdbcTrackerStore store, DataSource dataSource) {
      this.store = Arguments.requireNonNull(store, "store");
      this.dataSource = Arguments.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The writer.
     *
     * @return the writer
     */
    public TrackingItemWriter<T> build() {
      return new TrackingItemWriter<>(this);
    }
  }
}
