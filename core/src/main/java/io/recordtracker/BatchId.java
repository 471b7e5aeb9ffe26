package io.recordtracker;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Identifies a batch: what a sender ships as one unit, typically a file.
 *
 * <p>A batch id is 1 to 128 characters of {@code [A-Za-z0-9._:-]}, so it can be stamped into file
 * names, headers and log lines without quoting. Instances are immutable and compare by their text.
 */
public final class BatchId implements Comparable<BatchId> {

  /** The longest accepted id, in characters. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Monotonic MONOTONIC = new Monotonic();

  private final String value;

  private BatchId(String value) {
    this.value = value;
  }

  /**
   * Returns the batch id with the given text.
   *
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalArgumentException if {@code value} is empty, longer than 128 characters or holds
   *     a character outside {@code [A-Za-z0-9._:-]}
   */
  public static BatchId of(String value) {
    Objects.requireNonNull(value, "batch id must not be null");
    if (!VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "batch id must be 1-"
              + MAX_LENGTH
              + " characters of [A-Za-z0-9._:-]: \""
              + abbreviate(value)
              + "\"");
    }
    return new BatchId(value);
  }

  /**
   * Returns a new id that is unique across processes and hosts without coordination, and whose text
   * sorts by creation time.
   *
   * <p>The id is a 26-character ULID: 48 bits of milliseconds since the epoch followed by 80 bits,
   * in Crockford base32. The 80 bits are random for the first id of a millisecond; each further id
   * of the same millisecond in this JVM takes the previous id's 80 bits plus one (the ULID
   * specification's monotonic mode). So the ids one JVM generates sort in generation order, also
   * within a millisecond and across threads, and even when the system clock steps back (the last
   * millisecond is kept until the clock passes it). Ids of different JVMs within one millisecond
   * sort in no particular order.
   */
  public static BatchId generate() {
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    return new BatchId(MONOTONIC.next(System.currentTimeMillis(), random));
  }

  /**
   * The monotonic ULID sequence of one JVM: its last time and 80-bit suffix, which the next id of
   * the same (or an earlier) millisecond increments.
   */
  static final class Monotonic {
    private static final long MASK_40 = (1L << 40) - 1;

    private long lastMillis = -1;
    private long high; // upper 40 of the 80 bits
    private long low; // lower 40 of the 80 bits

    /** The text of the next id at {@code now}, starting a millisecond with {@code random}. */
    synchronized String next(long now, byte[] random) {
      if (now > lastMillis) {
        lastMillis = now;
        high = bits40(random, 0);
        low = bits40(random, 5);
      } else {
        low = (low + 1) & MASK_40;
        if (low == 0) {
          high = (high + 1) & MASK_40;
          if (high == 0) {
            // All 80 bits used up within one millisecond (about never, from a random start):
            // borrow the next millisecond rather than repeat or fail.
            lastMillis++;
          }
        }
      }
      char[] text = new char[26];
      long millis = lastMillis;
      for (int i = 9; i >= 0; i--) {
        text[i] = CROCKFORD[(int) (millis & 31)];
        millis >>>= 5;
      }
      long h = high;
      for (int i = 17; i >= 10; i--) {
        text[i] = CROCKFORD[(int) (h & 31)];
        h >>>= 5;
      }
      long l = low;
      for (int i = 25; i >= 18; i--) {
        text[i] = CROCKFORD[(int) (l & 31)];
        l >>>= 5;
      }
      return new String(text);
    }

    private static long bits40(byte[] bytes, int from) {
      long bits = 0;
      for (int i = from; i < from + 5; i++) {
        bits = (bits << 8) | (bytes[i] & 0xFF);
      }
      return bits;
    }
  }

  /** The id's text. */
  public String value() {
    return value;
  }

  @Override
  public int compareTo(BatchId other) {
    return value.compareTo(other.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchId && ((BatchId) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  /** The id's text, as {@link #value()}. */
  @Override
  public String toString() {
    return value;
  }

  static String abbreviate(String text) {
    return text.length() <= 200
        ? text
        : text.substring(0, 200) + "...(" + text.length() + " chars)";
  }
}
