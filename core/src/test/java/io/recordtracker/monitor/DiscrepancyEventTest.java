package io.recordtracker.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** The public factories a user builds events with to test a listener of their own. */
class DiscrepancyEventTest {

  private static final Instant T0 = Instant.parse("2020-08-23T11:00:00Z");
  private static final Instant AT = Instant.parse("2020-08-23T11:20:00Z");

  private final Finding finding =
      Finding.unreadable(
          BatchInfo.of(BatchId.of("B-1"), 10, T0, Map.of()),
          Stage.SENT,
          Stage.PROCESSED,
          T0,
          "corrupt");

  @Test
  void each_factory_makes_its_kind_with_the_finding_and_time() {
    Map<DiscrepancyEvent.Kind, BiFunction<Finding, Instant, DiscrepancyEvent>> factories =
        Map.of(
            DiscrepancyEvent.Kind.NEW, DiscrepancyEvent::newFinding,
            DiscrepancyEvent.Kind.GROWN, DiscrepancyEvent::grown,
            DiscrepancyEvent.Kind.REMINDER, DiscrepancyEvent::reminder,
            DiscrepancyEvent.Kind.RESOLVED, DiscrepancyEvent::resolved);
    assertThat(factories.keySet()).containsExactlyInAnyOrder(DiscrepancyEvent.Kind.values());

    factories.forEach(
        (kind, factory) -> {
          DiscrepancyEvent event = factory.apply(finding, AT);
          assertThat(event.kind()).isEqualTo(kind);
          assertThat(event.finding()).isSameAs(finding);
          assertThat(event.at()).isEqualTo(AT);
          assertThat(event.toString())
              .isEqualTo("DiscrepancyEvent{" + kind + " at 2020-08-23T11:20:00Z: " + finding + "}");

          DiscrepancyEvent of = DiscrepancyEvent.of(kind, finding, AT);
          assertThat(of.kind()).isEqualTo(kind);
          assertThat(of.finding()).isSameAs(finding);
          assertThat(of.at()).isEqualTo(AT);
        });
  }

  @Test
  void a_listener_of_your_own_can_be_driven_by_hand() {
    List<String> seen = new ArrayList<>();
    DiscrepancyListener mine = e -> seen.add(e.kind() + " " + e.finding().batchId());

    mine.onEvent(DiscrepancyEvent.newFinding(finding, AT));
    mine.onEvent(DiscrepancyEvent.resolved(finding, AT.plusSeconds(60)));

    assertThat(seen).containsExactly("NEW B-1", "RESOLVED B-1");
  }

  @Test
  void factories_reject_null_naming_the_argument() {
    assertThatThrownBy(() -> DiscrepancyEvent.of(null, finding, AT))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("kind must not be null");
    assertThatThrownBy(() -> DiscrepancyEvent.newFinding(null, AT))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("finding must not be null");
    assertThatThrownBy(() -> DiscrepancyEvent.grown(finding, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("at must not be null");
    assertThatThrownBy(() -> DiscrepancyEvent.reminder(null, AT))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("finding must not be null");
    assertThatThrownBy(() -> DiscrepancyEvent.resolved(finding, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("at must not be null");
  }
}
