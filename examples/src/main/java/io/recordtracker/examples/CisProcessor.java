package io.recordtracker.examples;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.roaringbitmap.RoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CIS side: reads a customer file, marks each chunk {@link #RECEIVED} as it is read, and hands
 * chunks to worker threads that process records and commit them in small transactions, marking each
 * transaction's records processed as it commits.
 *
 * <p>How records get lost here is how they got lost in the incident: nothing fails. A worker holds
 * records in memory (the chunk it is on, the chunks it prefetched, the records whose first attempt
 * hit a lock timeout and wait for a retry); when a {@link Patch} restarts it, the worker stops as
 * asked, its open transaction rolls back, and what it held is simply gone. The processor keeps its
 * own ledger of those records, so the replay can check that reconciliation finds exactly them.
 */
final class CisProcessor {
  /** The custom stage between sent and processed: the record arrived and was read. */
  static final Stage RECEIVED = Stage.of("received");

  private static final Logger log = LoggerFactory.getLogger("CIS");

  /**
   * How a worker saves its work: each worker opens one session (a connection, in a real CIS) for
   * its life; records are added to the open transaction, and each commit must mark the
   * transaction's records processed as part of it.
   */
  interface Committer {
    Session open() throws Exception;

    /** A worker's session; closing it rolls back what was not committed. */
    interface Session extends AutoCloseable {
      /** Adds a processed record's business data to the open transaction. */
      void add(BatchId batch, int record, String line) throws Exception;

      /** Commits the open transaction, whose records are {@code records}, with their marks. */
      void commit(BatchId batch, int[] records) throws Exception;

      @Override
      void close() throws Exception;
    }
  }

  /** The patch script of the incident: at a fraction of the batch, restart some workers. */
  record Patch(double atFraction, int workersToRestart) {
    Patch {
      if (!(atFraction > 0 && atFraction < 1)) {
        throw new IllegalArgumentException("patch fraction must be in (0, 1): " + atFraction);
      }
      if (workersToRestart < 1) {
        throw new IllegalArgumentException(
            "workers to restart must be positive: " + workersToRestart);
      }
    }
  }

  /** What a run of the processor did, as the processor itself saw it. */
  record Result(
      BatchId batch,
      long read,
      long committed,
      long deferred,
      RoaringBitmap lost,
      List<String> restartedWorkers,
      Instant patchedAt) {

    /** The records the patch dropped, as maximal ranges. */
    List<RecordRange> lostRanges() {
      return IncidentReplay.ranges(lost);
    }
  }

  private final RecordTracker tracker;
  private final Committer committer;
  private final int workers;
  private final int chunkSize;
  private final int commitEvery;
  private final int prefetch;
  private final int deferEvery;

  /** What one commit of the business data costs: a round trip to the CIS database. */
  static final long COMMIT_ROUND_TRIP_NANOS = 2_000_000;

  /**
   * A processor whose workers commit their business data (a round trip, simulated) and mark the
   * transaction's records processed through {@code tracker}. See {@link CisDatabase} for workers
   * that save real rows and mark them in the same transaction.
   *
   * @param deferEvery about one record in this many hits a lock timeout on its first attempt and
   *     waits for a retry in the worker's memory; 0 for never
   */
  CisProcessor(RecordTracker tracker, int workers, int deferEvery) {
    this(
        tracker,
        () ->
            new Committer.Session() {
              @Override
              public void add(BatchId batch, int record, String line) {}

              @Override
              public void commit(BatchId batch, int[] records) {
                LockSupport.parkNanos(COMMIT_ROUND_TRIP_NANOS); // the business commit
                tracker.markProcessed(batch, records); // once it committed
              }

              @Override
              public void close() {}
            },
        workers,
        deferEvery);
  }

  CisProcessor(RecordTracker tracker, Committer committer, int workers, int deferEvery) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be positive: " + workers);
    }
    if (deferEvery < 0) {
      throw new IllegalArgumentException("deferEvery must not be negative: " + deferEvery);
    }
    this.tracker = tracker;
    this.committer = committer;
    this.workers = workers;
    this.chunkSize = 1_000;
    this.commitEvery = 250;
    this.prefetch = 3;
    this.deferEvery = deferEvery;
  }

  /**
   * Processes {@code file} to the end, with {@code patch} applied midway when not null. Returns
   * once every worker stopped and every mark is durable.
   *
   * @throws IllegalStateException if a worker failed with an error (an error is loud, not silent)
   */
  Result process(Path file, Patch patch) throws IOException, InterruptedException {
    try (EdiFile.Reader in = new EdiFile.Reader(file)) {
      EdiFile.Header header = in.header();
      log.info(
          "Reading {} ({} file of batch {}) with {} workers",
          file.getFileName(),
          header.kind(),
          header.batch(),
          workers);
      Run run = new Run(header, patch);
      run.start();
      try {
        run.read(in);
      } finally {
        run.readDone = true;
      }
      run.awaitWorkers();
      tracker.flush();
      if (run.read != header.count()) {
        log.warn(
            "{} holds {} records but its header says {}: the file is incomplete",
            file.getFileName(),
            IncidentReplay.count(run.read),
            IncidentReplay.count(header.count()));
      }
      Result result = run.result();
      log.info(
          "Finished {}: {} records read, {} committed, no error reported",
          file.getFileName(),
          IncidentReplay.count(result.read()),
          IncidentReplay.count(result.committed()));
      return result;
    }
  }

  /** A chunk of consecutive lines of the file, and how far a worker got in it. */
  private static final class Chunk {
    final int[] records;
    final String[] lines;
    int position;

    Chunk(int[] records, String[] lines) {
      this.records = records;
      this.lines = lines;
    }

    int remaining() {
      return records.length - position;
    }
  }

  /** A worker's place: the thread in it is replaced when the patch restarts it. */
  private static final class Slot {
    final String name;
    volatile Thread thread;
    volatile boolean restartRequested;
    final AtomicInteger inHand = new AtomicInteger();

    Slot(String name) {
      this.name = name;
    }
  }

  /** One run over one file. */
  private final class Run {
    final EdiFile.Header header;
    final Patch patch;
    final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(2 * workers);
    final Slot[] slots = new Slot[workers];
    final AtomicLong committed = new AtomicLong();
    final AtomicLong deferred = new AtomicLong();
    final RoaringBitmap lost = new RoaringBitmap(); // guarded by itself
    final List<String> restarted = new ArrayList<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Progress progress;
    volatile boolean readDone;
    volatile boolean finished;
    volatile Instant patchedAt;
    long read;
    Thread patchThread;

    Run(EdiFile.Header header, Patch patch) {
      this.header = header;
      this.patch = patch;
      this.progress = new Progress(log, "processing", header.count());
    }

    void start() {
      for (int i = 0; i < workers; i++) {
        slots[i] = new Slot("cis-worker-" + (i + 1));
        startWorker(slots[i]);
      }
      if (patch != null) {
        patchThread = new Thread(this::applyPatch, "patch-script");
        patchThread.setDaemon(true);
        patchThread.start();
      }
    }

    void startWorker(Slot slot) {
      slot.restartRequested = false;
      Thread t = new Thread(() -> work(slot), slot.name);
      t.setDaemon(true);
      slot.thread = t;
      t.start();
    }

    /** The reader: one thread, in file order; marks each chunk received as it is read. */
    void read(EdiFile.Reader in) throws InterruptedException {
      int[] records = new int[chunkSize];
      String[] lines = new String[chunkSize];
      int n = 0;
      while (in.next()) {
        records[n] = in.record();
        lines[n] = in.line();
        if (++n == chunkSize) {
          hand(records, lines, n);
          records = new int[chunkSize];
          lines = new String[chunkSize];
          n = 0;
        }
      }
      if (n > 0) {
        hand(Arrays.copyOf(records, n), Arrays.copyOf(lines, n), n);
      }
    }

    private void hand(int[] records, String[] lines, int n) throws InterruptedException {
      if (records[n - 1] - records[0] == n - 1) {
        tracker.mark(header.batch(), RECEIVED, RecordRange.of(records[0], records[n - 1]));
      } else {
        tracker.mark(header.batch(), RECEIVED, records);
      }
      read += n;
      Chunk chunk = new Chunk(records, lines);
      while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
        checkFailure();
      }
    }

    /** A worker's life: take chunks, process, commit; stop when asked, dropping what it holds. */
    void work(Slot slot) {
      Deque<Chunk> hand = new ArrayDeque<>();
      Deferred deferredHere = new Deferred();
      IntList txn = new IntList();
      try (Committer.Session session = committer.open()) {
        while (true) {
          if (slot.restartRequested) {
            abandon(slot, hand, txn, deferredHere);
            return; // closing the session rolls back the open transaction
          }
          if (hand.isEmpty()) {
            Chunk c = queue.poll(20, TimeUnit.MILLISECONDS);
            if (c == null) {
              if (readDone && queue.isEmpty()) {
                break;
              }
              continue;
            }
            hand.add(c);
            for (int i = 1; i < prefetch; i++) {
              Chunk more = queue.poll();
              if (more == null) {
                break;
              }
              hand.add(more);
            }
            slot.inHand.set(inHand(hand, deferredHere));
          }
          Chunk chunk = hand.peekFirst();
          while (chunk.position < chunk.records.length) {
            if (slot.restartRequested) {
              abandon(slot, hand, txn, deferredHere);
              return;
            }
            int record = chunk.records[chunk.position];
            String line = chunk.lines[chunk.position];
            chunk.position++;
            if (deferEvery > 0 && firstAttemptTimesOut(header.batch(), record)) {
              deferredHere.add(record, line); // retried once the file is done
              deferred.incrementAndGet();
              continue;
            }
            validate(line);
            session.add(header.batch(), record, line);
            txn.add(record);
            if (txn.size() == commitEvery) {
              commit(session, txn);
            }
          }
          commit(session, txn);
          hand.removeFirst();
          slot.inHand.set(inHand(hand, deferredHere));
        }
        // The file is done: retry what timed out on its first attempt.
        while (deferredHere.size() > 0) {
          if (slot.restartRequested) {
            abandon(slot, hand, txn, deferredHere);
            return;
          }
          int record = deferredHere.records.get(0);
          session.add(header.batch(), record, deferredHere.lines.get(0));
          txn.add(record);
          deferredHere.removeFirst();
          if (txn.size() == commitEvery) {
            commit(session, txn);
          }
        }
        commit(session, txn);
        slot.inHand.set(0);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
        log.error("{} failed", slot.name, t);
      }
    }

    private int inHand(Deque<Chunk> hand, Deferred deferredHere) {
      return hand.stream().mapToInt(Chunk::remaining).sum() + deferredHere.size();
    }

    private void commit(Committer.Session session, IntList txn) throws Exception {
      if (txn.size() == 0) {
        return;
      }
      int[] records = txn.toArray();
      session.commit(header.batch(), records);
      txn.clear();
      committed.addAndGet(records.length);
      progress.add(records.length);
    }

    /** The worker stops for its restart: its open transaction rolls back, what it held is gone. */
    private void abandon(Slot slot, Deque<Chunk> hand, IntList txn, Deferred deferredHere) {
      RoaringBitmap dropped = new RoaringBitmap();
      for (int i = 0; i < txn.size(); i++) {
        dropped.add(txn.get(i));
      }
      for (Chunk c : hand) {
        for (int i = c.position; i < c.records.length; i++) {
          dropped.add(c.records[i]);
        }
      }
      for (int i = 0; i < deferredHere.size(); i++) {
        dropped.add(deferredHere.records.get(i));
      }
      synchronized (lost) {
        lost.or(dropped);
      }
      slot.inHand.set(0);
      log.info("{} stopping for restart", slot.name);
    }

    /** The patch script: waits for the batch to be partly processed, then restarts workers. */
    void applyPatch() {
      long threshold = (long) (patch.atFraction() * header.expectedRecords());
      try {
        while (committed.get() < threshold && !finished) {
          Thread.sleep(1);
        }
        int restartedCount = 0;
        boolean[] done = new boolean[slots.length];
        while (restartedCount < patch.workersToRestart() && !finished) {
          Slot victim = busiest(done);
          if (victim == null) {
            Thread.sleep(1);
            continue;
          }
          done[Arrays.asList(slots).indexOf(victim)] = true;
          if (patchedAt == null) {
            patchedAt = Instant.now();
            log.warn(
                "PATCH: applying hot fix while batch {} is being processed ({} of {} records"
                    + " committed)",
                header.batch(),
                IncidentReplay.count(committed.get()),
                IncidentReplay.count(header.expectedRecords()));
          }
          log.warn("PATCH: restarting {}", victim.name);
          victim.restartRequested = true;
          victim.thread.join();
          synchronized (restarted) {
            restarted.add(victim.name);
          }
          startWorker(victim);
          restartedCount++;
        }
        if (restartedCount > 0) {
          log.warn("PATCH: done, {} workers restarted, processing goes on", restartedCount);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private Slot busiest(boolean[] done) {
      Slot best = null;
      for (int i = 0; i < slots.length; i++) {
        if (!done[i]
            && slots[i].inHand.get() > 0
            && (best == null || slots[i].inHand.get() > best.inHand.get())) {
          best = slots[i];
        }
      }
      return best;
    }

    void awaitWorkers() throws InterruptedException {
      while (true) {
        // The patch may replace a slot's thread while we wait: always join the current one.
        for (Slot slot : slots) {
          slot.thread.join();
        }
        if (patchThread == null || !patchThread.isAlive()) {
          if (Arrays.stream(slots).noneMatch(s -> s.thread.isAlive())) {
            break;
          }
          continue;
        }
        finished = true; // the patch stops waiting; a worker it starts is joined on the next pass
        patchThread.join();
      }
      finished = true;
      checkFailure();
    }

    private void checkFailure() {
      Throwable t = failure.get();
      if (t != null) {
        throw new IllegalStateException("processing of batch " + header.batch() + " failed", t);
      }
    }

    Result result() {
      List<String> names;
      synchronized (restarted) {
        names = List.copyOf(restarted);
      }
      RoaringBitmap lostCopy;
      synchronized (lost) {
        lostCopy = lost.clone();
      }
      return new Result(
          header.batch(), read, committed.get(), deferred.get(), lostCopy, names, patchedAt);
    }
  }

  /** Whether the first attempt at {@code record} hits a lock timeout: a pseudo-random few. */
  private boolean firstAttemptTimesOut(BatchId batch, int record) {
    int h = (record + batch.hashCode()) * 0x9E3779B1;
    h ^= h >>> 15;
    h *= 0x85EBCA77;
    h ^= h >>> 13;
    return Integer.remainderUnsigned(h, deferEvery) == 0;
  }

  /** The business rule on one record: a customer line has six fields. */
  private static void validate(String line) {
    int fields = 1;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '|') {
        fields++;
      }
    }
    if (fields != 6) {
      throw new IllegalArgumentException("malformed record line: " + line);
    }
  }

  /** Records waiting in a worker's memory for a retry, with their lines. */
  private static final class Deferred {
    final List<Integer> records = new ArrayList<>();
    final List<String> lines = new ArrayList<>();

    void add(int record, String line) {
      records.add(record);
      lines.add(line);
    }

    int size() {
      return records.size();
    }

    void removeFirst() {
      records.remove(0);
      lines.remove(0);
    }
  }

  /** A growable int list, to hold a transaction's records without boxing. */
  private static final class IntList {
    private int[] values = new int[128];
    private int size;

    void add(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int get(int i) {
      return values[i];
    }

    int size() {
      return size;
    }

    void clear() {
      size = 0;
    }

    int[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
