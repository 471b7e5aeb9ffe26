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
}
