package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The failover journal's option: its window is checked at once, and it needs PostgreSQL. */
class FailoverJournalOptionsTest {

  @Test
  void a_window_under_one_second_is_refused_naming_it() {
    JdbcTrackerStore.Builder b = JdbcTrackerStore.builder(Databases.h2());
    assertThatThrownBy(() -> b.failoverJournal(Duration.ofMillis(999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failoverJournal window must be at least 1 second: PT0.999S");
    assertThatThrownBy(() -> b.failoverJournal(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("window must not be null");
  }

  @Test
  void the_journal_on_a_database_other_than_postgresql_fails_the_build() {
    assertThatThrownBy(
            () ->
                JdbcTrackerStore.builder(Databases.h2())
                    .tablePrefix(Databases.PREFIX)
                    .failoverJournal(Duration.ofMinutes(1))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "failoverJournal needs PostgreSQL (it tells a promoted standby by its timeline); the"
                + " dialect is H2");
  }
}
