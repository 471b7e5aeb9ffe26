package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PrimitiveIterator;
import java.util.Spliterator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The resend as an API: record queries on a reconciliation, and the plan with its JSON. */
class ResendPlanTest {

  private final RecordTracker tracker =
      RecordTracker.builder().flushInterval(Duration.ofHours(1)).build();
  private final BatchId id = BatchId.of("edi-customers-2019-06-07");

  @AfterEach
  void close() {
    tracker.close();
  }

  /** A batch of 30 records, all sent, all processed but 5-9 and 20. */
  private Reconciliation missingFiveToNineAndTwenty(Map<String, String> attributes) {
    tracker.openBatch(id, 30, attributes);
    tracker.markSent(id, RecordRange.of(0, 29));
    tracker.markProcessed(id, RecordRange.of(0, 4));
    tracker.markProcessed(id, RecordRange.of(10, 19));
    tracker.markProcessed(id, RecordRange.of(21, 29));
    return tracker.reconcile(id);
  }

  @Test
  void is_missing_is_true_exactly_for_the_missing_records() {
    Reconciliation r = missingFiveToNineAndTwenty(Map.of());

    int[] missing =
        IntStream.rangeClosed(0, 40).filter(r::isMissing).toArray(); // beyond the batch too
    assertThat(missing).containsExactly(5, 6, 7, 8, 9, 20);
    assertThat(r.isMissing(Integer.MAX_VALUE)).isFalse();
    assertThatThrownBy(() -> r.isMissing(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record must not be negative: -1");
  }

  @Test
  void missing_records_stream_the_missing_ranges_record_by_record_in_order() {
    Reconciliation r = missingFiveToNineAndTwenty(Map.of());

    assertThat(r.missingRecords().toArray()).containsExactly(5, 6, 7, 8, 9, 20);
    PrimitiveIterator.OfInt it = r.missingRecords().iterator();
    int[] pulled = {it.nextInt(), it.nextInt(), it.nextInt(), it.nextInt(), it.nextInt()};
    assertThat(pulled).containsExactly(5, 6, 7, 8, 9);
    assertThat(it.nextInt()).isEqualTo(20);
    assertThat(it.hasNext()).isFalse();
    assertThat(r.missingRecords().spliterator().getExactSizeIfKnown()).isEqualTo(6);
    assertThat(r.missingRecords().parallel().toArray()).containsExactly(5, 6, 7, 8, 9, 20);
  }

  @Test
  void missing_records_of_a_ten_million_record_gap_are_made_as_they_are_consumed() {
    BatchId big = BatchId.of("big-gap");
    tracker.openBatch(big, 10_000_000);
    tracker.markSent(big, RecordRange.of(0, 9_999_999));
    tracker.markProcessed(big, RecordRange.of(0, 0));
    Reconciliation r = tracker.reconcile(big);

    Spliterator.OfInt records = r.missingRecords().spliterator();
    assertThat(records.getExactSizeIfKnown()).isEqualTo(9_999_999);
    // Pulled one at a time: an array of the gap is never made.
    int[] first = new int[3];
    for (int i = 0; i < 3; i++) {
      int at = i;
      assertThat(records.tryAdvance((int record) -> first[at] = record)).isTrue();
    }
    assertThat(first).containsExactly(1, 2, 3);
    assertThat(r.missingRecords().skip(9_999_997).toArray()).containsExactly(9_999_998, 9_999_999);
  }

  @Test
  void missing_records_reach_the_highest_record_number() {
    BatchId top = BatchId.of("top");
    tracker.openBatch(top, Integer.MAX_VALUE);
    tracker.markSent(top, RecordRange.of(Integer.MAX_VALUE - 3, Integer.MAX_VALUE - 1));
    Reconciliation r = tracker.reconcile(top);

    assertThat(r.missingRecords().toArray())
        .containsExactly(Integer.MAX_VALUE - 3, Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 1);
    assertThat(r.isMissing(Integer.MAX_VALUE - 1)).isTrue();
    assertThat(r.isMissing(Integer.MAX_VALUE)).isFalse();
  }

  @Test
  void resend_plan_holds_batch_stages_ranges_counts_and_attributes() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("file", "customers.edi");
    attributes.put("customer", "ACME");
    ResendPlan plan = missingFiveToNineAndTwenty(attributes).resendPlan();

    assertThat(plan.batch()).isEqualTo(id);
    assertThat(plan.upstream()).isEqualTo(Stage.SENT);
    assertThat(plan.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(plan.ranges()).containsExactly(RecordRange.of(5, 9), RecordRange.single(20));
    assertThat(plan.recordCount()).isEqualTo(6);
    assertThat(plan.rangeCount()).isEqualTo(2);
    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.attributes())
        .containsExactly(Map.entry("file", "customers.edi"), Map.entry("customer", "ACME"));
    assertThat(plan.records().toArray()).containsExactly(5, 6, 7, 8, 9, 20);
    assertThat(IntStream.range(0, 30).filter(plan::includes).toArray())
        .containsExactly(5, 6, 7, 8, 9, 20);
    assertThatThrownBy(() -> plan.includes(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record must not be negative: -5");
    assertThat(plan)
        .hasToString(
            "ResendPlan{batch=edi-customers-2019-06-07, sent->processed, records=6,"
                + " ranges=[5-9, 20]}");
  }

  @Test
  void resend_plan_of_a_custom_stage_pair_names_that_pair() {
    Stage received = Stage.of("received");
    tracker.openBatch(id, 10);
    tracker.mark(id, received, RecordRange.of(0, 9));
    tracker.markProcessed(id, RecordRange.of(0, 8));

    ResendPlan plan = tracker.reconcile(id, received, Stage.PROCESSED).resendPlan();

    assertThat(plan.upstream()).isEqualTo(received);
    assertThat(plan.ranges()).containsExactly(RecordRange.single(9));
  }

  @Test
  void resend_plan_of_a_complete_batch_is_empty() {
    tracker.openBatch(id, 3);
    tracker.markSent(id, RecordRange.of(0, 2));
    tracker.markProcessed(id, RecordRange.of(0, 2));

    ResendPlan plan = tracker.reconcile(id).resendPlan();

    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.ranges()).isEmpty();
    assertThat(plan.recordCount()).isZero();
    assertThat(plan.records().toArray()).isEmpty();
    assertThat(plan.includes(0)).isFalse();
    assertThat(plan.toJson())
        .isEqualTo(
            "{\"schemaVersion\":1,\"batch\":\"edi-customers-2019-06-07\","
                + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
                + "\"attributes\":{},\"counts\":{\"records\":0,\"ranges\":0},\"ranges\":[]}");
    assertThat(ResendPlan.fromJson(plan.toJson())).isEqualTo(plan);
  }

  @Test
  void json_plan_has_the_documented_schema() throws Exception {
    ResendPlan plan = missingFiveToNineAndTwenty(Map.of("file", "customers.edi")).resendPlan();

    String expected =
        "{\"schemaVersion\":1,\"batch\":\"edi-customers-2019-06-07\","
            + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
            + "\"attributes\":{\"file\":\"customers.edi\"},"
            + "\"counts\":{\"records\":6,\"ranges\":2},"
            + "\"ranges\":[[5,9],[20,20]]}";
    assertThat(plan.toJson()).isEqualTo(expected);
    StringWriter out = new StringWriter();
    plan.writeJson(out);
    assertThat(out).hasToString(expected);
  }

  @Test
  void json_plan_reads_back_equal_with_every_field() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("file", "kunden \"März\".edi");
    attributes.put("customer", "ACME\nEurope");
    ResendPlan plan = missingFiveToNineAndTwenty(attributes).resendPlan();

    ResendPlan read = ResendPlan.fromJson(plan.toJson());

    assertThat(read).isEqualTo(plan).hasSameHashCodeAs(plan);
    assertThat(read.batch()).isEqualTo(id);
    assertThat(read.upstream()).isEqualTo(Stage.SENT);
    assertThat(read.downstream()).isEqualTo(Stage.PROCESSED);
    assertThat(read.ranges()).containsExactly(RecordRange.of(5, 9), RecordRange.single(20));
    assertThat(read.recordCount()).isEqualTo(6);
    assertThat(read.rangeCount()).isEqualTo(2);
    assertThat(read.attributes())
        .containsExactly(
            Map.entry("file", "kunden \"März\".edi"), Map.entry("customer", "ACME\nEurope"));
    assertThat(read.toJson()).isEqualTo(plan.toJson());
  }

  @Test
  void json_plan_from_a_later_version_reads_ignoring_the_fields_it_adds() {
    String later =
        "{\"schemaVersion\":2,\"batch\":\"B-1\",\"note\":{\"a\":[1,{\"b\":2}]},"
            + "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"},"
            + "\"counts\":{\"records\":3,\"ranges\":1,\"repeated\":2},"
            + "\"ranges\":[[7,9]],\"repeated\":[[1,2]]}";

    ResendPlan plan = ResendPlan.fromJson(later);

    assertThat(plan.batch()).isEqualTo(BatchId.of("B-1"));
    assertThat(plan.ranges()).containsExactly(RecordRange.of(7, 9));
    assertThat(plan.recordCount()).isEqualTo(3);
    assertThat(plan.attributes()).isEmpty();
  }

  @Test
  void json_plan_that_is_not_one_is_rejected_saying_why() {
    String stages = "\"stages\":{\"upstream\":\"sent\",\"downstream\":\"processed\"}";
    assertThatThrownBy(() -> ResendPlan.fromJson(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("json must not be null");
    assertThatThrownBy(() -> ResendPlan.fromJson("{\"schemaVersion\":1,"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a resend plan: ");
    assertThatThrownBy(() -> ResendPlan.fromJson("[]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a resend plan must be a JSON object");
    assertThatThrownBy(() -> ResendPlan.fromJson("{\"batch\":\"B\"," + stages + ",\"ranges\":[]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a resend plan needs a schemaVersion of 1 or more");
    assertThatThrownBy(() -> ResendPlan.fromJson("{\"schemaVersion\":1," + stages + "}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a resend plan needs batch, stages and ranges");
    assertThatThrownBy(
            () ->
                ResendPlan.fromJson(
                    "{\"schemaVersion\":1,\"batch\":\"B\","
                        + stages
                        + ",\"ranges\":[[5,9],[3,4]]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "ranges: ranges must be ascending and disjoint with 0 <= first <= last: [3, 4]");
    assertThatThrownBy(
            () ->
                ResendPlan.fromJson(
                    "{\"schemaVersion\":1,\"batch\":\"B\"," + stages + ",\"ranges\":[[9,5]]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "ranges: ranges must be ascending and disjoint with 0 <= first <= last: [9, 5]");
    assertThatThrownBy(
            () ->
                ResendPlan.fromJson(
                    "{\"schemaVersion\":1,\"batch\":\"B\","
                        + stages
                        + ",\"ranges\":[[5,9]],\"counts\":{\"records\":4}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("counts.records is 4 but the ranges hold 5");
    assertThatThrownBy(
            () ->
                ResendPlan.fromJson(
                    "{\"schemaVersion\":1,\"batch\":\"B\","
                        + "\"stages\":{\"upstream\":\"sent\"},\"ranges\":[]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a resend plan's stages need downstream");
  }
}
