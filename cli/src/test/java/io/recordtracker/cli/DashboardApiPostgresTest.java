package io.recordtracker.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The dashboard's JSON API on an embedded PostgreSQL. */
class DashboardApiPostgresTest extends DashboardApiCases {

  /** One embedded PostgreSQL for the JVM's dashboard tests, stopped when the JVM exits. */
  static final class Postgres {
    static final EmbeddedPostgres INSTANCE = start();

    private static EmbeddedPostgres start() {
      try {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(pg)));
        return pg;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
      try {
        pg.close();
      } catch (IOException ignored) {
        // the JVM is exiting
      }
    }
  }

  @Override
  String url() {
    return Postgres.INSTANCE.getJdbcUrl("postgres", "postgres");
  }

  @Override
  String user() {
    return "postgres";
  }

  @Override
  String password() {
    return null;
  }
}
