package io.recordtracker;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.RandomAccess;
import java.util.Spliterator;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.roaringbitmap.ArrayContainer;
import org.roaringbitmap.BitmapContainer;
import org.roaringbitmap.Container;
import org.roaringbitmap.ContainerPointer;
import org.roaringbitmap.PeekableCharIterator;
import org.roaringbitmap.RoaringBitmap;
import org.roaringbitmap.RunContainer;

/**
 * An immutable, ascending list of maximal record ranges, stored as one {@code int[]} of (first,
 * last) pairs; {@link RecordRange} objects are made only when an element is read.
 *
 * <p>{@link #of(RoaringBitmap)} extracts the ranges of a bitmap without visiting records one by
 * one:
 *
 * <ol>
 *   <li>it walks the bitmap's containers (one per 65,536 record numbers) in key order;
 *   <li>a run container already holds ranges: each run is copied as is;
 *   <li>a bitmap container is scanned a 64-bit word at a time, jumping from the next set bit to the
 *       next clear bit with {@code numberOfTrailingZeros}, so a word that is all ones or all zeros
 *       costs one step;
 *   <li>an array container (at most 4,096 values) is walked value by value;
 *   <li>each range found is appended, or joined to the previous one when it starts right after it,
 *       which merges runs that cross a container boundary.
 * </ol>
 *
 * The cost grows with the number of containers and of ranges, not with the number of records.
 */
final class RangeList extends AbstractList<RecordRange> implements RandomAccess {

  static final RangeList EMPTY = new RangeList(new int[0], 0);

  private static final int WORDS_PER_CONTAINER = 1024;

  private final int[] pairs;
  private final int size;

  private RangeList(int[] pairs, int size) {
    this.pairs = pairs;
    this.size = size;
  }

  /** The maximal ranges of {@code bitmap}, ascending. */
  static RangeList of(RoaringBitmap bitmap) {
    if (bitmap.isEmpty()) {
      return EMPTY;
    }
    Builder out = new Builder();
    long[] words = null;
    ContainerPointer pointer = bitmap.getContainerPointer();
    for (Container c = pointer.getContainer(); c != null; c = pointer.getContainer()) {
      int base = pointer.key() << 16;
      if (c instanceof RunContainer) {
        RunContainer runs = (RunContainer) c;
        for (int i = 0, n = runs.numberOfRuns(); i < n; i++) {
          int start = base + runs.getValue(i);
          out.add(start, start + runs.getLength(i));
        }
      } else if (c instanceof BitmapContainer) {
        if (words == null) {
          words = new long[WORDS_PER_CONTAINER];
        }
        ((BitmapContainer) c).copyBitmapTo(words, 0);
        addWords(words, base, out);
      } else {
        addValues((ArrayContainer) c, base, out);
      }
      pointer.advance();
    }
    return out.build();
  }

  private static void addWords(long[] words, int base, Builder out) {
    int w = 0;
    while (w < WORDS_PER_CONTAINER) {
      long word = words[w];
      if (word == 0) {
        w++;
        continue;
      }
      int startBit = (w << 6) + Long.numberOfTrailingZeros(word);
      // Find the first clear bit at or after startBit.
      long inverted = ~word & (-1L << (startBit & 63));
      while (inverted == 0 && ++w < WORDS_PER_CONTAINER) {
        inverted = ~words[w];
      }
      int endBit; // exclusive
      if (w == WORDS_PER_CONTAINER) {
        endBit = WORDS_PER_CONTAINER << 6;
      } else {
        endBit = (w << 6) + Long.numberOfTrailingZeros(inverted);
        // Clear the run just found (and what precedes it) from word w, then go on scanning it.
        words[w] &= -1L << (endBit & 63);
      }
      out.add(base + startBit, base + endBit - 1);
    }
  }

  private static void addValues(ArrayContainer c, int base, Builder out) {
    PeekableCharIterator it = c.getCharIterator();
    int start = -1;
    int last = -2;
    while (it.hasNext()) {
      int v = base + it.next();
      if (v != last + 1) {
        if (start >= 0) {
          out.add(start, last);
        }
        start = v;
      }
      last = v;
    }
    if (start >= 0) {
      out.add(start, last);
    }
  }

  @Override
  public RecordRange get(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("index " + index + ", size " + size);
    }
    return RecordRange.of(pairs[2 * index], pairs[2 * index + 1]);
  }

  /** The first record of range {@code index}, without making a {@link RecordRange}. */
  int first(int index) {
    return pairs[2 * index];
  }

  /** The last record of range {@code index}, without making a {@link RecordRange}. */
  int last(int index) {
    return pairs[2 * index + 1];
  }

  @Override
  public int size() {
    return size;
  }

  /** The first five ranges for a log line, as {@code [5-9, 20]+3 more}. */
  String firstFive() {
    String shown = subList(0, Math.min(5, size)).toString();
    return size > 5 ? shown + "+" + (size - 5) + " more" : shown;
  }

  /** Whether {@code record} lies in one of the ranges: a binary search over them. */
  boolean includes(int record) {
    int low = 0;
    int high = size - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (record < pairs[2 * mid]) {
        high = mid - 1;
      } else if (record > pairs[2 * mid + 1]) {
        low = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** The number of records in all the ranges. */
  long recordCount() {
    long n = 0;
    for (int i = 0; i < size; i++) {
      n += (long) pairs[2 * i + 1] - pairs[2 * i] + 1;
    }
    return n;
  }

  /**
   * The records of all the ranges, ascending, produced one at a time as they are consumed: memory
   * stays constant however many records the ranges hold (a flat-mapped stream would buffer a whole
   * range when pulled through an iterator).
   *
   * @param recordCount the number of records, as {@link #recordCount()} counts them
   */
  IntStream records(long recordCount) {
    return StreamSupport.intStream(new Records(0, size, recordCount), false);
  }

  /** Walks the records of ranges [range, end), splitting between ranges. */
  private final class Records implements Spliterator.OfInt {
    private int range;
    private final int end;
    // The next record of the current range; a long, so that a range ending at MAX_VALUE ends.
    private long next;
    // The records left: exact until a split, which halves it as an estimate.
    private long estimate;
    private boolean exact;

    Records(int range, int end, long count) {
      this.range = range;
      this.end = end;
      this.next = range < end ? pairs[2 * range] : 0;
      this.estimate = count;
      this.exact = true;
    }

    @Override
    public boolean tryAdvance(IntConsumer action) {
      if (range >= end) {
        return false;
      }
      int record = (int) next;
      if (next++ == pairs[2 * range + 1]) {
        moveTo(range + 1);
      }
      estimate--;
      action.accept(record);
      return true;
    }

    @Override
    public void forEachRemaining(IntConsumer action) {
      estimate = 0;
      for (; range < end; moveTo(range + 1)) {
        for (long r = next, last = pairs[2 * range + 1]; r <= last; r++) {
          action.accept((int) r);
        }
      }
    }

    private void moveTo(int index) {
      range = index;
      if (index < end) {
        next = pairs[2 * index];
      }
    }

    @Override
    public Spliterator.OfInt trySplit() {
      int remaining = end - range;
      if (remaining < 2) {
        return null;
      }
      int mid = range + remaining / 2;
      Records prefix = new Records(range, mid, estimate / 2);
      prefix.next = next;
      prefix.exact = false;
      exact = false;
      moveTo(mid);
      estimate -= prefix.estimate;
      return prefix;
    }

    @Override
    public long estimateSize() {
      return estimate;
    }

    @Override
    public int characteristics() {
      int sized = exact ? Spliterator.SIZED : 0;
      return Spliterator.ORDERED
          | Spliterator.SORTED
          | Spliterator.DISTINCT
          | Spliterator.NONNULL
          | Spliterator.IMMUTABLE
          | sized;
    }

    @Override
    public Comparator<? super Integer> getComparator() {
      return null; // natural order
    }
  }

  /** Appends ranges in ascending order, joining a range to the previous one when adjacent. */
  static final class Builder {
    private int[] pairs = new int[16];
    private int size;

    void add(int first, int last) {
      if (size > 0 && pairs[2 * size - 1] == first - 1) {
        pairs[2 * size - 1] = last;
        return;
      }
      if (2 * size == pairs.length) {
        pairs = Arrays.copyOf(pairs, pairs.length * 2);
      }
      pairs[2 * size] = first;
      pairs[2 * size + 1] = last;
      size++;
    }

    RangeList build() {
      return size == 0 ? EMPTY : new RangeList(pairs, size);
    }
  }
}
