package io.recordtracker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.TrackerStoreException.Reason;
import io.recordtracker.UnknownBatchException;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exit code of each failure: a switch on the store's reason, not on its message. */
class ExitTest {

  @Test
  void each_store_failure_reason_has_one_exit_code() {
    Map<Reason, Integer> expected = new EnumMap<>(Reason.class);
    expected.put(Reason.UNREACHABLE, 69);
    expected.put(Reason.AUTHENTICATION, 77);
    expected.put(Reason.MISSING_DATABASE, 74);
    expected.put(Reason.MISSING_SCHEMA, 74);
    expected.put(Reason.READ_ONLY, 74);
    expected.put(Reason.TIMEOUT, 74);
    expected.put(Reason.CORRUPT_DATA, 74);
    expected.put(Reason.OTHER, 74);
    assertThat(expected.keySet()).containsExactly(Reason.values());
    expected.forEach(
        (reason, code) ->
            assertThat(Exit.of(new TrackerStoreException(reason, "a message without hints")))
                .as(reason.name())
                .isEqualTo(code));
  }

  @Test
  void the_message_does_not_decide_the_exit_code() {
    assertThat(Exit.of(new TrackerStoreException(Reason.OTHER, "Connection refused, 08001")))
        .isEqualTo(74);
    assertThat(
            Exit.of(
                new TrackerStoreException(
                    Reason.UNREACHABLE, "x", new java.sql.SQLException("x", "28P01"))))
        .isEqualTo(69);
  }

  @Test
  void other_failures_keep_their_codes() {
    assertThat(Exit.of(new UnknownBatchException(BatchId.of("B")))).isEqualTo(66);
    assertThat(Exit.of(new CliException(78, "unset"))).isEqualTo(78);
    assertThat(Exit.of(new IllegalArgumentException("bad"))).isEqualTo(64);
    assertThat(Exit.of(new IllegalStateException("bug"))).isEqualTo(1);
  }

  @Test
  void store_failures_are_told_in_the_commands_words() {
    assertThat(
            FailureText.of(
                new TrackerStoreException(
                    Reason.MISSING_SCHEMA,
                    "create the tables with createSchema(true)",
                    new java.sql.SQLException("Table \"X_BATCH\" not found", "42S02")),
                "x_"))
        .isEqualTo(
            "the tracker's tables (x_*) are missing or lack a column (Table \"X_BATCH\" not found);"
                + " if the tables do not exist yet, add --create-schema, or check --table-prefix");
    assertThat(FailureText.of(new UnknownBatchException(BatchId.of("B-1")), "x_"))
        .isEqualTo(
            "no batch B-1 in the store (table x_batch): it was never opened, or it was purged");
  }
}
