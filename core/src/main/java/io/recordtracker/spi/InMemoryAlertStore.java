package io.recordtracker.spi;

import io.recordtracker.BatchId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The {@link AlertStore} of the in-memory store (and of monitors whose store keeps none): rows in a
 * concurrent map, each compare-and-set one atomic {@code compute} of its key.
 */
final class InMemoryAlertStore implements AlertStore {

  private final ConcurrentHashMap<AlertRecord.Key, AlertRecord> rows = new ConcurrentHashMap<>();
  private final Predicate<BatchId> batchExists;

  InMemoryAlertStore(Predicate<BatchId> batchExists) {
    this.batchExists = batchExists;
  }

  @Override
  public List<AlertRecord> unsettled() {
    List<AlertRecord> out = new ArrayList<>();
    for (AlertRecord r : rows.values()) {
      if (r.open() || r.claimed() != null) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public List<AlertRecord> find(Collection<BatchId> batches) {
    Objects.requireNonNull(batches, "batches must not be null");
    Set<BatchId> wanted = new HashSet<>(batches);
    List<AlertRecord> out = new ArrayList<>();
    for (AlertRecord r : rows.values()) {
      if (wanted.contains(r.key().batch())) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public boolean compareAndSet(long expectedVersion, AlertRecord next) {
    Objects.requireNonNull(next, "next must not be null");
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "next version must be " + (expectedVersion + 1) + ": " + next.version());
    }
    boolean[] stored = new boolean[1];
    rows.compute(
        next.key(),
        (k, current) -> {
          long version = current == null ? 0 : current.version();
          if (version != expectedVersion) {
            return current;
          }
          stored[0] = true;
          return next;
        });
    return stored[0];
  }

  @Override
  public boolean remove(AlertRecord.Key key, long expectedVersion) {
    Objects.requireNonNull(key, "key must not be null");
    boolean[] removed = new boolean[1];
    rows.computeIfPresent(
        key,
        (k, current) -> {
          if (current.version() != expectedVersion) {
            return current;
          }
          removed[0] = true;
          return null;
        });
    return removed[0];
  }

  @Override
  public int removeSettledOfGoneBatches() {
    int removed = 0;
    for (AlertRecord r : rows.values()) {
      if (!r.open()
          && r.claimed() == null
          && !batchExists.test(r.key().batch())
          && remove(r.key(), r.version())) {
        removed++;
      }
    }
    return removed;
  }

  @Override
  public String toString() {
    return "InMemoryAlertStore{rows=" + rows.size() + "}";
  }
}
