package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.TrackerStoreException;
import io.recordtracker.TrackerStoreException.Reason;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Which database errors the store retries, which mean "locked, try later", and the reason each
 * failure is reported with.
 */
class SqlFailuresTest {

  @Test
  void mariadb_deadlock_lock_wait_timeout_and_auto_increment_failure_are_retried() {
    assertThat(SqlFailures.isRetryable(new SQLException("Deadlock found", "40001", 1213))).isTrue();
    assertThat(SqlFailures.isRetryable(new SQLException("Lock wait timeout", "HY000", 1205)))
        .isTrue();
    assertThat(
            SqlFailures.isRetryable(
                new SQLException("Failed to read auto-increment value", "HY000", 1467)))
        .isTrue();
    assertThat(SqlFailures.isRetryable(new SQLException("Syntax error", "42000", 1064))).isFalse();
  }

  @Test
  void a_retryable_error_wrapped_in_a_batch_update_exception_is_retried() {
    SQLException cause = new SQLException("Failed to read auto-increment value", "HY000", 1467);
    BatchUpdateException asCause = new BatchUpdateException("batch failed", new int[0], cause);
    assertThat(SqlFailures.isRetryable(asCause)).isTrue();
    BatchUpdateException asNext = new BatchUpdateException("batch failed", new int[0]);
    asNext.setNextException(new SQLException("Deadlock found", "40001", 1213));
    assertThat(SqlFailures.isRetryable(asNext)).isTrue();
  }

  @Test
  void nowait_on_a_locked_row_is_recognised_in_each_dialect() {
    assertThat(SqlFailures.isLockUnavailable(new SQLException("Lock wait timeout", "HY000", 1205)))
        .isTrue(); // MariaDB
    assertThat(SqlFailures.isLockUnavailable(new SQLException("NOWAIT is set", "HY000", 3572)))
        .isTrue(); // MySQL 8
    assertThat(SqlFailures.isLockUnavailable(new SQLException("could not obtain lock", "55P03")))
        .isTrue(); // PostgreSQL
    assertThat(SqlFailures.isLockUnavailable(new SQLException("Deadlock found", "40001", 1213)))
        .isFalse();
  }

  private static Reason reason(SQLException e) {
    TrackerStoreException translated = new SqlFailures("rt_", "ddl.sql", 7).translate("x", e);
    assertThat(translated.getCause()).isSameAs(e);
    return translated.reason();
  }

  @Test
  void refused_and_unresolvable_connections_are_unreachable() {
    assertThat(reason(new SQLException("The connection attempt failed.", "08001")))
        .isEqualTo(Reason.UNREACHABLE); // PostgreSQL
    SQLException unknownHost =
        new SQLNonTransientConnectionException(
            "Socket fail to connect to db.invalid. db.invalid",
            "08000",
            0,
            new UnknownHostException("db.invalid"));
    assertThat(reason(unknownHost)).isEqualTo(Reason.UNREACHABLE); // MariaDB
    assertThat(new SqlFailures("rt_", "ddl.sql").explain(unknownHost))
        .startsWith("the database is unreachable: the host db.invalid could not be resolved (");
    SQLException refused =
        new SQLException("I/O error", "", 0, new ConnectException("Connection refused"));
    assertThat(reason(refused)).isEqualTo(Reason.UNREACHABLE);
  }

  @Test
  void rejected_credentials_are_authentication() {
    assertThat(reason(new SQLException("password authentication failed", "28P01")))
        .isEqualTo(Reason.AUTHENTICATION); // PostgreSQL
    assertThat(reason(new SQLException("Access denied for user", "28000", 1045)))
        .isEqualTo(Reason.AUTHENTICATION); // MariaDB
    assertThat(reason(new SQLException("Wrong user name or password", "28000", 28000)))
        .isEqualTo(Reason.AUTHENTICATION); // H2
  }

  @Test
  void a_database_that_does_not_exist_is_missing_database_not_missing_schema() {
    assertThat(reason(new SQLException("FATAL: database \"nosuch\" does not exist", "3D000")))
        .isEqualTo(Reason.MISSING_DATABASE); // PostgreSQL
    assertThat(reason(new SQLException("Unknown database 'nosuch'", "42000", 1049)))
        .isEqualTo(Reason.MISSING_DATABASE); // MariaDB
    assertThat(
            reason(
                new SQLNonTransientConnectionException(
                    "Database \"/tmp/nosuch\" not found, and IFEXISTS=true", "90146", 90146)))
        .isEqualTo(Reason.MISSING_DATABASE); // H2
    assertThat(
            new SqlFailures("rt_", "ddl.sql")
                .explain(new SQLException("Unknown database 'nosuch'", "42000", 1049)))
        .startsWith("the database does not exist (Unknown database 'nosuch'); create it");
  }

  @Test
  void a_missing_table_or_column_is_missing_schema() {
    assertThat(reason(new SQLException("relation \"rt_batch\" does not exist", "42P01")))
        .isEqualTo(Reason.MISSING_SCHEMA); // PostgreSQL
    assertThat(reason(new SQLException("Table 'test.rt_batch' doesn't exist", "42S02", 1146)))
        .isEqualTo(Reason.MISSING_SCHEMA); // MariaDB
    assertThat(reason(new SQLException("Table \"RT_BATCH\" not found", "42S02", 42102)))
        .isEqualTo(Reason.MISSING_SCHEMA); // H2
    assertThat(reason(new SQLException("Unknown column 'marks'", "42S22", 1054)))
        .isEqualTo(Reason.MISSING_SCHEMA);
  }

  @Test
  void a_read_only_database_or_connection_is_read_only() {
    assertThat(
            reason(new SQLException("cannot execute INSERT in a read-only transaction", "25006")))
        .isEqualTo(Reason.READ_ONLY); // PostgreSQL
    assertThat(reason(new SQLException("running with the --read-only option", "HY000", 1290)))
        .isEqualTo(Reason.READ_ONLY); // MariaDB
    assertThat(reason(new SQLException("The database is read only", "90097", 90097)))
        .isEqualTo(Reason.READ_ONLY); // H2
  }

  @Test
  void a_cancelled_statement_is_timeout() {
    assertThat(reason(new SQLException("canceling statement due to user request", "57014")))
        .isEqualTo(Reason.TIMEOUT); // PostgreSQL
    assertThat(reason(new SQLException("max_statement_time exceeded", "70100", 1969)))
        .isEqualTo(Reason.TIMEOUT); // MariaDB
    assertThat(reason(new SQLTimeoutException("Statement was canceled", "57014", 57014)))
        .isEqualTo(Reason.TIMEOUT); // H2
  }

  @Test
  void anything_else_is_other() {
    assertThat(reason(new SQLException("syntax error at or near", "42601")))
        .isEqualTo(Reason.OTHER);
    assertThat(reason(new SQLException("permission denied for table rt_batch", "42501")))
        .isEqualTo(Reason.OTHER);
    assertThat(reason(new SQLException("no state"))).isEqualTo(Reason.OTHER);
  }

  @Test
  void existing_constructors_give_other() {
    assertThat(new TrackerStoreException("m").reason()).isEqualTo(Reason.OTHER);
    assertThat(new TrackerStoreException("m", new RuntimeException()).reason())
        .isEqualTo(Reason.OTHER);
  }
}
