package io.recordtracker.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  private final HikariDataSource pool;
  private final EmbeddedPostgres embedded;
  private final String where;
  private final String url;

  private BenchDatabase(String url, EmbeddedPostgres embedded, String where) {
    this.pool = pool(url);
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
    String url = System.getenv(PG_URL_ENV);
    if (url != null && !url.isBlank()) {
      return new BenchDatabase(url, null, "PostgreSQL server at " + PG_URL_ENV);
    }
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
      return new BenchDatabase(
          pg.getJdbcUrl("postgres", "postgres"), pg, "embedded PostgreSQL (zonky)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
    }
  }

  private static HikariDataSource pool(String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(4);
    config.setPoolName("rtbench");
    return new HikariDataSource(config);
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
