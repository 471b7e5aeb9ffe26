package io.recordtracker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.RecordRange;
import io.recordtracker.cli.StripBuckets.Kind;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StripBucketsTest {

  private static StripBuckets missingOnly(int expected, int buckets, RecordRange... missing) {
    return StripBuckets.of(expected, buckets, List.of(missing), List.of(), List.of());
  }

  @Test
  void buckets_cover_the_record_space_exactly_without_gaps_or_overlaps() {
    StripBuckets strip = missingOnly(1_000, 3);

    assertThat(strip.bucketCount()).isEqualTo(3);
    assertThat(strip.first(0)).isZero();
    assertThat(strip.last(0)).isEqualTo(332);
    assertThat(strip.first(1)).isEqualTo(333);
    assertThat(strip.last(1)).isEqualTo(665);
    assertThat(strip.first(2)).isEqualTo(666);
    assertThat(strip.last(2)).isEqualTo(999);
    for (int record : new int[] {0, 332, 333, 665, 666, 999}) {
      int b = strip.bucketOf(record);
      assertThat(record)
          .as("bucket %d of %d", b, record)
          .isBetween((int) strip.first(b), (int) strip.last(b));
    }
  }

  @Test
  void a_range_crossing_a_bucket_edge_is_split_at_the_edge() {
    StripBuckets strip = missingOnly(1_000, 10, RecordRange.of(95, 204));

    assertThat(strip.count(Kind.MISSING, 0)).isEqualTo(5);
    assertThat(strip.count(Kind.MISSING, 1)).isEqualTo(100);
    assertThat(strip.count(Kind.MISSING, 2)).isEqualTo(5);
    assertThat(strip.count(Kind.MISSING, 3)).isZero();
    assertThat(strip.ranges(Kind.MISSING, 0)).containsExactly(RecordRange.of(95, 99));
    assertThat(strip.ranges(Kind.MISSING, 1)).containsExactly(RecordRange.of(100, 199));
    assertThat(strip.ranges(Kind.MISSING, 2)).containsExactly(RecordRange.of(200, 204));
  }

  @Test
  void the_first_and_last_record_land_in_the_first_and_last_bucket() {
    StripBuckets strip =
        missingOnly(486_000, 1_000, RecordRange.single(0), RecordRange.single(485_999));

    assertThat(strip.count(Kind.MISSING, 0)).isEqualTo(1);
    assertThat(strip.count(Kind.MISSING, 999)).isEqualTo(1);
    assertThat(strip.first(999)).isEqualTo(485_514);
    assertThat(strip.last(999)).isEqualTo(485_999);
    long total = 0;
    for (int b = 0; b < strip.bucketCount(); b++) {
      total += strip.count(Kind.MISSING, b);
    }
    assertThat(total).isEqualTo(2);
  }

  @Test
  void a_batch_smaller_than_the_bucket_count_has_one_bucket_per_record() {
    StripBuckets strip =
        StripBuckets.of(
            7,
            1_000,
            List.of(RecordRange.of(2, 3)),
            List.of(RecordRange.single(6)),
            List.of(RecordRange.single(0)));

    assertThat(strip.bucketCount()).isEqualTo(7);
    assertThat(strip.first(3)).isEqualTo(3);
    assertThat(strip.last(3)).isEqualTo(3);
    assertThat(strip.count(Kind.MISSING, 2)).isEqualTo(1);
    assertThat(strip.count(Kind.MISSING, 3)).isEqualTo(1);
    assertThat(strip.count(Kind.ABSENT_UPSTREAM, 6)).isEqualTo(1);
    assertThat(strip.count(Kind.UNEXPECTED, 0)).isEqualTo(1);
    assertThat(strip.count(Kind.MISSING, 0)).isZero();
  }

  @Test
  void an_empty_batch_has_no_buckets() {
    assertThat(missingOnly(0, 1_000).bucketCount()).isZero();
  }

  @Test
  void ranges_beyond_the_expected_records_widen_the_space() {
    StripBuckets strip =
        StripBuckets.of(100, 10, List.of(), List.of(), List.of(RecordRange.of(150, 199)));

    assertThat(strip.space()).isEqualTo(200);
    assertThat(strip.count(Kind.UNEXPECTED, 7)).isEqualTo(10);
    assertThat(strip.count(Kind.UNEXPECTED, 8)).isEqualTo(20);
    assertThat(strip.count(Kind.UNEXPECTED, 9)).isEqualTo(20);
  }

  @Test
  void a_bucket_keeps_its_first_ranges_and_counts_them_all() {
    RecordRange[] ranges = new RecordRange[8];
    for (int i = 0; i < ranges.length; i++) {
      ranges[i] = RecordRange.single(i * 2);
    }
    StripBuckets strip = missingOnly(100, 10, ranges);

    assertThat(strip.rangeCount(Kind.MISSING, 0)).isEqualTo(5);
    assertThat(strip.rangeCount(Kind.MISSING, 1)).isEqualTo(3);
    assertThat(strip.ranges(Kind.MISSING, 0))
        .containsExactly(
            RecordRange.single(0),
            RecordRange.single(2),
            RecordRange.single(4),
            RecordRange.single(6),
            RecordRange.single(8));
    assertThat(strip.count(Kind.MISSING, 0)).isEqualTo(5);
  }

  @Test
  void five_million_ranges_are_read_once_each_into_a_thousand_buckets() {
    int n = 5_000_000;
    AtomicLong reads = new AtomicLong();
    // Every other record missing: 0, 2, 4, ... 9,999,998 of a 10,000,000-record batch.
    List<RecordRange> missing =
        new AbstractList<>() {
          @Override
          public RecordRange get(int i) {
            reads.incrementAndGet();
            return RecordRange.single(i * 2);
          }

          @Override
          public int size() {
            return n;
          }
        };

    StripBuckets strip = StripBuckets.of(10_000_000, 1_000, missing, List.of(), List.of());

    // One read per range, plus the last range's once to size the space.
    assertThat(reads.get()).isEqualTo(n + 1L);
    assertThat(strip.bucketCount()).isEqualTo(1_000);
    for (int b = 0; b < 1_000; b++) {
      assertThat(strip.count(Kind.MISSING, b)).as("bucket %d", b).isEqualTo(5_000);
      assertThat(strip.rangeCount(Kind.MISSING, b)).isEqualTo(5_000);
    }
  }

  @Test
  void bad_arguments_are_named() {
    assertThatThrownBy(() -> missingOnly(-1, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expectedRecords must not be negative: -1");
    assertThatThrownBy(() -> missingOnly(10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBuckets must be at least 1: 0");
  }
}
