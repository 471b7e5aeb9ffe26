package io.recordtracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

/** Range extraction over each container kind and across their boundaries. */
class RangeListTest {

  @Test
  void empty_bitmap_has_no_ranges() {
    assertThat(RangeList.of(new RoaringBitmap())).isEmpty();
  }

  @Test
  void run_container_ranges_are_copied_and_joined_across_containers() {
    RoaringBitmap b = new RoaringBitmap();
    b.add(65_530L, 65_542L); // crosses the first container boundary
    b.add(200_000L, 300_000L);
    b.runOptimize();
    assertThat(RangeList.of(b))
        .containsExactly(RecordRange.of(65_530, 65_541), RecordRange.of(200_000, 299_999));
  }

  @Test
  void bitmap_container_runs_on_word_edges_are_found() {
    RoaringBitmap b = new RoaringBitmap();
    // Dense enough to be a bitmap container, with runs ending and starting on 64-bit word edges.
    for (int i = 0; i < 65_536; i += 3) {
      b.add(i);
    }
    b.remove(63);
    b.add(62L, 130L); // 62..129, crossing two word edges
    b.add(65_535);
    RoaringBitmap next = new RoaringBitmap();
    next.add(65_536); // joins 65_535 across the container edge
    b.or(next);
    List<RecordRange> ranges = RangeList.of(b);
    assertThat(ranges.get(0)).isEqualTo(RecordRange.single(0));
    assertThat(ranges)
        .containsSubsequence(
            RecordRange.single(57),
            RecordRange.single(60),
            RecordRange.of(62, 129),
            RecordRange.single(132));
    assertThat(ranges).contains(RecordRange.of(65_535, 65_536));
    assertThat(ranges.get(ranges.size() - 1)).isEqualTo(RecordRange.of(65_535, 65_536));
    long total = 0;
    for (RecordRange r : ranges) {
      total += r.size();
    }
    assertThat(total).isEqualTo(b.getLongCardinality());
  }

  @Test
  void full_bitmap_containers_make_one_range() {
    RoaringBitmap b = new RoaringBitmap();
    for (int i = 0; i < 3 * 65_536; i++) {
      b.add(i); // added one by one: bitmap containers, not runs
    }
    assertThat(RangeList.of(b)).containsExactly(RecordRange.of(0, 3 * 65_536 - 1));
  }

  @Test
  void array_container_values_are_grouped() {
    RoaringBitmap b = RoaringBitmap.bitmapOf(1, 2, 3, 7, 9, 10, 65_535, 65_536, 65_537, 70_000);
    assertThat(RangeList.of(b))
        .containsExactly(
            RecordRange.of(1, 3),
            RecordRange.single(7),
            RecordRange.of(9, 10),
            RecordRange.of(65_535, 65_537),
            RecordRange.single(70_000));
  }

  @Test
  void highest_record_numbers_are_handled() {
    RoaringBitmap b = new RoaringBitmap();
    b.add((long) Integer.MAX_VALUE - 70_000, Integer.MAX_VALUE);
    assertThat(RangeList.of(b))
        .containsExactly(RecordRange.of(Integer.MAX_VALUE - 70_000, Integer.MAX_VALUE - 1));
  }
}
