package io.recordtracker.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Optional;

/**
 * How far a PostgreSQL standby is behind its primary, in time: zero while it streams and has
 * replayed everything it received, otherwise the age of the last transaction it replayed (which
 * grows while the primary commits and the standby does not follow, and also while a disconnected
 * standby waits).
 */
final class ReplicationLag {

  /** Null on a primary, or when the standby has replayed no transaction yet. */
  static final String POSTGRES =
      "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL"
          + " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
          + " AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0"
          + " ELSE GREATEST(0, (EXTRACT(EPOCH FROM clock_timestamp()"
          + " - pg_last_xact_replay_timestamp()) * 1000)::bigint) END";

  private final JdbcRunner runner;
  private final JdbcDialect dialect;

  ReplicationLag(JdbcRunner runner, JdbcDialect dialect) {
    this.runner = runner;
    this.dialect = dialect;
  }

  Optional<Duration> read() {
    if (dialect != JdbcDialect.POSTGRESQL) {
      return Optional.empty();
    }
    return runner.withConnection(
        "read the replication lag",
        c -> {
          try (PreparedStatement ps = runner.prepare(c, POSTGRES);
              ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Optional.<Duration>empty();
            }
            long millis = rs.getLong(1);
            return rs.wasNull()
                ? Optional.<Duration>empty()
                : Optional.of(Duration.ofMillis(millis));
          }
        });
  }
}
