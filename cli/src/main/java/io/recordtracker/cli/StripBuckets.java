package io.recordtracker.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.RecordRange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The completeness strip of a batch: its record space cut into at most a given number of equal
 * buckets, each with how many of its records are missing, never sent and unexpected. Built in one
 * pass over each kind's ranges (ascending and disjoint, as a reconciliation lists them): a range
 * touches only the buckets it overlaps, so 5,000,000 ranges cost as much as 5,000,000 bucket
 * lookups, and the page draws a few thousand buckets whatever the batch holds. Counts are exact: a
 * range crossing a bucket edge is split at the edge.
 */
final class StripBuckets {

  /** The kinds of records a strip counts, in the order of {@link #counts}. */
  enum Kind {
    MISSING("missing"),
    ABSENT_UPSTREAM("absentUpstream"),
    UNEXPECTED("unexpected");

    final String json;

    Kind(String json) {
      this.json = json;
    }
  }

  /** How many of a bucket's ranges of each kind it keeps to show on hover. */
  static final int SAMPLE_RANGES = 5;

  private final long space;
  private final int bucketCount;
  private final long[][] counts;
  private final int[][] rangeCounts;
  private final List<List<List<RecordRange>>> samples;

  private StripBuckets(long space, int bucketCount) {
    this.space = space;
    this.bucketCount = bucketCount;
    int kinds = Kind.values().length;
    this.counts = new long[kinds][bucketCount];
    this.rangeCounts = new int[kinds][bucketCount];
    this.samples = new ArrayList<>(kinds);
    for (int k = 0; k < kinds; k++) {
      List<List<RecordRange>> perBucket = new ArrayList<>(bucketCount);
      for (int b = 0; b < bucketCount; b++) {
        perBucket.add(new ArrayList<>(0));
      }
      samples.add(perBucket);
    }
  }

  /**
   * Aggregates the ranges of a batch of {@code expectedRecords} records into at most {@code
   * maxBuckets} buckets. The space is 0 .. expected-1, widened to the last range if one lies beyond
   * (a foreign writer's marks); there is one bucket per record when the space is smaller than
   * {@code maxBuckets}.
   *
   * @throws IllegalArgumentException if {@code expectedRecords} is negative or {@code maxBuckets}
   *     is below 1
   */
  static StripBuckets of(
      int expectedRecords,
      int maxBuckets,
      List<RecordRange> missing,
      List<RecordRange> absentUpstream,
      List<RecordRange> unexpected) {
    if (expectedRecords < 0) {
      throw new IllegalArgumentException(
          "expectedRecords must not be negative: " + expectedRecords);
    }
    if (maxBuckets < 1) {
      throw new IllegalArgumentException("maxBuckets must be at least 1: " + maxBuckets);
    }
    long space = expectedRecords;
    for (List<RecordRange> ranges : List.of(missing, absentUpstream, unexpected)) {
      if (!ranges.isEmpty()) {
        space = Math.max(space, ranges.get(ranges.size() - 1).last() + 1L);
      }
    }
    StripBuckets strip = new StripBuckets(space, (int) Math.min(maxBuckets, space));
    strip.add(Kind.MISSING, missing);
    strip.add(Kind.ABSENT_UPSTREAM, absentUpstream);
    strip.add(Kind.UNEXPECTED, unexpected);
    return strip;
  }

  private void add(Kind kind, List<RecordRange> ranges) {
    long[] count = counts[kind.ordinal()];
    int[] rangeCount = rangeCounts[kind.ordinal()];
    List<List<RecordRange>> sample = samples.get(kind.ordinal());
    for (RecordRange r : ranges) {
      int firstBucket = bucketOf(r.first());
      int lastBucket = bucketOf(r.last());
      for (int b = firstBucket; b <= lastBucket; b++) {
        long from = Math.max(r.first(), first(b));
        long to = Math.min(r.last(), last(b));
        count[b] += to - from + 1;
        rangeCount[b]++;
        if (sample.get(b).size() < SAMPLE_RANGES) {
          sample.get(b).add(RecordRange.of((int) from, (int) to));
        }
      }
    }
  }

  /** The bucket holding {@code record}: the last bucket whose first record is at most it. */
  int bucketOf(long record) {
    return (int) (((record + 1) * bucketCount - 1) / space);
  }

  /** How many records the strip spans: expected, or more if a range lies beyond. */
  long space() {
    return space;
  }

  /** How many buckets: the smaller of the maximum asked for and the space. */
  int bucketCount() {
    return bucketCount;
  }

  /** The first record of bucket {@code b}. */
  long first(int b) {
    return (long) b * space / bucketCount;
  }

  /** The last record of bucket {@code b}. */
  long last(int b) {
    return (long) (b + 1) * space / bucketCount - 1;
  }

  /** How many records of {@code kind} bucket {@code b} holds. */
  long count(Kind kind, int b) {
    return counts[kind.ordinal()][b];
  }

  /** How many ranges of {@code kind} overlap bucket {@code b}. */
  int rangeCount(Kind kind, int b) {
    return rangeCounts[kind.ordinal()][b];
  }

  /**
   * The first {@value #SAMPLE_RANGES} ranges of {@code kind} in bucket {@code b}, cut at its edges.
   */
  List<RecordRange> ranges(Kind kind, int b) {
    return samples.get(kind.ordinal()).get(b);
  }

  /**
   * Writes the strip as a JSON object: {@code space}, {@code bucketCount} and the buckets that hold
   * anything, each with its first and last record, its counts, range counts and sample ranges.
   * Buckets left out hold nothing.
   */
  void writeJson(JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeNumberField("space", space);
    g.writeNumberField("bucketCount", bucketCount);
    g.writeNumberField("sampleRanges", SAMPLE_RANGES);
    g.writeArrayFieldStart("buckets");
    for (int b = 0; b < bucketCount; b++) {
      if (isEmpty(b)) {
        continue;
      }
      g.writeStartObject();
      g.writeNumberField("index", b);
      g.writeNumberField("first", first(b));
      g.writeNumberField("last", last(b));
      for (Kind kind : Kind.values()) {
        g.writeObjectFieldStart(kind.json);
        g.writeNumberField("count", count(kind, b));
        g.writeNumberField("rangeCount", rangeCount(kind, b));
        Render.writeRanges(g, "ranges", ranges(kind, b));
        g.writeEndObject();
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private boolean isEmpty(int b) {
    for (Kind kind : Kind.values()) {
      if (rangeCount(kind, b) > 0) {
        return false;
      }
    }
    return true;
  }
}
