package io.recordtracker.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class GapPatternTest {

  private static int[] ranges(GapPattern p, int size) {
    return BitSetReconciliation.ranges(p.holes(size));
  }

  @Test
  void none_leaves_no_hole() {
    assertThat(GapPattern.NONE.holes(100_000).isEmpty()).isTrue();
    assertThat(GapPattern.NONE.processed(100_000).cardinality()).isEqualTo(100_000);
  }

  @Test
  void one_gap_is_the_incidents_486000_records_at_30_percent() {
    assertThat(ranges(GapPattern.ONE_GAP, 10_000_000)).containsExactly(3_000_000, 3_485_999);
  }

  @Test
  void one_gap_shrinks_to_a_fifth_of_a_small_batch() {
    assertThat(ranges(GapPattern.ONE_GAP, 100_000)).containsExactly(30_000, 49_999);
  }

  @Test
  void few_gaps_are_five_gaps_of_one_percent() {
    assertThat(ranges(GapPattern.FEW_GAPS, 100_000))
        .containsExactly(
            10_000, 10_999, 30_000, 30_999, 50_000, 50_999, 70_000, 70_999, 90_000, 90_999);
  }

  @Test
  void random_holes_are_exactly_one_percent_and_the_same_every_time() {
    BitSet holes = GapPattern.RANDOM_1PCT.holes(1_000_000);
    assertThat(holes.cardinality()).isEqualTo(10_000);
    assertThat(GapPattern.RANDOM_1PCT.holes(1_000_000)).isEqualTo(holes);
    assertThat(holes.length()).isLessThanOrEqualTo(1_000_000);
  }

  @Test
  void random_plus_gap_is_the_union_of_both() {
    BitSet expected = GapPattern.RANDOM_1PCT.holes(10_000_000);
    expected.or(GapPattern.ONE_GAP.holes(10_000_000));
    assertThat(GapPattern.RANDOM_1PCT_PLUS_GAP.holes(10_000_000)).isEqualTo(expected);
  }

  @Test
  void every_other_misses_each_odd_record() {
    assertThat(ranges(GapPattern.EVERY_OTHER, 7)).containsExactly(1, 1, 3, 3, 5, 5);
  }

  @Test
  void processed_is_the_complement_of_the_holes_within_the_batch() {
    BitSet processed = GapPattern.EVERY_OTHER.processed(7);
    assertThat(BitSetReconciliation.ranges(processed)).containsExactly(0, 0, 2, 2, 4, 4, 6, 6);
  }
}
