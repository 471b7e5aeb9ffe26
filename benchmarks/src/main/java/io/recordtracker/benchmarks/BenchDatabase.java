package io.recordtracker.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * A database for the benchmarks, behind a small HikariCP pool: an in-memory H2, or PostgreSQL (the
 * server at {@code $RECORDTRACKER_PG_URL} when it is set, otherwise an embedded PostgreSQL started
 * for this JVM and stopped by {@link #close()}).
 */
final class BenchDatabase implements AutoCloseable {

  /** The environment variable with the JDBC URL of a PostgreSQL server to use. */
  static final String PG_URL_ENV = "RECORDTRACKER_PG_URL";

  /** The environment variable with the JDBC URL of a MariaDB server to use. */
  static final String MARIADB_URL_ENV = "RECORDTRACKER_MARIADB_URL";

  /** The pool size of the benchmarks' pools unless one says otherwise. */
  static final int DEFAULT_POOL_SIZE = 4;

  private final HikariDataSource pool;
  private final EmbeddedPostgres embedded;
  private final String where;
  private final String url;

  private BenchDatabase(String url, EmbeddedPostgres embedded, String where) {
    this(url, DEFAULT_POOL_SIZE, embedded, where);
  }

  private BenchDatabase(String url, int poolSize, EmbeddedPostgres embedded, String where) {
    this.pool = pool(url, poolSize);
    this.embedded = embedded;
    this.where = where;
    this.url = url;
  }

  /** The database at {@code url}, as another process of the benchmark opened it. */
  static BenchDatabase at(String url, String where) {
    return new BenchDatabase(url, null, where);
  }

  /** The JDBC URL, for a child process to open the same database. */
  String jdbcUrl() {
    return url;
  }

  /** Where the database is, as {@link #describe()} says after the product. */
  String where() {
    return where;
  }

  /**
   * Opens {@code kind}: {@code h2} or {@code postgres}.
   *
   * @throws IllegalArgumentException for any other kind
   */
  static BenchDatabase open(String kind) {
    switch (kind.toLowerCase(Locale.ROOT)) {
      case "h2":
        return new BenchDatabase(
            "jdbc:h2:mem:rtbench;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", null, "in-memory H2");
      case "postgres":
      case "postgresql":
        return postgres();
      default:
        throw new IllegalArgumentException("database must be h2 or postgres: " + kind);
    }
  }

  /** PostgreSQL at $RECORDTRACKER_PG_URL, or an embedded one. */
  static BenchDatabase postgres() {
    return postgres(DEFAULT_POOL_SIZE);
  }

  /** PostgreSQL at $RECORDTRACKER_PG_URL, or an embedded one, behind a pool of {@code poolSize}. */
  static BenchDatabase postgres(int poolSize) {
    String url = System.getenv(PG_URL_ENV);
    if (url != null && !url.isBlank()) {
      return new BenchDatabase(url, poolSize, null, "PostgreSQL server at " + PG_URL_ENV);
    }
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
      return new BenchDatabase(
          pg.getJdbcUrl("postgres", "postgres"), poolSize, pg, "embedded PostgreSQL (zonky)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  /**
   * MariaDB at $RECORDTRACKER_MARIADB_URL behind a pool of {@code poolSize}, or null if it is not
   * set.
   */
  static BenchDatabase mariadbIfSet(int poolSize) {
    String url = System.getenv(MARIADB_URL_ENV);
    if (url == null || url.isBlank()) {
      return null;
    }
    return new BenchDatabase(url, poolSize, null, "MariaDB server at " + MARIADB_URL_ENV);
  }

  private static HikariDataSource pool(String url, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("rtbench");
    return new HikariDataSource(config);
  }

  /**
   * The CPU time (user and system) the embedded PostgreSQL's processes have used so far, in
   * nanoseconds, from {@code /proc} (Linux): its postmaster, found by its port, and every process
   * it started; -1 for a server not started here or where {@code /proc} cannot say. Processes that
   * exited are not counted (PostgreSQL's backends live as long as the pool's connections).
   */
  long serverCpuNanos() {
    if (embedded == null) {
      return -1;
    }
    try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
      List<long[]> stats = new ArrayList<>(); // pid, ppid, ticks
      String port = "-p " + embedded.getPort();
      long postmaster = -1;
      for (Path proc : procs.toList()) {
        String name = proc.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(proc.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long pid = Long.parseLong(name);
          stats.add(
              new long[] {
                pid, Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12])
              });
          String cmd = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
          if (cmd.contains("postgres") && cmd.contains(port + " ")) {
            postmaster = pid;
          }
        } catch (IOException | RuntimeException gone) {
          // the process exited while being read
        }
      }
      if (postmaster < 0) {
        return -1;
      }
      long ticks = 0;
      for (long[] st : stats) {
        if (st[0] == postmaster || st[1] == postmaster) {
          ticks += st[2];
        }
      }
      return ticks * 10_000_000L; // USER_HZ = 100 on Linux
    } catch (IOException e) {
      return -1;
    }
  }

  DataSource dataSource() {
    return pool;
  }

  /** Where the database is and its product name and version, for result tables. */
  String describe() {
    try (Connection c = pool.getConnection()) {
      DatabaseMetaData md = c.getMetaData();
      return md.getDatabaseProductName() + " " + md.getDatabaseProductVersion() + ", " + where;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read database metadata", e);
    }
  }

  boolean isPostgres() {
    try (Connection c = pool.getConnection()) {
      return c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read database metadata", e);
    }
  }

  /** The tables of the current schema whose names start with {@code prefix} (lower case). */
  List<String> tablesStartingWith(String prefix) {
    List<String> names = new ArrayList<>();
    try (Connection c = pool.getConnection();
        ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
      String schema = c.getSchema();
      while (rs.next()) {
        String name = rs.getString("TABLE_NAME");
        String tableSchema = rs.getString("TABLE_SCHEM");
        if (name.toLowerCase(Locale.ROOT).startsWith(prefix)
            && (schema == null || schema.equalsIgnoreCase(tableSchema))) {
          names.add(name.toLowerCase(Locale.ROOT));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot list tables", e);
    }
    return names;
  }

  /** Drops every table of the current schema whose name starts with {@code prefix}. */
  void dropTablesStartingWith(String prefix) {
    List<String> tables = tablesStartingWith(prefix);
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      for (String table : tables) {
        st.execute("DROP TABLE IF EXISTS " + table + " CASCADE");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop tables " + tables, e);
    }
  }

  /**
   * The sum of {@code pg_total_relation_size} (heap, indexes, TOAST, free space maps) of every
   * table whose name starts with {@code prefix}. PostgreSQL only.
   */
  long totalRelationSize(String prefix) {
    long total = 0;
    for (String table : tablesStartingWith(prefix)) {
      try (Connection c = pool.getConnection();
          PreparedStatement ps =
              c.prepareStatement("SELECT pg_total_relation_size(CAST(? AS regclass))")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          total += rs.getLong(1);
        }
      } catch (SQLException e) {
        throw new IllegalStateException("cannot measure " + table, e);
      }
    }
    return total;
  }

  @Override
  public void close() {
    pool.close();
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stop embedded PostgreSQL", e);
      }
    }
  }
}
