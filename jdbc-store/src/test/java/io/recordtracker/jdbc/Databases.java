package io.recordtracker.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The databases the tests run against, each with a session time zone other than the JVM's (surefire
 * runs the tests with {@code -Duser.timezone=Asia/Kathmandu}, UTC+05:45).
 */
final class Databases {

  /** The env variable with a JDBC URL of a PostgreSQL server to test against. */
  static final String PG_URL = "RECORDTRACKER_PG_URL";

  /** The env variable with a JDBC URL of a MariaDB server to test against. */
  static final String MARIADB_URL = "RECORDTRACKER_MARIADB_URL";

  /** Table prefix of this module's tests, apart from other modules' tests on shared servers. */
  static final String PREFIX = "rtjdbc_";

  private Databases() {}

  /** A shared in-memory H2 database, session time zone America/Sao_Paulo. */
  static TestDataSource h2() {
    return h2("rtjdbc");
  }

  static TestDataSource h2(String name) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
    return new TestDataSource(ds, List.of("SET TIME ZONE 'America/Sao_Paulo'"));
  }

  /** The embedded PostgreSQL of this JVM, session time zone America/Los_Angeles. */
  static TestDataSource embeddedPostgres() {
    return new TestDataSource(
        EmbeddedPg.INSTANCE.getPostgresDatabase(), List.of("SET TIME ZONE 'America/Los_Angeles'"));
  }

  /** The JDBC URL of the embedded PostgreSQL, for child JVMs. */
  static String embeddedPostgresUrl() {
    return EmbeddedPg.INSTANCE.getJdbcUrl("postgres", "postgres");
  }

  /**
   * The embedded PostgreSQL reached at 127.0.0.1:{@code port} (a proxy in front of it), session
   * time zone America/Los_Angeles. Opening a connection gives up after {@code loginTimeoutSeconds},
   * as a pool's connection timeout would; no socket timeout is set, so nothing but the store bounds
   * a read on an open connection.
   */
  static TestDataSource embeddedPostgresAt(int port, int loginTimeoutSeconds) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setLoginTimeout(loginTimeoutSeconds);
    return new TestDataSource(ds, List.of("SET TIME ZONE 'America/Los_Angeles'"));
  }

  /** The port the embedded PostgreSQL listens on (127.0.0.1). */
  static int embeddedPostgresPort() {
    return EmbeddedPg.INSTANCE.getPort();
  }

  /** The PostgreSQL server at $RECORDTRACKER_PG_URL; skips the test if it is not set. */
  static TestDataSource postgresServer() {
    String url = System.getenv(PG_URL);
    assumeTrue(
        url != null && !url.isBlank(),
        "PostgreSQL server tests skipped: set "
            + PG_URL
            + " (e.g. jdbc:postgresql://127.0.0.1:5432/test?user=postgres) to run them");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    return new TestDataSource(ds, List.of("SET TIME ZONE 'America/New_York'"));
  }

  /** The MariaDB server at $RECORDTRACKER_MARIADB_URL; skips the test if it is not set. */
  static TestDataSource mariadb() {
    return mariadb(List.of());
  }

  /**
   * The MariaDB server at $RECORDTRACKER_MARIADB_URL, running {@code sessionSql} on every new
   * connection after setting the time zone; skips the test if it is not set.
   */
  static TestDataSource mariadb(List<String> sessionSql) {
    String url = System.getenv(MARIADB_URL);
    assumeTrue(
        url != null && !url.isBlank(),
        "MariaDB tests skipped: set "
            + MARIADB_URL
            + " (e.g. jdbc:mariadb://127.0.0.1:3306/test?user=root) to run them");
    try {
      List<String> session = new java.util.ArrayList<>(List.of("SET time_zone = '-07:00'"));
      session.addAll(sessionSql);
      return new TestDataSource(new MariaDbDataSource(url), session);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("bad " + MARIADB_URL + ": " + url, e);
    }
  }

  /** One embedded PostgreSQL per JVM, started on first use and stopped when the JVM exits. */
  private static final class EmbeddedPg {
    static final EmbeddedPostgres INSTANCE = start();

    private static EmbeddedPostgres start() {
      try {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        pg.close();
                      } catch (IOException ignored) {
                        // the JVM is exiting
                      }
                    }));
        return pg;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
  }

  /** Every table of the store, those that reference others first: the order to drop them in. */
  static final List<String> TABLES =
      List.of("alert", "stage_name", "marks", "stage", "batch_attr", "batch");

  /** Drops every table of the store with {@code prefix} that exists (a test's own tables). */
  static void dropTables(javax.sql.DataSource ds, String prefix) throws java.sql.SQLException {
    try (java.sql.Connection c = ds.getConnection();
        java.sql.Statement s = c.createStatement()) {
      for (String table : TABLES) {
        s.execute("DROP TABLE IF EXISTS " + prefix + table);
      }
    }
  }

  /** The dialect of a database named as the parameterized tests name them. */
  static JdbcDialect dialect(String db) {
    return "h2".equals(db)
        ? JdbcDialect.H2
        : "mariadb".equals(db) ? JdbcDialect.MYSQL : JdbcDialect.POSTGRESQL;
  }
}
