package io.recordtracker;

/**
 * A run of consecutive record numbers, inclusive at both ends; written {@code first-last}.
 *
 * <p>Record numbers are positions in a batch, 0 .. expectedRecords-1.
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
   * Parses the text form {@code first-last} (or a single number), as {@link #toString()} writes it.
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

  /** The range as {@code first-last}, for example {@code 3000000-3485999}. */
  @Override
  public String toString() {
    return first + "-" + last;
  }
}
