package io.recordtracker.jdbc;

import io.recordtracker.TrackerStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the store learns about the server behind a DataSource when it is built, beyond the dialect:
 * whether it is a node of a MariaDB Galera cluster (certification conflicts at commit are retried
 * and logged), a PostgreSQL standby in recovery (the store is then read-only: {@link
 * JdbcTrackerStore#readOnly()}), a Citus coordinator (logged with the distribution column), or an
 * engine that speaks PostgreSQL's protocol without what the store relies on (CockroachDB, whose
 * advisory locks are no-ops: refused with a message).
 *
 * <p>A probe the server does not answer (a missing privilege, a variable it lacks) counts as "no":
 * the store then behaves as on a single server, as before these probes existed.
 */
record DatabaseTraits(boolean galera, boolean standby, boolean citus) {

  private static final Logger log = LoggerFactory.getLogger(DatabaseTraits.class);

  /** What was logged at INFO, once per JVM and server kind, so that many stores log it once. */
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

  /** A single server, or a database that was not probed (H2). */
  static final DatabaseTraits PLAIN = new DatabaseTraits(false, false, false);

  /**
   * Probes the server behind {@code dataSource} for {@code dialect}.
   *
   * @throws TrackerStoreException if the server is an engine the store does not support, or the
   *     database is unreachable
   */
  static DatabaseTraits detect(
      DataSource dataSource, JdbcDialect dialect, String prefix, Duration queryTimeout) {
    if (dialect == JdbcDialect.H2) {
      return PLAIN;
    }
    NetworkTimeout timeout = new NetworkTimeout((int) queryTimeout.toSeconds());
    DatabaseTraits traits;
    try {
      traits =
          JdbcRunner.borrowed(
              dataSource,
              timeout,
              c -> dialect == JdbcDialect.MYSQL ? mysql(c) : postgres(c, prefix));
    } catch (SQLException e) {
      throw new SqlFailures(prefix, dialect.ddlResource())
          .translate("connecting to probe the database server", e);
    }
    traits.announce(prefix);
    return traits;
  }

  private static DatabaseTraits mysql(Connection c) {
    // SHOW VARIABLES answers with no row where the variable does not exist (MySQL, MariaDB
    // without wsrep), so the probe never fails on a plain server.
    String wsrepOn = variable(c, "SHOW VARIABLES LIKE 'wsrep_on'");
    String provider = variable(c, "SHOW VARIABLES LIKE 'wsrep_provider'");
    boolean galera =
        "ON".equalsIgnoreCase(wsrepOn)
            && provider != null
            && !provider.isBlank()
            && !"none".equalsIgnoreCase(provider);
    return new DatabaseTraits(galera, false, false);
  }

  private static DatabaseTraits postgres(Connection c, String prefix) {
    String version = single(c, "SELECT version()");
    if (version != null && version.toLowerCase(Locale.ROOT).contains("cockroachdb")) {
      throw new TrackerStoreException(
          "the database is CockroachDB ("
              + version
              + "), which speaks PostgreSQL's protocol but not all of what the store relies on:"
              + " its advisory locks are no-ops (creating the "
              + prefix
              + "* tables from several processes at once is not serialised) and it runs every"
              + " transaction at SERIALIZABLE, which the seal's READ COMMITTED read of the marks"
              + " does not expect. It is not supported; see docs/jdbc.md for the engines that are.");
    }
    boolean standby =
        "1".equals(single(c, "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END"));
    boolean citus =
        single(c, "SELECT extversion FROM pg_extension WHERE extname = 'citus'") != null;
    return new DatabaseTraits(false, standby, citus);
  }

  private void announce(String prefix) {
    if (galera && ANNOUNCED.add("galera " + prefix)) {
      log.info(
          "The database is a node of a MariaDB Galera cluster (wsrep_on=ON): the {} tables are"
              + " written on this node and replicated; certification conflicts at commit (reported"
              + " as deadlocks, error 1213) are retried up to {} times",
          prefix,
          JdbcRunner.ATTEMPTS);
    }
    if (standby && ANNOUNCED.add("standby " + prefix)) {
      log.info(
          "The database is a PostgreSQL standby in recovery (pg_is_in_recovery()): the store on"
              + " the {} tables is read-only; reconcile does not record completions here (a store on"
              + " the primary records them), and writes fail with reason READ_ONLY",
          prefix);
    }
    if (citus && ANNOUNCED.add("citus " + prefix)) {
      log.info(
          "The database has the Citus extension: distribute the {} tables by batch_id (see"
              + " docs/jdbc.md); the store is documented but not tested on Citus",
          prefix);
    }
  }

  /** The value column of a SHOW VARIABLES row, or null if there is none or the probe fails. */
  private static String variable(Connection c, String sql) {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(2) : null;
    } catch (SQLException e) {
      log.debug("Probe {} failed: {}", sql, e.toString());
      return null;
    }
  }

  /** The first column of the first row, or null if there is none or the probe fails. */
  private static String single(Connection c, String sql) {
    boolean autoCommit = true;
    try {
      autoCommit = c.getAutoCommit();
    } catch (SQLException ignored) {
      // asked again below by the statement itself
    }
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      log.debug("Probe {} failed: {}", sql, e.toString());
      if (!autoCommit) {
        try {
          c.rollback(); // a failed statement aborts PostgreSQL's transaction
        } catch (SQLException ignored) {
          // the connection goes back to the pool, which resets it
        }
      }
      return null;
    }
  }
}
