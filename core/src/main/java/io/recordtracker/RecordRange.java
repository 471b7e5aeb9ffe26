package io.recordtracker;

import java.util.NoSuchElementException;
import java.util.PrimitiveIterator;
import java.util.stream.IntStream;

/**
 * A run of consecutive record numbers, inclusive at both ends; written {@code first-last}, or as
 * the one number when the range holds one record ({@code 4242}).
 *
 * <p>Record numbers are positions in a batch, 0 .. expectedRecords-1. To visit the records of a
 * range, use {@link #stream()} or {@link #iterator()}, both without boxing:
 *
 * <pre>{@code
 * range.stream().forEach(r -> out.write(r));
 * for (PrimitiveIterator.OfInt it = range.iterator(); it.hasNext(); ) {
 *   int r = it.nextInt();
 * }
 * }</pre>
 *
 * A range is deliberately not an {@link Iterable}: an {@code Iterable<Integer>} boxes every record
 * in a for-each loop, and serializers and assertion libraries treat an iterable as a collection, so
 * a range of millions of records would be written out record by record.
 */
public final class RecordRange implements Comparable<RecordRange> {

  private final int first;
  private final int last;

  private RecordRange(int first, int last) {
    this.first = first;
    this.last = last;
  }

  /**
   * Returns the range {@code first..last}, both included.
   *
   * @throws IllegalArgumentException unless {@code 0 <= first <= last}
   */
  public static RecordRange of(int first, int last) {
    if (first < 0 || first > last) {
      throw new IllegalArgumentException(
          "range must satisfy 0 <= first <= last: first=" + first + ", last=" + last);
    }
    return new RecordRange(first, last);
  }

  /**
   * Returns the range holding the one record {@code record}.
   *
   * @throws IllegalArgumentException if {@code record} is negative
   */
  public static RecordRange single(int record) {
    return of(record, record);
  }

  /**
   * Parses the text form {@code first-last}, or a single number for a range of one record, as
   * {@link #toString()} writes it; {@code 7-7} is accepted too.
   *
   * @throws IllegalArgumentException if the text is not such a range
   */
  public static RecordRange parse(String text) {
    int dash = text.indexOf('-', 1);
    try {
      if (dash < 0) {
        return single(Integer.parseInt(text.trim()));
      }
      return of(
          Integer.parseInt(text.substring(0, dash).trim()),
          Integer.parseInt(text.substring(dash + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a record range (first-last): \"" + BatchId.abbreviate(text) + "\"", e);
    }
  }

  /** The first record of the range. */
  public int first() {
    return first;
  }

  /** The last record of the range, included. */
  public int last() {
    return last;
  }

  /** The number of records in the range, at least 1. */
  public long size() {
    return (long) last - first + 1;
  }

  /** Whether {@code record} lies in this range. */
  public boolean contains(int record) {
    return record >= first && record <= last;
  }

  /** The records of this range, ascending, without boxing. */
  public IntStream stream() {
    return IntStream.rangeClosed(first, last);
  }

  /**
   * An iterator over the records of this range, ascending; {@link
   * PrimitiveIterator.OfInt#nextInt()} returns each without boxing.
   */
  public PrimitiveIterator.OfInt iterator() {
    return new PrimitiveIterator.OfInt() {
      // A long, so that a range ending at Integer.MAX_VALUE ends.
      private long next = first;

      @Override
      public boolean hasNext() {
        return next <= last;
      }

      @Override
      public int nextInt() {
        if (next > last) {
          throw new NoSuchElementException("past the last record of " + RecordRange.this);
        }
        return (int) next++;
      }
    };
  }

  /** Orders by first record, then by last. */
  @Override
  public int compareTo(RecordRange other) {
    int c = Integer.compare(first, other.first);
    return c != 0 ? c : Integer.compare(last, other.last);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordRange
        && ((RecordRange) o).first == first
        && ((RecordRange) o).last == last;
  }

  @Override
  public int hashCode() {
    return 31 * first + last;
  }

  /**
   * The range as {@code first-last}, for example {@code 3000000-3485999}, or a range of one record
   * as its number, for example {@code 4242}. {@link #parse(String)} reads both.
   */
  @Override
  public String toString() {
    return first == last ? Integer.toString(first) : first + "-" + last;
  }
}
