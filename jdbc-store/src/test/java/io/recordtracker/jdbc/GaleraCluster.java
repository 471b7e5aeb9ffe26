package io.recordtracker.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.mariadb.jdbc.MariaDbDataSource;

/**
 * A three-node MariaDB Galera cluster on 127.0.0.1 for one test class: each node its own data
 * directory under {@code target/galera/}, its own ports for SQL, group communication (gcomm), IST
 * and SST; node 1 bootstraps the cluster, nodes 2 and 3 join it by an rsync state transfer. {@link
 * #close()} stops every node, and a shutdown hook does if the JVM exits first.
 *
 * <p>{@link #start()} skips the calling test (JUnit assumption) when the machine lacks {@code
 * mariadbd}, {@code mariadb-install-db}, the Galera library or rsync: Debian's packages {@code
 * mariadb-server}, {@code galera-4} and {@code rsync}, which {@code .ci/run} installs where
 * missing.
 */
final class GaleraCluster implements AutoCloseable {

  static final Path MARIADBD = Paths.get("/usr/sbin/mariadbd");
  static final Path INSTALL_DB = Paths.get("/usr/bin/mariadb-install-db");
  static final Path GALERA = Paths.get("/usr/lib/galera/libgalera_smm.so");
  static final Path SST_RSYNC = Paths.get("/usr/bin/wsrep_sst_rsync");
  static final Path RSYNC = Paths.get("/usr/bin/rsync");

  private static final Duration START_DEADLINE = Duration.ofSeconds(90);

  /** One node: its number (1..3), ports and directory, and its process while it runs. */
  final class Node {
    final int number;
    final int sqlPort;
    final int gcommPort;
    final int istPort;
    final int sstPort;
    final Path dir;
    private volatile Process process;
    private int starts;

    Node(int number, int[] ports) {
      this.number = number;
      this.sqlPort = ports[0];
      this.gcommPort = ports[1];
      this.istPort = ports[2];
      this.sstPort = ports[3];
      this.dir = root.resolve("n" + number);
    }

    /** The JDBC URL of this node's database {@code test}. */
    String url() {
      return "jdbc:mariadb://127.0.0.1:" + sqlPort + "/test?user=root";
    }

    /** The JDBC URL of this node's server, no database: for probes that must work before one. */
    String serverUrl() {
      return "jdbc:mariadb://127.0.0.1:" + sqlPort + "/?user=root";
    }

    /** A DataSource on this node, session time zone -07:00 as the other MariaDB tests. */
    TestDataSource dataSource() {
      try {
        MariaDbDataSource ds = new MariaDbDataSource(url());
        return new TestDataSource(ds, List.of("SET time_zone = '-07:00'"));
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Starts the node's server: bootstrapping the cluster, or joining the other nodes. */
    void start(boolean bootstrap) throws IOException {
      Files.createDirectories(dir.resolve("tmp"));
      List<String> peers = new ArrayList<>();
      for (Node other : nodes) {
        if (other != this) {
          peers.add("127.0.0.1:" + other.gcommPort);
        }
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(MARIADBD.toString());
      cmd.add("--no-defaults");
      cmd.add("--user=" + System.getProperty("user.name"));
      cmd.add("--datadir=" + dir.resolve("data"));
      // Short: a Unix socket's path is limited to about 100 characters, which a deep checkout's
      // target directory can exceed. Named by the free port, so no other server has it.
      cmd.add("--socket=/tmp/rtgalera-" + sqlPort + ".sock");
      cmd.add("--pid-file=" + dir.resolve("pid"));
      cmd.add("--tmpdir=" + dir.resolve("tmp"));
      cmd.add("--log-error=" + dir.resolve("err.log"));
      cmd.add("--port=" + sqlPort);
      cmd.add("--bind-address=127.0.0.1");
      // Small and fast: the cluster lives for one test class.
      cmd.add("--innodb-buffer-pool-size=32M");
      cmd.add("--innodb-log-file-size=16M");
      cmd.add("--skip-innodb-doublewrite");
      cmd.add("--innodb-flush-log-at-trx-commit=0");
      cmd.add("--performance-schema=OFF");
      cmd.add("--max-connections=100");
      // What Galera requires.
      cmd.add("--binlog-format=ROW");
      cmd.add("--default-storage-engine=InnoDB");
      cmd.add("--innodb-autoinc-lock-mode=2");
      cmd.add("--wsrep-on=ON");
      cmd.add("--wsrep-provider=" + GALERA);
      cmd.add("--wsrep-cluster-name=rttest");
      cmd.add("--wsrep-cluster-address=gcomm://" + (bootstrap ? "" : String.join(",", peers)));
      cmd.add("--wsrep-node-address=127.0.0.1:" + gcommPort);
      cmd.add("--wsrep-node-name=n" + number);
      cmd.add("--wsrep-sst-method=rsync");
      cmd.add("--wsrep-sst-receive-address=127.0.0.1:" + sstPort);
      // A killed node is noticed within seconds, not the default tens of seconds.
      cmd.add(
          "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:"
              + gcommPort
              + ";ist.recv_addr=127.0.0.1:"
              + istPort
              + ";gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT5S"
              + ";evs.install_timeout=PT5S;gmcast.peer_timeout=PT2S");
      if (bootstrap) {
        cmd.add("--wsrep-new-cluster");
      }
      ProcessBuilder pb = new ProcessBuilder(cmd);
      // Files and directories readable and writable by all: the rsync daemon of a state transfer
      // runs as nobody when the server runs as root.
      pb.environment().put("UMASK", "0666");
      pb.environment().put("UMASK_DIR", "0777");
      pb.redirectErrorStream(true);
      pb.redirectOutput(
          ProcessBuilder.Redirect.appendTo(dir.resolve("out-" + (++starts) + ".log").toFile()));
      process = pb.start();
    }

    /** Kills the server at once (SIGKILL): no shutdown, no goodbye to the cluster. */
    void kill() throws InterruptedException {
      Process p = process;
      if (p != null) {
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }

    /** Stops the server (SIGTERM), killing it if it takes too long. */
    void stop() {
      Process p = process;
      if (p == null || !p.isAlive()) {
        return;
      }
      p.destroy();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    /** The node's wsrep state (Synced, Joining, ...), or what prevents reading it. */
    String state() {
      try (Connection c = DriverManager.getConnection(serverUrl() + "&connectTimeout=2000");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW STATUS LIKE 'wsrep_local_state_comment'")) {
        return rs.next() ? rs.getString(2) : "unknown";
      } catch (SQLException e) {
        return "unreachable";
      }
    }

    /** A wsrep status counter of this node. */
    long status(String variable) throws SQLException {
      try (Connection c = DriverManager.getConnection(serverUrl());
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW STATUS LIKE '" + variable + "'")) {
        return rs.next() ? Long.parseLong(rs.getString(2)) : -1;
      }
    }

    /** Waits until the node is Synced with the cluster; fails with its log's tail if it is not. */
    void awaitSynced() throws Exception {
      long deadline = System.nanoTime() + START_DEADLINE.toNanos();
      String state = "";
      while (System.nanoTime() < deadline) {
        Process p = process;
        if (p != null && !p.isAlive()) {
          throw new IllegalStateException(
              "Galera node " + number + " exited with " + p.exitValue() + ":\n" + logTail());
        }
        state = state();
        if (state.equals("Synced")) {
          return;
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException(
          "Galera node "
              + number
              + " not Synced after "
              + START_DEADLINE.toSeconds()
              + " s (last state "
              + state
              + "):\n"
              + logTail());
    }

    String logTail() {
      try {
        List<String> lines = Files.readAllLines(dir.resolve("err.log"));
        return lines.subList(Math.max(0, lines.size() - 40), lines.size()).stream()
            .collect(Collectors.joining("\n"));
      } catch (IOException e) {
        return "(no error log: " + e + ")";
      }
    }
  }

  private final Path root;
  private final List<Node> nodes = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::stopAll, "galera-cluster-stop");

  private GaleraCluster(Path root) {
    this.root = root;
  }

  /**
   * Starts a three-node cluster with database {@code test}, skipping the calling test if the
   * packages are missing.
   */
  static GaleraCluster start() throws Exception {
    for (Path needed : List.of(MARIADBD, INSTALL_DB, GALERA, SST_RSYNC, RSYNC)) {
      assumeTrue(
          Files.isExecutable(needed) || Files.isReadable(needed),
          "Galera tests skipped: "
              + needed
              + " is missing; install Debian's packages mariadb-server, galera-4 and rsync"
              + " (.ci/run does where apt-get is available)");
    }
    Path all = Paths.get("target", "galera").toAbsolutePath();
    deleteTree(all); // earlier runs' data directories, kept for a look after a failure until now
    Path root = all.resolve(Long.toString(System.currentTimeMillis()));
    Files.createDirectories(root);
    GaleraCluster cluster = new GaleraCluster(root);
    Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
    try {
      cluster.boot();
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private void boot() throws Exception {
    List<Integer> ports = freePorts(12);
    for (int i = 0; i < 3; i++) {
      nodes.add(
          new Node(i + 1, ports.subList(4 * i, 4 * i + 4).stream().mapToInt(p -> p).toArray()));
    }
    Node first = nodes.get(0);
    installDb(first.dir.resolve("data"));
    first.start(true);
    first.awaitSynced();
    try (Connection c = DriverManager.getConnection(first.serverUrl());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE IF NOT EXISTS test");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    for (Node joiner : nodes.subList(1, 3)) {
      Path data = joiner.dir.resolve("data");
      Files.createDirectories(data);
      if (root) {
        makeTraversable(data);
        // The joiner's rsync daemon runs as nobody and must own the directory it fills.
        UserPrincipal nobody =
            data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(data, nobody);
      }
    }
    // One state transfer at a time: the donor serves one joiner after the other anyway.
    for (Node joiner : nodes.subList(1, 3)) {
      joiner.start(false);
      joiner.awaitSynced();
    }
  }

  /** Node 1, 2 or 3. */
  Node node(int number) {
    return nodes.get(number - 1);
  }

  /** The number of nodes in the primary component as node {@code number} sees it. */
  long clusterSize(int number) throws SQLException {
    return node(number).status("wsrep_cluster_size");
  }

  /** Stops every node and removes the shutdown hook. */
  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down and runs the hook
    }
  }

  private void stopAll() {
    // Joiners first, so that node 1 leaves last and no one waits for a vanished peer.
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).stop();
    }
  }

  private static void installDb(Path data) throws Exception {
    Files.createDirectories(data.getParent());
    Process p =
        new ProcessBuilder(
                INSTALL_DB.toString(),
                "--no-defaults",
                "--datadir=" + data,
                "--user=" + System.getProperty("user.name"),
                "--auth-root-authentication-method=normal",
                "--skip-test-db")
            .redirectErrorStream(true)
            .redirectOutput(data.getParent().resolve("install-db.log").toFile())
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "mariadb-install-db failed; see " + data.getParent().resolve("install-db.log"));
    }
  }

  /**
   * Every directory from {@code dir} up lets others pass (x), as the joiner's rsync daemon, running
   * as nobody, must reach its directory; the directories under target/ are made so, anything above
   * is only checked.
   */
  private static void makeTraversable(Path dir) throws IOException {
    Path target = dir;
    while (target != null && !"target".equals(String.valueOf(target.getFileName()))) {
      target = target.getParent();
    }
    for (Path p = dir.getParent(); p != null; p = p.getParent()) {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      if (perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
        continue;
      }
      if (target != null && p.startsWith(target)) {
        perms.add(PosixFilePermission.OTHERS_EXECUTE);
        Files.setPosixFilePermissions(p, perms);
      } else {
        assumeTrue(
            false,
            "Galera tests skipped: "
                + p
                + " does not let others through (o+x), which the state transfer's rsync"
                + " daemon (running as nobody) needs to reach "
                + dir);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static List<Integer> freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports.add(s.getLocalPort());
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a listening socket we opened
        }
      }
    }
  }
}
