package io.recordtracker.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReplayOptionsTest {

  @Test
  void defaults_replay_the_incident_at_its_real_size_on_the_embedded_database() {
    ReplayOptions o = ReplayOptions.parse();
    assertThat(o.records).isEqualTo(486_000);
    assertThat(o.role).isEqualTo(ReplayOptions.Role.REPLAY);
    assertThat(o.jdbcUrl).isNull();
    assertThat(o.patch).isTrue();
  }

  @Test
  void options_are_read_with_their_values() {
    ReplayOptions o =
        ReplayOptions.parse(
            "--records",
            "10_000_000",
            "--role",
            "processor",
            "--jdbc-url",
            "jdbc:postgresql://127.0.0.1:5432/test",
            "--user",
            "postgres",
            "--file",
            "x.edi",
            "--no-patch");
    assertThat(o.records).isEqualTo(10_000_000);
    assertThat(o.role).isEqualTo(ReplayOptions.Role.PROCESSOR);
    assertThat(o.jdbcUrl).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test");
    assertThat(o.user).isEqualTo("postgres");
    assertThat(o.file).isEqualTo(Path.of("x.edi"));
    assertThat(o.patch).isFalse();
  }

  @Test
  void a_bad_option_is_rejected_naming_it_and_its_value() {
    assertThatThrownBy(() -> ReplayOptions.parse("--records", "-5"))
        .hasMessage("--records must be a positive whole number: -5");
    assertThatThrownBy(() -> ReplayOptions.parse("--role", "janitor"))
        .hasMessage("--role must be replay, sender, processor, reconcile or resend: janitor");
    assertThatThrownBy(() -> ReplayOptions.parse("--jdbc-url"))
        .hasMessage("--jdbc-url needs a value");
    assertThatThrownBy(() -> ReplayOptions.parse("--recrods", "5"))
        .hasMessage("unknown option: --recrods");
  }

  @Test
  void a_password_is_read_from_an_environment_variable_never_from_the_command_line() {
    assertThatThrownBy(() -> ReplayOptions.parse("--password", "s3cret"))
        .hasMessage(
            "--password is not accepted: a password on the command line is visible to every user"
                + " of the machine. Put it in an environment variable and name it with"
                + " --password-env (default RECORDTRACKER_PASSWORD), as the record-tracker CLI"
                + " does");
    assertThat(ReplayOptions.parse().password(java.util.Map.of("RECORDTRACKER_PASSWORD", "a")))
        .isEqualTo("a");
    assertThat(ReplayOptions.parse().password(java.util.Map.of())).isNull();
    ReplayOptions named = ReplayOptions.parse("--password-env", "DB_PW");
    assertThat(named.password(java.util.Map.of("DB_PW", "b", "RECORDTRACKER_PASSWORD", "a")))
        .isEqualTo("b");
    assertThatThrownBy(() -> named.password(java.util.Map.of()))
        .hasMessage("the environment variable DB_PW named by --password-env is not set");
  }

  @Test
  void shapes_and_counts_use_the_singular_for_one() {
    assertThat(
            IncidentReplay.shape(
                java.util.List.of(
                    io.recordtracker.RecordRange.of(0, 9),
                    io.recordtracker.RecordRange.of(20, 20))))
        .isEqualTo("1 contiguous range and 1 scattered record");
    assertThat(
            IncidentReplay.shape(
                java.util.List.of(
                    io.recordtracker.RecordRange.of(0, 9),
                    io.recordtracker.RecordRange.of(12, 19),
                    io.recordtracker.RecordRange.of(20, 20),
                    io.recordtracker.RecordRange.of(30, 30))))
        .isEqualTo("2 contiguous ranges and 2 scattered records");
  }
}
