package io.recordtracker.jdbc;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.postgresql.ds.PGSimpleDataSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * A separate JVM that marks records of one batch through its own tracker and store, as another
 * process on another host would. Started by the tests with {@link #start}.
 *
 * <ul>
 *   <li>{@code once URL BATCH SEED}: marks the records of {@link #plan(long)} in small steps with
 *       its own flusher running, flushes, closes, prints {@code done}.
 *   <li>{@code loop URL BATCH}: forever marks step i's records, calls flush(), then prints {@code
 *       flushed i}; the test kills it at a random moment.
 *   <li>{@code seal URL BATCH COUNT}: seals the batch with COUNT records, prints {@code sealed N}
 *       (the size stored) or {@code refused EXCEPTION: MESSAGE}.
 * </ul>
 */
public final class MarkingChild {

  /** Records per batch used by the children. */
  static final int RECORDS = 5_000_000;

  private MarkingChild() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(args[1]);
    BatchId batch = BatchId.of(args[2]);
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(ds).tablePrefix(Databases.PREFIX).compactionThreshold(4).build();
    try (RecordTracker tracker =
        RecordTracker.builder()
            .store(store)
            .flushInterval(Duration.ofMillis(10))
            .flushThreshold(5_000)
            .build()) {
      if (mode.equals("seal")) {
        try {
          System.out.println(
              "sealed " + tracker.seal(batch, Integer.parseInt(args[3])).expectedRecords());
        } catch (RuntimeException e) {
          System.out.println("refused " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      } else if (mode.equals("once")) {
        for (int[] step : plan(Long.parseLong(args[3]))) {
          tracker.mark(batch, Stage.PROCESSED, step);
        }
        tracker.flush();
        System.out.println("done");
      } else {
        for (int i = 0; ; i++) {
          tracker.mark(batch, Stage.PROCESSED, loopStep(i));
          tracker.mark(
              batch, Stage.PROCESSED, RecordRange.of(loopRangeStart(i), loopRangeStart(i) + 99));
          tracker.flush();
          System.out.println("flushed " + i);
          System.out.flush();
        }
      }
    }
  }

  /** The records step {@code i} of a loop child marks one by one. */
  static int[] loopStep(int i) {
    return new int[] {(int) ((i * 7_919L) % RECORDS)};
  }

  /** The first record of step {@code i}'s range of 100. */
  static int loopRangeStart(int i) {
    return 100 * (i % (RECORDS / 100 - 1)) + 1;
  }

  /** Everything steps 0..last of a loop child marked. */
  static RoaringBitmap loopMarks(int last) {
    RoaringBitmap marks = new RoaringBitmap();
    for (int i = 0; i <= last; i++) {
      marks.add(loopStep(i));
      marks.add((long) loopRangeStart(i), loopRangeStart(i) + 100L);
    }
    return marks;
  }

  /**
   * The steps a {@code once} child with this seed marks: overlapping ranges and scattered records.
   */
  static List<int[]> plan(long seed) {
    Random random = new Random(seed);
    List<int[]> steps = new ArrayList<>();
    for (int s = 0; s < 300; s++) {
      int[] step = new int[200];
      int base = random.nextInt(RECORDS - 1_000);
      for (int k = 0; k < step.length; k++) {
        step[k] = k < 100 ? base + k : random.nextInt(RECORDS);
      }
      steps.add(step);
    }
    return steps;
  }

  static RoaringBitmap planned(long seed) {
    RoaringBitmap marks = new RoaringBitmap();
    plan(seed).forEach(marks::add);
    return marks;
  }

  /** Starts a child JVM on this JVM's classpath with the given arguments. */
  static Process start(String... args) throws IOException {
    return startJvm(MarkingChild.class, args);
  }

  /**
   * Starts a child JVM running {@code main} on this JVM's classpath with the given arguments: a
   * small heap, quick start, another time zone than the tests', its stderr inherited.
   */
  static Process startJvm(Class<?> main, String... args) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path");
    if (classpath == null || classpath.isBlank()) {
      classpath = System.getProperty("java.class.path");
    }
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.add("-Xmx256m");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Duser.timezone=America/Denver");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(classpath);
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }
}
