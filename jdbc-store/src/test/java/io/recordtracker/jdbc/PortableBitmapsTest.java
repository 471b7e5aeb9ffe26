package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.roaringbitmap.RoaringBitmap;

/**
 * The stored format against fixtures in src/test/resources: a known-good portable bitmap and
 * deliberately corrupt ones, several of which RoaringBitmap alone would read without complaint and
 * answer wrong.
 */
class PortableBitmapsTest {

  /** What good.bin holds: an array, a run, a bitmap and another run container. */
  static RoaringBitmap goodBitmap() {
    RoaringBitmap b = RoaringBitmap.bitmapOf(1, 5, 9, 1000);
    b.add(65_536L, 65_536L + 10_000);
    for (int v = 131_072; v < 196_608; v += 3) {
      b.add(v);
    }
    b.add(300_000L, 300_005L);
    b.add(300_100);
    b.runOptimize();
    return b;
  }

  static byte[] fixture(String name) {
    try (InputStream in = PortableBitmapsTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing fixture " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void known_good_fixture_reads_back_exactly_and_the_writer_still_produces_it() {
    byte[] good = fixture("good.bin");

    assertThat(PortableBitmaps.deserialize(good, 300_101)).isEqualTo(goodBitmap());
    assertThat(PortableBitmaps.serialize(goodBitmap())).isEqualTo(good);
  }

  @Test
  void serialize_writes_the_same_bytes_as_roarings_data_output_form() throws IOException {
    RoaringBitmap b = goodBitmap();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    b.serialize(new java.io.DataOutputStream(out));
    assertThat(PortableBitmaps.serialize(b)).isEqualTo(out.toByteArray());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "truncated.bin | 8153 bytes, truncated: container 2 needs 8192 bytes at offset 51",
        "truncated-header.bin | truncated: the header of 4 containers needs 37",
        "bad-cookie.bin | is not Roaring's portable format",
        "huge-container-count.bin | container count 2147483647 is outside 0..65536",
        "bitmap-cardinality-mismatch.bin | container 2 declares 21846 records but its bitmap holds",
        "array-not-sorted.bin | array container 0 is not strictly increasing at position 1",
        "keys-not-increasing.bin | container keys do not increase: 0 after 0",
        "run-cardinality-mismatch.bin | container 1 declares 9999 records but its runs hold 10000",
        "bad-offset.bin | container 3 is stored at offset",
      })
  void corrupt_fixture_is_rejected_with_the_reason(String file, String reason) {
    byte[] blob = fixture(file);
    assertThatThrownBy(() -> PortableBitmaps.deserialize(blob, Integer.MAX_VALUE))
        .isInstanceOf(PortableBitmaps.CorruptMarksException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void every_truncation_of_the_good_fixture_is_rejected() {
    byte[] good = fixture("good.bin");
    for (int length = 0; length < good.length; length++) {
      byte[] cut = Arrays.copyOf(good, length);
      assertThatThrownBy(() -> PortableBitmaps.deserialize(cut, Integer.MAX_VALUE))
          .as("first %d bytes", length)
          .isInstanceOf(PortableBitmaps.CorruptMarksException.class);
    }
  }

  @Test
  void trailing_bytes_are_rejected() {
    byte[] good = fixture("good.bin");
    byte[] longer = Arrays.copyOf(good, good.length + 3);
    assertThatThrownBy(() -> PortableBitmaps.deserialize(longer, Integer.MAX_VALUE))
        .isInstanceOf(PortableBitmaps.CorruptMarksException.class)
        .hasMessageContaining("8256 bytes, but the 4 containers end at byte 8253");
  }

  @Test
  void record_beyond_the_batch_is_rejected() {
    byte[] good = fixture("good.bin");
    assertThatThrownBy(() -> PortableBitmaps.deserialize(good, 300_100))
        .isInstanceOf(PortableBitmaps.CorruptMarksException.class)
        .hasMessageContaining("holds record 300100, beyond the batch's 300100 expected records");
  }

  @Test
  void random_byte_damage_never_escapes_as_anything_but_a_corruption_report() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    byte[] good = fixture("good.bin");
    for (int i = 0; i < 2_000; i++) {
      byte[] damaged = good.clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
      }
      try {
        RoaringBitmap read = PortableBitmaps.deserialize(damaged, Integer.MAX_VALUE);
        // Undetectable damage (a value changed into another valid value) still reads as a
        // well-formed bitmap whose cardinality matches what its containers hold.
        assertThat(read.getLongCardinality()).as("seed %d", seed).isEqualTo(count(read));
      } catch (PortableBitmaps.CorruptMarksException expected) {
        // detected
      }
    }
  }

  @Test
  void random_bitmaps_round_trip() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 200; i++) {
      RoaringBitmap b = new RoaringBitmap();
      int n = random.nextInt(2_000_000) + 1;
      for (int k = random.nextInt(50); k > 0; k--) {
        long start = random.nextInt(n);
        b.add(start, Math.min(n, start + random.nextInt(100_000)));
      }
      for (int k = random.nextInt(5_000); k > 0; k--) {
        b.add(random.nextInt(n));
      }
      if (random.nextBoolean()) {
        b.runOptimize();
      }
      assertThat(PortableBitmaps.deserialize(PortableBitmaps.serialize(b), n))
          .as("seed %d", seed)
          .isEqualTo(b);
    }
  }

  @Test
  void empty_bitmap_round_trips_in_eight_bytes() {
    byte[] blob = PortableBitmaps.serialize(new RoaringBitmap());
    assertThat(blob).hasSize(8);
    assertThat(PortableBitmaps.deserialize(blob, 0).isEmpty()).isTrue();
  }

  private static long count(RoaringBitmap b) {
    long n = 0;
    var it = b.getIntIterator();
    while (it.hasNext()) {
      it.next();
      n++;
    }
    return n;
  }
}
