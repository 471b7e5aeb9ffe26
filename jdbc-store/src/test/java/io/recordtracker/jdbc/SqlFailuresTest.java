package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which database errors the store retries, and which mean "locked, try later". */
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
}
