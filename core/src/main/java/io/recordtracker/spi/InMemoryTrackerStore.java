package io.recordtracker.spi;

import io.recordtracker.BatchConflictException;
import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Stage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.roaringbitmap.RoaringBitmap;

/**
 * The store of {@link TrackerStore#inMemory()}: batches and marks in this JVM's heap, lost when it
 * exits. Each batch's state is guarded by the batch's own monitor, so merges into different batches
 * never contend.
 */
final class InMemoryTrackerStore implements TrackerStore {

  /** Newest opened first; ties by id, also descending (an ascending SQL index scans backwards). */
  private static final Comparator<BatchInfo> NEWEST_FIRST =
      Comparator.comparing(BatchInfo::openedAt).thenComparing(BatchInfo::id).reversed();

  /** Incarnations are unique within the JVM, so a purged and reopened batch never reuses one. */
  private static final AtomicLong INCARNATIONS = new AtomicLong();

  private final ConcurrentHashMap<BatchId, Entry> batches = new ConcurrentHashMap<>();

  /** One batch: its info and a bitmap per stage, all guarded by {@code this}. */
  private static final class Entry {
    private BatchInfo info;
    private final Map<Stage, RoaringBitmap> marks = new HashMap<>();

    Entry(BatchInfo info) {
      this.info = info;
    }
  }

  @Override
  public BatchInfo openBatch(BatchInfo batch) {
    Objects.requireNonNull(batch, "batch must not be null");
    Entry entry =
        batches.computeIfAbsent(
            batch.id(),
            id ->
                new Entry(
                    BatchInfo.of(
                            batch.id(),
                            batch.expectedRecords(),
                            batch.openedAt(),
                            batch.attributes())
                        .withIncarnation(INCARNATIONS.incrementAndGet())));
    synchronized (entry) {
      if (entry.info.expectedRecords() != batch.expectedRecords()) {
        throw new BatchConflictException(entry.info, batch.expectedRecords());
      }
      return entry.info;
    }
  }

  @Override
  public Optional<BatchInfo> findBatch(BatchId id) {
    Entry entry = batches.get(id);
    if (entry == null) {
      return Optional.empty();
    }
    synchronized (entry) {
      return Optional.of(entry.info);
    }
  }

  @Override
  public void merge(List<MarkDelta> deltas) {
    // Check every delta before storing any: all or nothing, as the contract says. A purge that
    // races with this merge may still remove an entry between the check and the union below; its
    // marks then go with it, as the marks of a batch purged just after a merge would.
    Map<BatchId, Long> rejected = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>(deltas.size());
    for (MarkDelta delta : deltas) {
      Entry entry = batches.get(delta.batch());
      boolean madeFor;
      if (entry != null) {
        synchronized (entry) {
          madeFor = delta.madeFor(entry.info);
        }
      } else {
        madeFor = false;
      }
      if (!madeFor) {
        rejected.merge(delta.batch(), delta.marks().getLongCardinality(), Long::sum);
      }
      entries.add(entry);
    }
    if (!rejected.isEmpty()) {
      throw new MarksRejectedException(rejected, "");
    }
    for (int i = 0; i < deltas.size(); i++) {
      MarkDelta delta = deltas.get(i);
      Entry entry = entries.get(i);
      synchronized (entry) {
        entry.marks.computeIfAbsent(delta.stage(), s -> new RoaringBitmap()).or(delta.marks());
        Instant last = entry.info.lastMarkedAt().get(delta.stage());
        if (last == null || last.isBefore(delta.markedAt())) {
          Map<Stage, Instant> times = new HashMap<>(entry.info.lastMarkedAt());
          times.put(delta.stage(), delta.markedAt());
          entry.info = with(entry.info, times, entry.info.completedAt().orElse(null));
        }
      }
    }
  }

  @Override
  public RoaringBitmap load(BatchId batch, Stage stage) {
    Entry entry = batches.get(batch);
    if (entry == null) {
      return new RoaringBitmap();
    }
    synchronized (entry) {
      RoaringBitmap marks = entry.marks.get(stage);
      return marks == null ? new RoaringBitmap() : marks.clone();
    }
  }

  @Override
  public List<BatchInfo> batches(BatchQuery query) {
    return batches.values().stream()
        .map(
            entry -> {
              synchronized (entry) {
                return entry.info;
              }
            })
        .filter(query::matches)
        .sorted(NEWEST_FIRST)
        .skip(query.offset())
        .limit(query.limit())
        .collect(Collectors.toList());
  }

  @Override
  public void recordCompletion(BatchId batch, Instant at) {
    Entry entry = batches.get(batch);
    if (entry == null) {
      return;
    }
    synchronized (entry) {
      if (!entry.info.isComplete()) {
        entry.info = with(entry.info, entry.info.lastMarkedAt(), at);
      }
    }
  }

  @Override
  public int delete(Collection<BatchId> ids) {
    int deleted = 0;
    for (BatchId id : ids) {
      if (batches.remove(id) != null) {
        deleted++;
      }
    }
    return deleted;
  }

  private static BatchInfo with(BatchInfo info, Map<Stage, Instant> times, Instant completedAt) {
    return BatchInfo.of(
            info.id(),
            info.expectedRecords(),
            info.openedAt(),
            info.attributes(),
            times,
            completedAt)
        .withIncarnation(info.incarnation());
  }

  @Override
  public String toString() {
    return "InMemoryTrackerStore{batches=" + batches.size() + "}";
  }
}
