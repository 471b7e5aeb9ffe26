package io.recordtracker.benchmarks;

import io.recordtracker.BatchId;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTracker;
import io.recordtracker.TrackerStats;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How far one PostgreSQL server goes: N writer processes (1, 2, 4, 8 by default), each a child JVM
 * with its own HikariCP pool and its own {@link RecordTracker} (default settings: background flush
 * every 1 s), each opening its own batches of {@code --records} records and marking them as an
 * EDI+CIS pair would: every record sent in chunks of {@code --chunk} ranges, then {@code flush()}
 * (the EDI job's "file written, marks durable"), then the records of {@code --pattern} (default
 * {@code NONE}: all) processed in {@code int[]} chunks, then {@code flush()} again (the CIS job's).
 * Writers run flat out: the numbers are the saturation point of the database (and of the machine,
 * which the writers share with it).
 *
 * <p>All writers start together, warm up for {@code --warmup} seconds, are measured for {@code
 * --seconds}, and keep writing a few seconds more so that the parent's second snapshot sees every
 * backend alive. Per N it reports batches opened, records marked (sent + processed) and flushes
 * (from {@link TrackerStats#flushes()}, background and explicit) per second, the latency of the
 * explicit {@code flush()} calls (p50, p99: time of the call, which includes waiting for a
 * background flush in progress) and the mean store time per flush ({@link TrackerStats#flushTime()}
 * / flushes), the database CPU seconds per million records (utime + stime from {@code /proc} of the
 * server's processes: all processes of user {@code postgres}, and separately the writers' own
 * backends found by {@code application_name}), and the WAL bytes per million records ({@code
 * pg_current_wal_lsn()} before and after).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.recordtracker.benchmarks.CapacityBenchmark \
 *     [--writers 1,2,4,8] [--records 100000] [--chunk 10000] [--warmup 5] [--seconds 20] \
 *     [--pattern NONE]
 * </pre>
 *
 * PostgreSQL: {@code $RECORDTRACKER_PG_URL} if set, else the server at {@value #LOCAL_URL} if it
 * answers, else an embedded one. Tables are named {@code rtcap_*}, dropped at the start and end.
 */
public final class CapacityBenchmark {

  static final String PREFIX = "rtcap_";
  static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  static final String APP_NAME = "rtcap";
  private static final String CHILD = "--capacity-child";
  private static final String RESULT = "RESULT";

  /** Seconds the writers keep writing after the measured window. */
  private static final int TAIL_SECONDS = 3;

  private CapacityBenchmark() {}

  /** Runs the benchmark; exits 0 when done, 2 on bad arguments. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals(CHILD)) {
      System.exit(child(Arrays.copyOfRange(args, 1, args.length), System.out));
    }
    int[] writers = {1, 2, 4, 8};
    int records = 100_000;
    int chunk = 10_000;
    int warmup = 5;
    int seconds = 20;
    GapPattern pattern = GapPattern.NONE;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--writers" ->
            writers =
                Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        case "--records" -> records = Integer.parseInt(v.replace("_", ""));
        case "--chunk" -> chunk = Integer.parseInt(v.replace("_", ""));
        case "--warmup" -> warmup = Integer.parseInt(v);
        case "--seconds" -> seconds = Integer.parseInt(v);
        case "--pattern" -> pattern = GapPattern.valueOf(v.toUpperCase(Locale.ROOT));
        default -> {
          System.err.println(
              "usage: CapacityBenchmark [--writers 1,2,4,8] [--records N] [--chunk N]"
                  + " [--warmup S] [--seconds S] [--pattern "
                  + Arrays.toString(GapPattern.values())
                  + "]");
          System.exit(2);
        }
      }
    }
    PrintStream out = System.out;
    try (BenchDatabase db = open()) {
      out.printf(
          Locale.ROOT,
          "Capacity on %s: writers %s, batches of %,d records, chunks of %,d, processed"
              + " pattern %s, warm-up %d s, measured %d s%n",
          db.describe(),
          Arrays.toString(writers),
          records,
          chunk,
          pattern,
          warmup,
          seconds);
      out.println(RowPerRecordComparison.machine());
      db.dropTablesStartingWith(PREFIX);
      JdbcTrackerStore.builder(db.dataSource()).tablePrefix(PREFIX).build().close();
      List<Row> rows = new ArrayList<>();
      try {
        for (int n : writers) {
          Row row = measure(db, n, records, chunk, pattern, warmup, seconds);
          rows.add(row);
          out.println(row.line());
        }
      } finally {
        db.dropTablesStartingWith(PREFIX);
      }
      print(rows, out);
    }
  }

  private static BenchDatabase open() {
    String env = System.getenv(BenchDatabase.PG_URL_ENV);
    if (env != null && !env.isBlank()) {
      return BenchDatabase.postgres();
    }
    DriverManager.setLoginTimeout(3);
    try (Connection c = DriverManager.getConnection(LOCAL_URL)) {
      return BenchDatabase.at(LOCAL_URL, "PostgreSQL server at 127.0.0.1:5432");
    } catch (SQLException e) {
      return BenchDatabase.postgres();
    }
  }

  /** One N's results. */
  record Row(
      int writers,
      double seconds,
      long batches,
      long records,
      long flushes,
      double p50Millis,
      double p99Millis,
      double meanStoreFlushMillis,
      double serverCpuSeconds,
      double backendCpuSeconds,
      long walBytes,
      String loadBefore,
      String loadAfter) {

    double perMillion(double v) {
      return records == 0 ? Double.NaN : v / (records / 1e6);
    }

    String line() {
      return String.format(
          Locale.ROOT,
          "N=%d: %d batches, %,d records, %d flushes in %.1f s; flush() p50 %.1f ms p99 %.1f ms;"
              + " store flush mean %.1f ms; server CPU %.2f s (writers' backends %.2f s); WAL %,d"
              + " bytes; load %s -> %s",
          writers,
          batches,
          records,
          flushes,
          seconds,
          p50Millis,
          p99Millis,
          meanStoreFlushMillis,
          serverCpuSeconds,
          backendCpuSeconds,
          walBytes,
          loadBefore,
          loadAfter);
    }
  }

  private static Row measure(
      BenchDatabase db, int n, int records, int chunk, GapPattern pattern, int warmup, int seconds)
      throws Exception {
    long startup = 6_000L + 1_500L * n; // child JVMs starting on a shared 2-core machine
    long measureFrom = System.currentTimeMillis() + startup + warmup * 1000L;
    long measureTo = measureFrom + seconds * 1000L;
    long stopAt = measureTo + TAIL_SECONDS * 1000L;
    String url = withAppName(db.jdbcUrl());
    String tag = Long.toString(System.currentTimeMillis(), 36);
    List<Process> children = new ArrayList<>();
    for (int w = 0; w < n; w++) {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(CapacityBenchmark.class.getName());
      cmd.addAll(
          List.of(
              CHILD,
              url,
              "cap-" + tag + "-n" + n + "-w" + w,
              Integer.toString(records),
              Integer.toString(chunk),
              pattern.name(),
              Long.toString(measureFrom),
              Long.toString(measureTo),
              Long.toString(stopAt)));
      children.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }
    sleepUntil(measureFrom);
    String loadBefore = load();
    Snapshot before = snapshot(db);
    sleepUntil(measureTo);
    Snapshot after = snapshot(db);
    String loadAfter = load();
    long batches = 0;
    long marked = 0;
    long flushes = 0;
    long storeNanos = 0;
    List<Long> latencies = new ArrayList<>();
    for (Process p : children) {
      String result = null;
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          if (line.startsWith(RESULT + " ")) {
            result = line;
          }
        }
      }
      int exit = p.waitFor();
      if (exit != 0 || result == null) {
        throw new IllegalStateException("a writer exited " + exit + " without a result");
      }
      String[] f = result.split(" ");
      batches += Long.parseLong(f[1]);
      marked += Long.parseLong(f[2]);
      flushes += Long.parseLong(f[3]);
      storeNanos += Long.parseLong(f[4]);
      for (int i = 5; i < f.length; i++) {
        latencies.add(Long.parseLong(f[i]));
      }
    }
    long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Row(
        n,
        seconds,
        batches,
        marked,
        flushes,
        percentile(lat, 0.50) / 1e6,
        percentile(lat, 0.99) / 1e6,
        flushes == 0 ? Double.NaN : storeNanos / 1e6 / flushes,
        delta(before.serverTicks, after.serverTicks) / 100.0,
        delta(before.backendTicks, after.backendTicks) / 100.0,
        after.walLsn - before.walLsn,
        loadBefore,
        loadAfter);
  }

  static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static String withAppName(String url) {
    return url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + APP_NAME;
  }

  /**
   * CPU ticks per pid of the server's processes and of the writers' backends, and the WAL position.
   * Per pid, so that a process of another client exiting between two snapshots does not make the
   * server's sum go down (its CPU in the window is lost instead: an undercount).
   */
  record Snapshot(Map<Long, Long> serverTicks, Map<Long, Long> backendTicks, long walLsn) {}

  /** Ticks used between the snapshots by the processes alive at the second one. */
  private static long delta(Map<Long, Long> before, Map<Long, Long> after) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }

  private static Snapshot snapshot(BenchDatabase db) throws SQLException {
    Set<Long> backends = new HashSet<>();
    long lsn;
    try (Connection c = db.dataSource().getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT pid FROM pg_stat_activity WHERE application_name = '" + APP_NAME + "'")) {
        while (rs.next()) {
          backends.add(rs.getLong(1));
        }
      }
      try (ResultSet rs =
          st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
        rs.next();
        lsn = rs.getLong(1);
      }
    }
    Map<Long, Long> server = new LinkedHashMap<>();
    long embedded = db.serverCpuNanos();
    if (embedded >= 0) {
      server.put(-1L, embedded / 10_000_000L); // the embedded server's total: no per-pid view
    } else {
      for (long pid : postgresPids()) {
        server.put(pid, ticks(pid));
      }
    }
    Map<Long, Long> perBackend = new LinkedHashMap<>();
    for (long pid : backends) {
      long t = ticks(pid);
      if (t >= 0) {
        perBackend.put(pid, t);
      }
    }
    return new Snapshot(server, perBackend, lsn);
  }

  /** Every process of user postgres ({@code pgrep -u postgres}): the machine's server. */
  private static List<Long> postgresPids() {
    try {
      Process p = new ProcessBuilder("pgrep", "-u", "postgres").start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      List<Long> pids = new ArrayList<>();
      for (String s : text.split("\\s+")) {
        if (!s.isBlank()) {
          pids.add(Long.parseLong(s.trim()));
        }
      }
      return pids;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run pgrep", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** utime + stime of {@code pid} in clock ticks (1/100 s), 0 if it is gone. */
  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  private static void sleepUntil(long epochMillis) throws InterruptedException {
    long wait = epochMillis - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // The writer, in its own JVM

  /**
   * {@code URL ID_PREFIX RECORDS CHUNK PATTERN FROM TO STOP}: writes batches until STOP (epoch ms),
   * counting what falls in [FROM, TO); prints {@code RESULT batches records flushes storeNanos
   * lat...}.
   */
  static int child(String[] a, PrintStream out) throws Exception {
    String url = a[0];
    String idPrefix = a[1];
    int records = Integer.parseInt(a[2]);
    int chunk = Integer.parseInt(a[3]);
    BitSet done = GapPattern.valueOf(a[4]).processed(records);
    long from = Long.parseLong(a[5]);
    long to = Long.parseLong(a[6]);
    long stop = Long.parseLong(a[7]);
    List<int[]> processed = new ArrayList<>();
    for (int f = 0; f < records; f += chunk) {
      int[] c = RowPerRecordComparison.chunk(done, f, Math.min(records, f + chunk));
      if (c.length > 0) {
        processed.add(c);
      }
    }
    long batches = 0;
    long marked = 0;
    List<Long> latencies = new ArrayList<>();
    TrackerStats atFrom = null;
    TrackerStats atTo = null;
    try (BenchDatabase db = BenchDatabase.at(url, "the parent's database");
        RecordTracker tracker =
            RecordTracker.builder()
                .store(JdbcTrackerStore.builder(db.dataSource()).tablePrefix(PREFIX).build())
                .build()) {
      long seq = 0;
      while (System.currentTimeMillis() < stop) {
        long now = System.currentTimeMillis();
        if (atFrom == null && now >= from) {
          atFrom = tracker.stats();
        }
        if (atTo == null && now >= to) {
          atTo = tracker.stats();
        }
        boolean counted = now >= from && now < to;
        BatchId id = BatchId.of(idPrefix + "-" + seq++);
        tracker.openBatch(id, records);
        for (int f = 0; f < records; f += chunk) {
          tracker.markSent(id, RecordRange.of(f, Math.min(records, f + chunk) - 1));
        }
        long s = System.nanoTime();
        tracker.flush();
        long sentFlush = System.nanoTime() - s;
        for (int[] c : processed) {
          tracker.markProcessed(id, c);
        }
        s = System.nanoTime();
        tracker.flush();
        long processedFlush = System.nanoTime() - s;
        if (counted && System.currentTimeMillis() < to) {
          batches++;
          marked += records;
          latencies.add(sentFlush);
          latencies.add(processedFlush);
        }
      }
      if (atFrom == null || atTo == null) {
        throw new IllegalStateException("the writer started too late for the measured window");
      }
    }
    StringBuilder line = new StringBuilder(RESULT);
    line.append(' ').append(batches).append(' ').append(marked);
    line.append(' ').append(atTo.flushes() - atFrom.flushes());
    line.append(' ').append(atTo.flushTime().minus(atFrom.flushTime()).toNanos());
    latencies.forEach(l -> line.append(' ').append(l));
    out.println(line);
    out.flush();
    return 0;
  }

  // -----------------------------------------------------------------------------------------------

  static void print(List<Row> rows, PrintStream out) {
    out.println();
    out.println(
        "| writers | batches/s | records/s (each marked sent and processed) | flushes/s | flush() p50"
            + " (ms) | flush() p99 (ms) | store flush mean (ms) | server CPU ms / batch | server CPU ms"
            + " / M records | writers' backends CPU ms / M | WAL bytes / batch | WAL bytes / M records"
            + " | load avg (1 min) before -> after |");
    out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (Row r : rows) {
      out.printf(
          Locale.ROOT,
          "| %d | %.1f | %,.0f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f | %,.0f | %,.0f | %s ->"
              + " %s |%n",
          r.writers(),
          r.batches() / r.seconds(),
          r.records() / r.seconds(),
          r.flushes() / r.seconds(),
          r.p50Millis(),
          r.p99Millis(),
          r.meanStoreFlushMillis(),
          r.serverCpuSeconds() * 1000 / r.batches(),
          r.perMillion(r.serverCpuSeconds() * 1000),
          r.perMillion(r.backendCpuSeconds() * 1000),
          (double) r.walBytes() / r.batches(),
          r.perMillion(r.walBytes()),
          r.loadBefore().split(" ")[0],
          r.loadAfter().split(" ")[0]);
    }
    double base = rows.isEmpty() ? Double.NaN : rows.get(0).p50Millis();
    String doubled = "flush() p50 did not double within N=" + rows.get(rows.size() - 1).writers();
    for (Row r : rows) {
      if (r.p50Millis() >= 2 * base) {
        doubled =
            "flush() p50 first doubled (vs N=" + rows.get(0).writers() + ") at N=" + r.writers();
        break;
      }
    }
    out.println();
    out.println(doubled);
    out.println("Finished " + Instant.now());
  }
}
