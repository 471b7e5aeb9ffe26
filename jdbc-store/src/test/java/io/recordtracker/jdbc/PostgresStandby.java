package io.recordtracker.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A private PostgreSQL primary and a streaming standby of it on 127.0.0.1, for one test class, with
 * the machine's PostgreSQL binaries ({@code /usr/lib/postgresql/NN/bin}): {@code initdb} of the
 * primary under {@code target/pgstandby/}, {@code pg_basebackup -R} of it into the standby's
 * directory, each started on a free port of its own. The shared server on 5432 is not touched.
 * {@link #close()} stops both, and a shutdown hook does if the JVM exits first.
 *
 * <p>PostgreSQL refuses to run as root: as root, the servers run as the {@code postgres} user
 * (through {@code runuser}). {@link #start()} skips the calling test when the binaries or that user
 * are missing (Debian's {@code postgresql} package brings both).
 */
public final class PostgresStandby implements AutoCloseable {

  private final Path bin;
  private final Path root;
  private final boolean asPostgres;
  final int primaryPort;
  final int standbyPort;
  private boolean primaryRunning;
  private boolean standbyRunning;
  private final Thread shutdownHook = new Thread(this::stopAll, "pg-standby-stop");

  private PostgresStandby(
      Path bin, Path root, boolean asPostgres, int primaryPort, int standbyPort) {
    this.bin = bin;
    this.root = root;
    this.asPostgres = asPostgres;
    this.primaryPort = primaryPort;
    this.standbyPort = standbyPort;
  }

  /** Starts a primary and a streaming standby of it, skipping the test if that is not possible. */
  public static PostgresStandby start() throws Exception {
    Path bin = binaries();
    assumeTrue(
        bin != null,
        "PostgreSQL standby tests skipped: no PostgreSQL server binaries (initdb, pg_ctl,"
            + " pg_basebackup) under /usr/lib/postgresql/*/bin; install Debian's postgresql package");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      assumeTrue(
          Files.isExecutable(Paths.get("/usr/sbin/runuser")) && userExists("postgres"),
          "PostgreSQL standby tests skipped: running as root, they need the postgres user and"
              + " runuser to start PostgreSQL, which refuses root");
    }
    Path all = Paths.get("target", "pgstandby").toAbsolutePath();
    deleteTree(all);
    Path dir = all.resolve(Long.toString(System.currentTimeMillis()));
    Files.createDirectories(dir);
    if (root) {
      for (Path p = dir; p != null; p = p.getParent()) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
          assumeTrue(
              p.startsWith(all.getParent()),
              "PostgreSQL standby tests skipped: "
                  + p
                  + " does not let the postgres user through (o+x)");
          perms.add(PosixFilePermission.OTHERS_EXECUTE);
          Files.setPosixFilePermissions(p, perms);
        }
      }
      UserPrincipal postgres =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    int[] ports = freePorts();
    PostgresStandby pg = new PostgresStandby(bin, dir, root, ports[0], ports[1]);
    Runtime.getRuntime().addShutdownHook(pg.shutdownHook);
    try {
      pg.boot();
    } catch (Exception | Error e) {
      pg.close();
      throw e;
    }
    return pg;
  }

  private void boot() throws Exception {
    run(
        bin.resolve("initdb").toString(),
        "-D",
        root.resolve("primary").toString(),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync");
    // Streaming replication and fast, throw-away servers; hot_standby is on by default.
    Files.writeString(
        root.resolve("primary").resolve("postgresql.conf"),
        "\nfsync = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 5\n"
            + "wal_keep_size = 64MB\nshared_buffers = 32MB\n",
        java.nio.file.StandardOpenOption.APPEND);
    startServer("primary", primaryPort);
    primaryRunning = true;
    run(
        bin.resolve("pg_basebackup").toString(),
        "-h",
        "127.0.0.1",
        "-p",
        Integer.toString(primaryPort),
        "-U",
        "postgres",
        "-D",
        root.resolve("standby").toString(),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast");
    startServer("standby", standbyPort);
    standbyRunning = true;
  }

  private void startServer(String name, int port) throws Exception {
    run(
        bin.resolve("pg_ctl").toString(),
        "-D",
        root.resolve(name).toString(),
        "-l",
        root.resolve(name + ".log").toString(),
        "-w",
        "-t",
        "90",
        "-o",
        // TCP only: a Unix socket's path is limited to about 100 characters, which a deep
        // checkout's target directory can exceed.
        "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
        "start");
  }

  /** The primary's database {@code postgres}, session time zone America/Los_Angeles. */
  TestDataSource primary() {
    return dataSource(new int[] {primaryPort});
  }

  /** The standby's database {@code postgres}, session time zone America/Los_Angeles. */
  TestDataSource standby() {
    return dataSource(new int[] {standbyPort});
  }

  /**
   * Both servers in one multi-host DataSource that connects to whichever is primary ({@code
   * targetServerType=primary}), as an application that survives a failover is configured.
   */
  TestDataSource eitherPrimary() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(multiHostUrl());
    return new TestDataSource(ds, List.of("SET TIME ZONE 'America/Los_Angeles'"));
  }

  /** The multi-host JDBC URL of {@link #eitherPrimary()}. */
  public String multiHostUrl() {
    return "jdbc:postgresql://127.0.0.1:"
        + primaryPort
        + ",127.0.0.1:"
        + standbyPort
        + "/postgres?user=postgres&targetServerType=primary&connectTimeout=3&loginTimeout=5";
  }

  /** The JDBC URL of the primary alone. */
  public String primaryUrl() {
    return "jdbc:postgresql://127.0.0.1:" + primaryPort + "/postgres?user=postgres";
  }

  /** The JDBC URL of the standby alone. */
  public String standbyUrl() {
    return "jdbc:postgresql://127.0.0.1:" + standbyPort + "/postgres?user=postgres";
  }

  private static TestDataSource dataSource(int[] ports) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(ports);
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setConnectTimeout(3);
    ds.setLoginTimeout(5);
    return new TestDataSource(ds, List.of("SET TIME ZONE 'America/Los_Angeles'"));
  }

  /** Stops the primary: {@code fast} waits for the standby to receive all WAL, as a switchover. */
  void stopPrimary(String mode) throws Exception {
    run(
        bin.resolve("pg_ctl").toString(),
        "-D",
        root.resolve("primary").toString(),
        "-m",
        mode,
        "-w",
        "stop");
    primaryRunning = false;
  }

  /** Stops the standby, which then receives nothing the primary commits until it starts again. */
  void stopStandby() throws Exception {
    run(
        bin.resolve("pg_ctl").toString(),
        "-D",
        root.resolve("standby").toString(),
        "-m",
        "fast",
        "-w",
        "stop");
    standbyRunning = false;
  }

  /** Starts the stopped standby again (still a standby: it streams from the primary if it can). */
  void startStandby() throws Exception {
    startServer("standby", standbyPort);
    standbyRunning = true;
  }

  /** Promotes the standby to primary and waits until it is. */
  void promoteStandby() throws Exception {
    run(
        bin.resolve("pg_ctl").toString(),
        "-D",
        root.resolve("standby").toString(),
        "-w",
        "promote");
  }

  /** Stops both servers. */
  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // the JVM is shutting down and runs the hook
    }
  }

  private void stopAll() {
    for (String name : List.of("standby", "primary")) {
      boolean running = name.equals("standby") ? standbyRunning : primaryRunning;
      if (!running || !Files.exists(root.resolve(name).resolve("postmaster.pid"))) {
        continue;
      }
      try {
        run(
            bin.resolve("pg_ctl").toString(),
            "-D",
            root.resolve(name).toString(),
            "-m",
            "immediate",
            "-w",
            "stop");
      } catch (Exception e) {
        System.err.println("could not stop the test's PostgreSQL " + name + ": " + e);
      }
    }
    standbyRunning = false;
    primaryRunning = false;
  }

  /** Runs a PostgreSQL program (as postgres when we are root), failing with its output. */
  private void run(String... command) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("/usr/sbin/runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(command));
    Path out = Files.createTempFile("pg-cmd", ".log");
    try {
      Process p =
          new ProcessBuilder(cmd)
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + cmd + "\n" + Files.readString(out));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "failed (" + p.exitValue() + "): " + cmd + "\n" + Files.readString(out) + logs());
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private String logs() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("primary", "standby")) {
      Path log = root.resolve(name + ".log");
      try {
        if (Files.exists(log)) {
          List<String> lines = Files.readAllLines(log);
          sb.append("\n--- ").append(name).append(".log\n");
          sb.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        }
      } catch (IOException ignored) {
        // no log to show
      }
    }
    return sb.toString();
  }

  /** The newest /usr/lib/postgresql/NN/bin with the programs needed, or null. */
  private static Path binaries() throws IOException {
    Path base = Paths.get("/usr/lib/postgresql");
    if (!Files.isDirectory(base)) {
      return null;
    }
    try (var versions = Files.list(base)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(
              b ->
                  Files.isExecutable(b.resolve("initdb"))
                      && Files.isExecutable(b.resolve("pg_ctl"))
                      && Files.isExecutable(b.resolve("pg_basebackup")))
          .max(
              Comparator.comparingInt(
                  b -> {
                    try {
                      return Integer.parseInt(b.getParent().getFileName().toString());
                    } catch (NumberFormatException e) {
                      return 0;
                    }
                  }))
          .orElse(null);
    }
  }

  private static boolean userExists(String name) {
    try {
      Paths.get("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static int[] freePorts() throws IOException {
    try (ServerSocket a = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return new int[] {a.getLocalPort(), b.getLocalPort()};
    }
  }
}
