package io.recordtracker;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
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
  private static final AtomicLong LAST_MILLIS = new AtomicLong();

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
   * <p>The id is a 26-character ULID: 48 bits of milliseconds since the epoch followed by 80 random
   * bits, in Crockford base32. Ids generated within the same millisecond by one JVM still sort in
   * generation order, because the clock is never allowed to go backwards within a JVM.
   */
  public static BatchId generate() {
    long now = System.currentTimeMillis();
    long millis = LAST_MILLIS.updateAndGet(last -> Math.max(last, now));
    byte[] random = new byte[10];
    RANDOM.nextBytes(random);
    char[] text = new char[26];
    for (int i = 9; i >= 0; i--) {
      text[i] = CROCKFORD[(int) (millis & 31)];
      millis >>>= 5;
    }
    // 80 random bits as 16 base32 characters.
    long high = 0;
    for (int i = 0; i < 5; i++) {
      high = (high << 8) | (random[i] & 0xFF);
    }
    long low = 0;
    for (int i = 5; i < 10; i++) {
      low = (low << 8) | (random[i] & 0xFF);
    }
    for (int i = 17; i >= 10; i--) {
      text[i] = CROCKFORD[(int) (high & 31)];
      high >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      text[i] = CROCKFORD[(int) (low & 31)];
      low >>>= 5;
    }
    return new BatchId(new String(text));
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
