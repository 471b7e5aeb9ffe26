package io.recordtracker.jdbc;

import io.recordtracker.TrackerStoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the store's work on connections it borrows from the DataSource, one per operation: every
 * statement cancelled past the query timeout, every blocking read bounded by the network timeout,
 * transactions committed or rolled back, retryable failures retried, and every other failure
 * translated into a {@link TrackerStoreException} saying what to do.
 */
final class JdbcRunner {

  /** How many times retryable work is tried. */
  static final int ATTEMPTS = 4;

  private static final Logger log = LoggerFactory.getLogger(JdbcRunner.class);

  private final DataSource dataSource;
  private final int queryTimeoutSeconds;
  private final NetworkTimeout networkTimeout;
  private final SqlFailures failures;
  private final boolean galera;

  JdbcRunner(DataSource dataSource, int queryTimeoutSeconds, SqlFailures failures) {
    this(dataSource, queryTimeoutSeconds, failures, false);
  }

  /** With {@code galera}: retries of certification conflicts are logged at INFO. */
  JdbcRunner(DataSource dataSource, int queryTimeoutSeconds, SqlFailures failures, boolean galera) {
    this.galera = galera;
    this.dataSource = dataSource;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
    this.networkTimeout = new NetworkTimeout(queryTimeoutSeconds);
    this.failures = failures;
  }

  /** Work on a connection. */
  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** The query timeout of every statement {@link #prepare} makes, in seconds. */
  int queryTimeoutSeconds() {
    return queryTimeoutSeconds;
  }

  /** Explains failures of the store's tables. */
  SqlFailures failures() {
    return failures;
  }

  /** A statement on one of the store's own connections, cancelled past the query timeout. */
  PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      ps.setQueryTimeout(queryTimeoutSeconds);
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
    return ps;
  }

  /** Runs {@code work} on a borrowed connection; a failure is translated, naming {@code what}. */
  <T> T withConnection(String what, SqlWork<T> work) {
    try {
      return borrowed(work);
    } catch (SQLException e) {
      throw failures.translate(what, e);
    }
  }

  /** Runs {@code work} on a borrowed connection, leaving its failure to the caller. */
  <T> T borrowed(SqlWork<T> work) throws SQLException {
    return borrowed(dataSource, networkTimeout, work);
  }

  /**
   * Runs {@code work} on a connection borrowed from {@code dataSource}, its every blocking read
   * bounded by {@code timeout} (see {@link NetworkTimeout}) until it goes back to the pool.
   */
  static <T> T borrowed(DataSource dataSource, NetworkTimeout timeout, SqlWork<T> work)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      int previous = timeout.apply(c);
      try {
        return work.run(c);
      } finally {
        timeout.restore(c, previous);
      }
    }
  }

  /**
   * Runs {@code work} in one transaction; retries it on deadlocks, lock timeouts and races that a
   * fresh attempt resolves, when {@code retry} (the work must then be idempotent).
   */
  <T> T inTransaction(String what, boolean retry, SqlWork<T> work) {
    return inTransaction(what, retry, NO_ISOLATION, work);
  }

  /**
   * As {@link #inTransaction(String, boolean, SqlWork)}, at READ COMMITTED whatever the pool's
   * default, so that each statement sees what committed before it: what a transaction needs that
   * locks a row and then reads what others wrote until they released it. Retried.
   */
  <T> T inReadCommittedTransaction(String what, SqlWork<T> work) {
    return inTransaction(what, true, Connection.TRANSACTION_READ_COMMITTED, work);
  }

  /** The pool's own isolation level, left as it is. */
  private static final int NO_ISOLATION = -1;

  private <T> T inTransaction(String what, boolean retry, int isolation, SqlWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return transactionOnce(isolation, work);
      } catch (SQLException e) {
        if (!retry || attempt >= ATTEMPTS || !SqlFailures.isRetryable(e)) {
          throw failures.translate(what, e);
        }
        if (galera && SqlFailures.isDeadlock(e)) {
          // On Galera a deadlock at commit is mostly a certification conflict: another node
          // committed a write to the same row first. Worth seeing how often it happens.
          log.info(
              "{} met a certification conflict on the Galera cluster ({}); attempt {} of {}",
              what,
              e.getMessage(),
              attempt + 1,
              ATTEMPTS);
        } else {
          log.debug("{} hit {}; attempt {} of {}", what, e.getMessage(), attempt + 1, ATTEMPTS);
        }
        pause(attempt);
      }
    }
  }

  private <T> T transactionOnce(int isolation, SqlWork<T> work) throws SQLException {
    return borrowed(
        c -> {
          int previous = c.getTransactionIsolation();
          boolean switched = isolation != NO_ISOLATION && previous != isolation;
          if (switched) {
            c.setTransactionIsolation(isolation); // before the transaction begins
          }
          try {
            return transactionOnce(c, work);
          } finally {
            if (switched) {
              try {
                c.setTransactionIsolation(previous); // after it ended: the pool's level again
              } catch (SQLException e) {
                // The connection is most likely broken, and the pool discards it; if not, it goes
                // back at this transaction's level, which its next borrower should know of.
                log.warn(
                    "Could not set the connection's isolation level back to {} after a"
                        + " transaction at {}: {}",
                    previous,
                    isolation,
                    e.toString());
              }
            }
          }
        });
  }

  private static <T> T transactionOnce(Connection c, SqlWork<T> work) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    if (autoCommit) {
      c.setAutoCommit(false);
    }
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException | Error e) {
      try {
        c.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } finally {
      if (autoCommit) {
        try {
          c.setAutoCommit(true);
        } catch (SQLException ignored) {
          // the connection is broken; closing it is all that is left
        }
      }
    }
  }

  /** Waits a little before attempt {@code attempt} + 1, longer the more attempts failed. */
  static void pause(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(10, 50) * (long) attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackerStoreException("interrupted while retrying", e);
    }
  }
}
