package io.recordtracker.spi;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.MarksRejectedException;
import io.recordtracker.Stage;
import io.recordtracker.UnknownBatchException;
import io.recordtracker.internal.Abandoning;
import io.recordtracker.internal.Sealing;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.roaringbitmap.RoaringBitmap;

/**
 * The store of {@link TrackerStore#inMemory()}: batches and marks in this JVM's heap, lost when it
 * exits. Each batch's state is guarded by the batch's own monitor, so merges into different batches
 * never contend. A {@link #seal} checks the marks and stores the size under that monitor, which
 * every merge into the batch holds while it checks its deltas against the size and unions them: no
 * mark can slip past a seal.
 */
final class InMemoryTrackerStore implements TrackerStore {

  /** Newest opened first; ties by id, also descending (an ascending SQL index scans backwards). */
  private static final Comparator<BatchInfo> NEWEST_FIRST =
      Comparator.comparing(BatchInfo::openedAt).thenComparing(BatchInfo::id).reversed();

  /** Incarnations are unique within the JVM, so a purged and reopened batch never reuses one. */
  private static final AtomicLong INCARNATIONS = new AtomicLong();

  private final ConcurrentHashMap<BatchId, Entry> batches = new ConcurrentHashMap<>();

  /** Every stage marked or declared, never forgotten: a purge keeps its batches' stages known. */
  private final Set<Stage> stages = ConcurrentHashMap.newKeySet();

  /** How many recent deltas' tokens each stage remembers, to tell a retried merge. */
  private static final int RECENT_TOKENS = 8;

  /** What monitors on this store reported; rows of deleted batches go when a monitor sweeps. */
  private final InMemoryAlertStore alerts = new InMemoryAlertStore(batches::containsKey);

  /** One batch: its info and a bitmap per stage, all guarded by {@code this}. */
  private static final class Entry {
    private BatchInfo info;
    private final Map<Stage, RoaringBitmap> marks = new HashMap<>();
    private final Map<Stage, RoaringBitmap> repeats = new HashMap<>();

    /** Per stage, the marks merged under each of the last few tokens, oldest first. */
    private final Map<Stage, LinkedHashMap<Long, RoaringBitmap>> recent = new HashMap<>();

    Entry(BatchInfo info) {
      this.info = info;
    }

    /** Unions {@code delta} into its stage, noting what it repeats. Called holding {@code this}. */
    void union(MarkDelta delta) {
      Stage stage = delta.stage();
      RoaringBitmap stored = marks.computeIfAbsent(stage, s -> new RoaringBitmap());
      RoaringBitmap repeated = RoaringBitmap.and(stored, delta.marks());
      LinkedHashMap<Long, RoaringBitmap> tokens =
          recent.computeIfAbsent(stage, s -> new LinkedHashMap<>());
      if (delta.token() != MarkDelta.NO_TOKEN) {
        RoaringBitmap sameToken = tokens.get(delta.token());
        if (sameToken != null) {
          repeated.andNot(sameToken); // a retry: what it stored before is no repeat
          sameToken.or(delta.marks());
        } else {
          tokens.put(delta.token(), delta.marks().clone());
          if (tokens.size() > RECENT_TOKENS) {
            tokens.remove(tokens.keySet().iterator().next());
          }
        }
      }
      repeated.or(delta.repeats());
      if (!repeated.isEmpty()) {
        repeats.computeIfAbsent(stage, s -> new RoaringBitmap()).or(repeated);
      }
      stored.or(delta.marks());
    }
  }

  @Override
  public BatchInfo openBatch(BatchInfo batch) {
    Objects.requireNonNull(batch, "batch must not be null");
    Entry entry = batches.computeIfAbsent(batch.id(), id -> new Entry(fresh(batch)));
    synchronized (entry) {
      Sealing.checkOpen(entry.info, batch);
      return entry.info;
    }
  }

  private static BatchInfo fresh(BatchInfo batch) {
    BatchInfo info =
        BatchInfo.of(batch.id(), batch.expectedRecords(), batch.openedAt(), batch.attributes())
            .withIncarnation(INCARNATIONS.incrementAndGet());
    return batch.isSealed() ? info : info.asUnsealed();
  }

  @Override
  public BatchInfo seal(BatchId batch, int totalRecords) {
    Objects.requireNonNull(batch, "batch must not be null");
    Sealing.requireCount(totalRecords);
    Entry entry = batches.get(batch);
    if (entry == null) {
      throw new UnknownBatchException(batch);
    }
    synchronized (entry) {
      if (!Sealing.alreadySealed(entry.info, totalRecords)) {
        long highest = -1;
        for (RoaringBitmap marks : entry.marks.values()) {
          if (!marks.isEmpty()) {
            highest = Math.max(highest, marks.last() & 0xFFFF_FFFFL);
          }
        }
        Sealing.checkHighestMark(batch, highest, totalRecords);
        entry.info = entry.info.sealedWith(totalRecords);
      }
      return entry.info;
    }
  }

  @Override
  public BatchInfo abandon(BatchId batch, Instant at, String reason) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(at, "at must not be null");
    BatchInfo.requireAbandonReason(reason);
    Entry entry = batches.get(batch);
    if (entry == null) {
      throw new UnknownBatchException(batch);
    }
    synchronized (entry) {
      if (!Abandoning.alreadyAbandoned(entry.info, reason)) {
        entry.info = entry.info.asAbandoned(at, reason);
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
          madeFor = delta.madeFor(entry.info) && fits(delta, entry.info);
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
        if (!fits(delta, entry.info)) {
          // Sealed between the check above and here, without these marks. The deltas unioned
          // before this one stay: merging them again, as the caller will, is a harmless union.
          throw new MarksRejectedException(
              Map.of(delta.batch(), delta.marks().getLongCardinality()),
              "batch " + delta.batch() + " was sealed with " + entry.info.expectedRecords());
        }
        entry.union(delta);
        stages.add(delta.stage());
        Instant last = entry.info.lastMarkedAt().get(delta.stage());
        if (last == null || last.isBefore(delta.markedAt())) {
          Map<Stage, Instant> times = new HashMap<>(entry.info.lastMarkedAt());
          times.put(delta.stage(), delta.markedAt());
          entry.info = with(entry.info, times, entry.info.completedAt().orElse(null));
        }
      }
    }
  }

  /** Whether every mark of {@code delta} is within the size of {@code info}. */
  private static boolean fits(MarkDelta delta, BatchInfo info) {
    return delta.marks().isEmpty()
        || (delta.marks().last() & 0xFFFF_FFFFL) < info.expectedRecords();
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
  public Optional<Set<Stage>> knownStages() {
    return Optional.of(Set.copyOf(stages));
  }

  @Override
  public void declareStages(Collection<Stage> declared) {
    Objects.requireNonNull(declared, "stages must not be null");
    declared.forEach(stage -> stages.add(Objects.requireNonNull(stage, "stage must not be null")));
  }

  @Override
  public RoaringBitmap loadRepeats(BatchId batch, Stage stage) {
    Entry entry = batches.get(batch);
    if (entry == null) {
      return new RoaringBitmap();
    }
    synchronized (entry) {
      RoaringBitmap repeats = entry.repeats.get(stage);
      return repeats == null ? new RoaringBitmap() : repeats.clone();
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

  @Override
  public Optional<AlertStore> alertStore() {
    return Optional.of(alerts);
  }

  private static BatchInfo with(BatchInfo info, Map<Stage, Instant> times, Instant completedAt) {
    BatchInfo copy =
        BatchInfo.of(
                info.id(),
                info.expectedRecords(),
                info.openedAt(),
                info.attributes(),
                times,
                completedAt)
            .withIncarnation(info.incarnation());
    copy = info.isSealed() ? copy : copy.asUnsealed();
    return info.isAbandoned()
        ? copy.asAbandoned(info.abandonedAt().orElseThrow(), info.abandonReason().orElseThrow())
        : copy;
  }

  @Override
  public String toString() {
    return "InMemoryTrackerStore{batches=" + batches.size() + "}";
  }
}
