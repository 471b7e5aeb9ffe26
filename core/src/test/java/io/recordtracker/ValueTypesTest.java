package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PrimitiveIterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValueTypesTest {

  // BatchId ---------------------------------------------------------------------------------------

  @Test
  void batch_id_accepts_every_allowed_character_and_128_characters() {
    assertThat(BatchId.of("AZaz09._:-").value()).isEqualTo("AZaz09._:-");
    String longest = "a".repeat(128);
    assertThat(BatchId.of(longest).value()).isEqualTo(longest);
    assertThat(BatchId.of("x").toString()).isEqualTo("x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "slash/", "ümlaut", "semi;colon", "quote'", "tab\t"})
  void batch_id_rejects_bad_text_and_shows_it(String bad) {
    assertThatThrownBy(() -> BatchId.of(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + bad + "\"")
        .hasMessageContaining("[A-Za-z0-9._:-]");
  }

  @Test
  void batch_id_rejects_129_characters() {
    assertThatThrownBy(() -> BatchId.of("a".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1-128");
  }

  @Test
  void batch_id_rejects_null_with_npe() {
    assertThatThrownBy(() -> BatchId.of(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void batch_ids_compare_and_hash_by_text() {
    assertThat(BatchId.of("a")).isEqualTo(BatchId.of("a")).hasSameHashCodeAs(BatchId.of("a"));
    assertThat(BatchId.of("a")).isNotEqualTo(BatchId.of("A"));
    assertThat(BatchId.of("a").compareTo(BatchId.of("b"))).isNegative();
  }

  @Test
  void generated_ids_are_valid_unique_and_sort_by_creation() throws Exception {
    List<String> inOrder = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      BatchId id = BatchId.generate();
      assertThat(BatchId.of(id.value())).isEqualTo(id);
      inOrder.add(id.value());
    }
    // 20,000 ids take a few milliseconds: most share one with others, and still sort in
    // generation order (monotonic within a JVM).
    assertThat(inOrder).isSorted();
    assertThat(new HashSet<>(inOrder)).hasSize(inOrder.size());

    Set<String> concurrent = ConcurrentHashMap.newKeySet();
    List<List<String>> perThread = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      List<String> mine = new ArrayList<>();
      perThread.add(mine);
      pool.submit(
          () -> {
            for (int i = 0; i < 10_000; i++) {
              String v = BatchId.generate().value();
              concurrent.add(v);
              mine.add(v);
            }
          });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    assertThat(concurrent).hasSize(40_000);
    for (List<String> mine : perThread) {
      assertThat(mine).hasSize(10_000).isSorted();
    }
  }

  @Test
  void generated_ids_of_one_millisecond_count_up_from_a_random_start() {
    BatchId.Monotonic ids = new BatchId.Monotonic();
    byte[] random = new byte[10];
    random[9] = 0x7f;
    String first = ids.next(1_000, random);
    // Another random draw in the same millisecond is ignored: the suffix counts up by one.
    byte[] other = new byte[10];
    other[0] = (byte) 0xff;
    assertThat(first).isEqualTo("00000000Z8" + "000000000000003Z");
    assertThat(ids.next(1_000, other)).isEqualTo("00000000Z8" + "0000000000000040");
    // The system clock stepping back keeps the last millisecond and the count.
    assertThat(ids.next(999, other)).isEqualTo("00000000Z8" + "0000000000000041");
    // A later millisecond starts again from its random draw.
    assertThat(ids.next(1_001, random)).isEqualTo("00000000Z9" + "000000000000003Z");
  }

  @Test
  void generated_id_suffix_carries_and_borrows_the_next_millisecond_when_used_up() {
    BatchId.Monotonic ids = new BatchId.Monotonic();
    byte[] lowAllOnes = {0, 0, 0, 0, 0, -1, -1, -1, -1, -1};
    assertThat(ids.next(1_000, lowAllOnes)).isEqualTo("00000000Z8" + "00000000ZZZZZZZZ");
    assertThat(ids.next(1_000, lowAllOnes)).isEqualTo("00000000Z8" + "0000000100000000");

    BatchId.Monotonic full = new BatchId.Monotonic();
    byte[] allOnes = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    String last = full.next(1_000, allOnes);
    assertThat(last).isEqualTo("00000000Z8" + "ZZZZZZZZZZZZZZZZ");
    String next = full.next(1_000, allOnes);
    assertThat(next).isEqualTo("00000000Z9" + "0000000000000000");
    assertThat(next).isGreaterThan(last);
  }

  @Test
  void generated_id_time_prefix_encodes_the_creation_millisecond() throws Exception {
    long before = System.currentTimeMillis();
    String first = BatchId.generate().value();
    Thread.sleep(5);
    String later = BatchId.generate().value();
    assertThat(first).hasSize(26);
    assertThat(later.compareTo(first)).isPositive();
    long decoded = 0;
    for (char c : first.substring(0, 10).toCharArray()) {
      decoded = decoded * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(c);
    }
    assertThat(decoded).isBetween(before, System.currentTimeMillis());
  }

  // Stage -----------------------------------------------------------------------------------------

  @Test
  void stage_of_lower_cases_and_returns_builtin_constants() {
    assertThat(Stage.of("SENT")).isSameAs(Stage.SENT);
    assertThat(Stage.of("processed")).isSameAs(Stage.PROCESSED);
    assertThat(Stage.of("Received").name()).isEqualTo("received");
    assertThat(Stage.of("Received")).isEqualTo(Stage.of("received"));
    assertThat(Stage.of("a_b-9").toString()).isEqualTo("a_b-9");
    assertThat(Stage.of("x".repeat(32)).name()).hasSize(32);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "dot.ted", "colon:", "é"})
  void stage_rejects_bad_names_and_shows_them(String bad) {
    assertThatThrownBy(() -> Stage.of(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + bad + "\"");
  }

  @Test
  void stage_rejects_33_characters_and_null() {
    assertThatThrownBy(() -> Stage.of("x".repeat(33)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1-32");
    assertThatThrownBy(() -> Stage.of(null)).isInstanceOf(NullPointerException.class);
  }

  // RecordRange -----------------------------------------------------------------------------------

  @Test
  void range_has_inclusive_ends_size_and_text() {
    RecordRange r = RecordRange.of(3_000_000, 3_485_999);
    assertThat(r.first()).isEqualTo(3_000_000);
    assertThat(r.last()).isEqualTo(3_485_999);
    assertThat(r.size()).isEqualTo(486_000L);
    assertThat(r.contains(3_000_000)).isTrue();
    assertThat(r.contains(3_485_999)).isTrue();
    assertThat(r.contains(2_999_999)).isFalse();
    assertThat(r.contains(3_486_000)).isFalse();
    assertThat(r).hasToString("3000000-3485999");
    assertThat(RecordRange.single(7)).isEqualTo(RecordRange.of(7, 7)).hasToString("7");
    assertThat(RecordRange.of(0, Integer.MAX_VALUE).size()).isEqualTo(1L << 31);
  }

  @Test
  void range_streams_and_iterates_its_records_in_order() {
    assertThat(RecordRange.of(5, 9).stream().toArray()).containsExactly(5, 6, 7, 8, 9);
    assertThat(RecordRange.single(4242).stream().toArray()).containsExactly(4242);
    PrimitiveIterator.OfInt top =
        RecordRange.of(Integer.MAX_VALUE - 1, Integer.MAX_VALUE).iterator();
    assertThat(top.nextInt()).isEqualTo(Integer.MAX_VALUE - 1);
    assertThat(top.nextInt()).isEqualTo(Integer.MAX_VALUE);
    assertThat(top.hasNext()).isFalse();
    assertThatThrownBy(top::nextInt)
        .isInstanceOf(NoSuchElementException.class)
        .hasMessage("past the last record of 2147483646-2147483647");
  }

  @Test
  void range_parses_its_text() {
    assertThat(RecordRange.parse("3000000-3485999"))
        .isEqualTo(RecordRange.of(3_000_000, 3_485_999));
    assertThat(RecordRange.parse("5")).isEqualTo(RecordRange.single(5));
    assertThat(RecordRange.parse("5-5")).isEqualTo(RecordRange.single(5));
    assertThat(RecordRange.parse(RecordRange.single(4242).toString()))
        .isEqualTo(RecordRange.single(4242));
    assertThatThrownBy(() -> RecordRange.parse("a-b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordRange.parse("9-3")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void range_rejects_negative_first_and_reversed_ends() {
    assertThatThrownBy(() -> RecordRange.of(-1, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first=-1");
    assertThatThrownBy(() -> RecordRange.of(6, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first=6, last=5");
    assertThatThrownBy(() -> RecordRange.single(-3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ranges_order_by_first_then_last() {
    assertThat(RecordRange.of(1, 5).compareTo(RecordRange.of(2, 3))).isNegative();
    assertThat(RecordRange.of(1, 5).compareTo(RecordRange.of(1, 6))).isNegative();
    assertThat(RecordRange.of(1, 5))
        .isEqualTo(RecordRange.of(1, 5))
        .hasSameHashCodeAs(RecordRange.of(1, 5));
  }

  // RecordStamp -----------------------------------------------------------------------------------

  @Test
  void stamp_text_round_trips() {
    BatchId id = BatchId.of("EDI-2019-06-07.customers:v1");
    RecordStamp stamp = RecordStamp.of(id, 485_999);
    assertThat(stamp.batch()).isEqualTo(id);
    assertThat(stamp.record()).isEqualTo(485_999);
    assertThat(stamp).hasToString("EDI-2019-06-07.customers:v1/485999");
    assertThat(RecordStamp.parse(stamp.toString())).isEqualTo(stamp);
    assertThat(RecordStamp.parse("b/0")).isEqualTo(RecordStamp.of(BatchId.of("b"), 0));
    assertThat(RecordStamp.parse("b/2147483647").record()).isEqualTo(Integer.MAX_VALUE);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "/", "b/", "/5", "b", "b/-1", "b/1x", "b/2147483648", "b c/5", "b/ 5", "b/+5"})
  void stamp_parse_rejects_bad_text(String bad) {
    assertThatThrownBy(() -> RecordStamp.parse(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void stamp_rejects_negative_record_and_null_batch() {
    assertThatThrownBy(() -> RecordStamp.of(BatchId.of("b"), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> RecordStamp.of(null, 1)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> RecordStamp.parse(null)).isInstanceOf(NullPointerException.class);
  }

  // BatchInfo and BatchQuery ----------------------------------------------------------------------

  @Test
  void batch_info_copies_attributes_and_keeps_them_unmodifiable() {
    Map<String, String> attributes = new HashMap<>(Map.of("file", "customers.edi"));
    BatchInfo info = BatchInfo.of(BatchId.of("b"), 10, Instant.EPOCH, attributes);
    attributes.put("other", "x");
    assertThat(info.attributes()).isEqualTo(Map.of("file", "customers.edi"));
    assertThatThrownBy(() -> info.attributes().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(info.isComplete()).isFalse();
    assertThat(info.lastMarkedAt(Stage.SENT)).isEmpty();
  }

  @Test
  void batch_info_rejects_bad_attributes() {
    BatchId id = BatchId.of("b");
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, Map.of("", "v")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("attribute key");
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, Map.of("k", "v".repeat(1025))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'k'");
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 33; i++) {
      many.put("k" + i, "v");
    }
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, many))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("33");
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, nullValue))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> BatchInfo.of(id, -1, Instant.EPOCH, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void batch_info_rejects_an_unpaired_surrogate_in_an_attribute_key_or_value() {
    BatchId id = BatchId.of("b");
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, Map.of("fi\uD800le", "v")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "attribute key holds an unpaired UTF-16 surrogate at index 2, which cannot be stored"
                + " as UTF-8: \"fi\\uD800le\"");
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, Map.of("file", "x\uDC00")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "value of attribute 'file' holds an unpaired UTF-16 surrogate at index 1, which cannot"
                + " be stored as UTF-8: \"x\\uDC00\"");
    // A high surrogate followed by another high surrogate is still unpaired.
    assertThatThrownBy(() -> BatchInfo.of(id, 1, Instant.EPOCH, Map.of("k", "\uD83D\uD83D")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at index 0");
    // A proper pair (an emoji) is fine.
    String emoji = "\uD83D\uDE00";
    assertThat(BatchInfo.of(id, 1, Instant.EPOCH, Map.of(emoji, "a" + emoji)).attributes())
        .isEqualTo(Map.of(emoji, "a" + emoji));
  }

  @Test
  void batch_query_rejects_an_unpaired_surrogate_in_an_attribute_filter() {
    assertThatThrownBy(() -> BatchQuery.builder().attribute("\uD800", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "attribute key holds an unpaired UTF-16 surrogate at index 0, which cannot be stored"
                + " as UTF-8: \"\\uD800\"");
    assertThatThrownBy(() -> BatchQuery.builder().attribute("file", "\uD800"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("value of attribute 'file' holds an unpaired UTF-16 surrogate");
  }

  @Test
  void batch_query_validates_eagerly() {
    assertThatThrownBy(() -> BatchQuery.builder().limit(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> BatchQuery.builder().limit(10_001))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BatchQuery.builder().offset(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    assertThatThrownBy(() -> BatchQuery.builder().openedAfter(t).openedBefore(t).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("openedAfter");
    assertThat(BatchQuery.all().completion()).isEqualTo(BatchQuery.Completion.ANY);
    assertThat(BatchQuery.all().completionSpecified()).isFalse();
    assertThat(BatchQuery.all().limit()).isEqualTo(BatchQuery.DEFAULT_LIMIT);
  }

  @Test
  void batch_query_text_names_only_what_was_set() {
    BatchQuery query =
        BatchQuery.builder()
            .openedBefore(java.time.Instant.parse("2026-11-01T00:00:00Z"))
            .completion(BatchQuery.Completion.COMPLETE)
            .limit(500)
            .build();
    assertThat(query.toString())
        .isEqualTo("BatchQuery{openedBefore=2026-11-01T00:00:00Z, completion=COMPLETE, limit=500}");
    assertThat(BatchQuery.all().toString()).isEqualTo("BatchQuery{limit=100}");
  }
}
