package io.recordtracker.jdbc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.roaringbitmap.ContainerPointer;
import org.roaringbitmap.RoaringBitmap;

/**
 * Writes and reads marks in Roaring's portable serialization format, which other Roaring
 * implementations read too. Reading checks every byte of the blob before Roaring sees it, so a
 * corrupt or truncated blob is reported instead of allocating gigabytes or answering wrong:
 *
 * <ol>
 *   <li>the cookie is one of the two portable cookies and the container count is 0..65536;
 *   <li>the descriptive header (keys, cardinalities, run flags, offsets) fits in the blob, keys
 *       strictly increase and every stored offset is where the previous container ends;
 *   <li>each container fits in the blob and agrees with its declared cardinality: array values
 *       strictly increase, bitmap words hold exactly that many bits, runs are sorted, disjoint,
 *       inside the 16-bit space and add up to it;
 *   <li>the containers end exactly at the blob's end, and the largest record is below the batch's
 *       expected record count.
 * </ol>
 */
final class PortableBitmaps {

  private static final int SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
  private static final int SERIAL_COOKIE = 12347;
  private static final int NO_OFFSET_THRESHOLD = 4;
  private static final int ARRAY_MAX_SIZE = 4096;
  private static final int BITMAP_BYTES = 8192;
  private static final int MAX_CONTAINERS = 1 << 16;

  /** The largest serialized container: a run container of 32768 single-value runs. */
  private static final int MAX_CONTAINER_BYTES = 2 + 4 * 32768;

  /** Per-container header bytes: key and cardinality, offset, and a run-flag bit (rounded up). */
  private static final int CONTAINER_HEADER_BYTES = 9;

  /** Cookie and container count, the most a header adds besides its per-container part. */
  private static final int HEADER_BYTES = 8;

  /** Slack on top of the largest valid size, so that the limit never rejects a valid blob. */
  private static final int HEADROOM_BYTES = 1024;

  private PortableBitmaps() {}

  /**
   * The most bytes a valid portable serialization of marks of a batch of {@code expectedRecords}
   * records can take, with some headroom: a longer stored blob is corrupt without reading it.
   */
  static long maxSerializedBytes(long expectedRecords) {
    long containers = Math.max(1, (expectedRecords + 0xFFFF) >>> 16);
    return HEADER_BYTES
        + containers * (CONTAINER_HEADER_BYTES + (long) MAX_CONTAINER_BYTES)
        + HEADROOM_BYTES;
  }

  /**
   * {@link #maxSerializedBytes} as an SQL expression over the non-negative INTEGER column {@code
   * expectedRecords}, equal in PostgreSQL, MySQL/MariaDB and H2: the only division is of a multiple
   * of 65536, so it is exact whether the database divides integers or decimals, and the decimal
   * factor keeps the product from overflowing INTEGER.
   */
  static String maxSerializedBytesSql(String expectedRecords) {
    // floor((e - 1) / 65536) + 1 is max(1, ceil(e / 65536)) for every e >= 0: MOD takes the sign
    // of the dividend in all three, so e = 0 gives 0 + 1.
    String below = "(" + expectedRecords + " - 1)";
    String containers = "((" + below + " - MOD(" + below + ", 65536)) / 65536 + 1)";
    return "("
        + (HEADER_BYTES + HEADROOM_BYTES)
        + " + "
        + (CONTAINER_HEADER_BYTES + MAX_CONTAINER_BYTES)
        + ".0 * "
        + containers
        + ")";
  }

  /**
   * The bitmap's portable serialization, as one blob or, when that would exceed {@code maxBytes},
   * as several blobs over consecutive container key ranges whose union is the bitmap; each then
   * stays within {@code maxBytes} (one container serializes to at most about 128 KB, so {@code
   * maxBytes} must be above that to be a hard bound). The bitmap should be run-optimised.
   */
  static List<byte[]> serializeSplit(RoaringBitmap marks, int maxBytes) {
    if (marks.serializedSizeInBytes() <= maxBytes) {
      return List.of(serialize(marks));
    }
    List<byte[]> blobs = new ArrayList<>();
    ContainerPointer containers = marks.getContainerPointer();
    int firstKey = -1;
    long size = HEADER_BYTES;
    while (containers.getContainer() != null) {
      int key = containers.key();
      long bytes = CONTAINER_HEADER_BYTES + containers.getContainer().serializedSizeInBytes();
      if (firstKey >= 0 && size + bytes > maxBytes) {
        blobs.add(serializePart(marks, firstKey, key));
        firstKey = -1;
        size = HEADER_BYTES;
      }
      if (firstKey < 0) {
        firstKey = key;
      }
      size += bytes;
      containers.advance();
    }
    blobs.add(serializePart(marks, firstKey, 1 << 16));
    return blobs;
  }

  /**
   * The serialized part of {@code marks} in containers {@code fromKey} (incl.) to {@code toKey}.
   */
  private static byte[] serializePart(RoaringBitmap marks, int fromKey, int toKey) {
    RoaringBitmap part =
        RoaringBitmap.and(
            marks, RoaringBitmap.bitmapOfRange((long) fromKey << 16, (long) toKey << 16));
    part.runOptimize();
    return serialize(part);
  }

  /** The bitmap's portable serialization; {@code marks} is not modified. */
  static byte[] serialize(RoaringBitmap marks) {
    ByteBuffer buffer = ByteBuffer.allocate(marks.serializedSizeInBytes());
    marks.serialize(buffer);
    return buffer.array();
  }

  /**
   * The bitmap {@code blob} holds, after checking it is well-formed and holds no record at or
   * beyond {@code expectedRecords}.
   *
   * @throws CorruptMarksException saying what is wrong with the blob
   */
  static RoaringBitmap deserialize(byte[] blob, long expectedRecords) {
    long max = check(blob);
    if (max >= expectedRecords) {
      throw new CorruptMarksException(
          "holds record " + max + ", beyond the batch's " + expectedRecords + " expected records");
    }
    RoaringBitmap marks = new RoaringBitmap();
    try {
      marks.deserialize(ByteBuffer.wrap(blob));
    } catch (IOException | RuntimeException e) {
      throw new CorruptMarksException("Roaring could not read it: " + e, e);
    }
    return marks;
  }

  /** Checks the blob; returns its largest value, or -1 if it is empty. */
  static long check(byte[] blob) {
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int length = blob.length;
    if (length < 4) {
      throw new CorruptMarksException(length + " bytes, shorter than the 4-byte cookie");
    }
    int cookie = b.getInt(0);
    boolean hasRuns;
    int size;
    int position;
    if ((cookie & 0xFFFF) == SERIAL_COOKIE) {
      hasRuns = true;
      size = (cookie >>> 16) + 1;
      position = 4 + (size + 7) / 8;
    } else if (cookie == SERIAL_COOKIE_NO_RUNCONTAINER) {
      hasRuns = false;
      if (length < 8) {
        throw new CorruptMarksException(length + " bytes, too short for the container count");
      }
      size = b.getInt(4);
      if (size < 0 || size > MAX_CONTAINERS) {
        throw new CorruptMarksException(
            "container count " + size + " is outside 0.." + MAX_CONTAINERS);
      }
      position = 8;
    } else {
      throw new CorruptMarksException(
          "cookie " + Integer.toHexString(cookie) + " is not Roaring's portable format");
    }
    boolean hasOffsets = !hasRuns || size >= NO_OFFSET_THRESHOLD;
    int keysAt = position;
    int offsetsAt = keysAt + 4 * size;
    long dataAt = (long) offsetsAt + (hasOffsets ? 4L * size : 0);
    if (dataAt > length) {
      throw new CorruptMarksException(
          length + " bytes, truncated: the header of " + size + " containers needs " + dataAt);
    }
    int at = (int) dataAt;
    int previousKey = -1;
    long max = -1;
    for (int k = 0; k < size; k++) {
      int key = Short.toUnsignedInt(b.getShort(keysAt + 4 * k));
      int cardinality = Short.toUnsignedInt(b.getShort(keysAt + 4 * k + 2)) + 1;
      if (key <= previousKey) {
        throw new CorruptMarksException(
            "container keys do not increase: " + key + " after " + previousKey);
      }
      previousKey = key;
      if (hasOffsets && b.getInt(offsetsAt + 4 * k) != at) {
        throw new CorruptMarksException(
            "container "
                + k
                + " is stored at offset "
                + b.getInt(offsetsAt + 4 * k)
                + ", not "
                + at);
      }
      boolean isRun = hasRuns && (blob[4 + k / 8] & (1 << (k % 8))) != 0;
      int highest;
      if (isRun) {
        need(b, at, 2, k);
        int runs = Short.toUnsignedInt(b.getShort(at));
        need(b, at + 2, 4L * runs, k);
        long sum = 0;
        int previousEnd = -1;
        for (int r = 0; r < runs; r++) {
          int start = Short.toUnsignedInt(b.getShort(at + 2 + 4 * r));
          int end = start + Short.toUnsignedInt(b.getShort(at + 4 + 4 * r));
          if (start <= previousEnd || end > 0xFFFF) {
            throw new CorruptMarksException(
                "run "
                    + r
                    + " of container "
                    + k
                    + " ("
                    + start
                    + "-"
                    + end
                    + ") is out of order"
                    + " or out of range");
          }
          previousEnd = end;
          sum += end - start + 1;
        }
        if (sum != cardinality) {
          throw new CorruptMarksException(
              "container " + k + " declares " + cardinality + " records but its runs hold " + sum);
        }
        highest = previousEnd;
        at += 2 + 4 * runs;
      } else if (cardinality > ARRAY_MAX_SIZE) {
        need(b, at, BITMAP_BYTES, k);
        int bits = 0;
        int last = -1;
        for (int w = 0; w < BITMAP_BYTES / 8; w++) {
          long word = b.getLong(at + 8 * w);
          bits += Long.bitCount(word);
          if (word != 0) {
            last = 64 * w + 63 - Long.numberOfLeadingZeros(word);
          }
        }
        if (bits != cardinality) {
          throw new CorruptMarksException(
              "container "
                  + k
                  + " declares "
                  + cardinality
                  + " records but its bitmap holds "
                  + bits);
        }
        highest = last;
        at += BITMAP_BYTES;
      } else {
        need(b, at, 2L * cardinality, k);
        int previous = -1;
        for (int i = 0; i < cardinality; i++) {
          int value = Short.toUnsignedInt(b.getShort(at + 2 * i));
          if (value <= previous) {
            throw new CorruptMarksException(
                "array container " + k + " is not strictly increasing at position " + i);
          }
          previous = value;
        }
        highest = previous;
        at += 2 * cardinality;
      }
      max = ((long) key << 16) | highest;
    }
    if (at != length) {
      throw new CorruptMarksException(
          length + " bytes, but the " + size + " containers end at byte " + at);
    }
    return max;
  }

  private static void need(ByteBuffer b, int at, long bytes, int container) {
    if (at + bytes > b.capacity()) {
      throw new CorruptMarksException(
          b.capacity()
              + " bytes, truncated: container "
              + container
              + " needs "
              + bytes
              + " bytes at offset "
              + at);
    }
  }

  /** A blob that is not a well-formed portable bitmap of the batch; the message says why. */
  static final class CorruptMarksException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CorruptMarksException(String message) {
      super(message);
    }

    CorruptMarksException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
