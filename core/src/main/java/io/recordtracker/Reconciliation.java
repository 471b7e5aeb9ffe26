package io.recordtracker;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;
import org.roaringbitmap.RoaringBitmap;

/**
 * What a reconciliation of one batch between two stages found. Immutable.
 *
 * <ul>
 *   <li>{@link #missing()}: marked upstream but not downstream, the incident (sent, never
 *       processed): these are the records to resend.
 *   <li>{@link #absentUpstream()}: records 0 .. expected-1 never marked upstream (declared, never
 *       sent).
 *   <li>{@link #unexpected()}: marked downstream but never upstream.
 *   <li>{@link #repeated()}: marked downstream by two or more separate markings, when the
 *       downstream stage {@linkplain Stage#countsRepeats() counts repeats} ({@link Stage#PROCESSED}
 *       does): records processed twice.
 * </ul>
 *
 * Each list is ascending and maximal: adjacent ranges are merged, so {@code [5-9]}, never {@code
 * [5-6, 7-9]}.
 *
 * <p>To resend, ask for the records rather than looping over ranges: {@link #isMissing(int)},
 * {@link #missingRecords()}, or {@link #resendPlan()} to hand to the sender or another system.
 *
 * <h2>Unsealed batches</h2>
 *
 * A batch opened without a count ({@link RecordTracker#openBatch(BatchId)}) and not sealed yet has
 * no declared records to miss upstream: {@link #isSealed()} is false, {@link #absentUpstream()} is
 * empty, {@link #expectedRecords()} is {@link BatchInfo#UNSEALED_BOUND} (a bound, not a count; the
 * JSON's {@code "expected"} too, beside {@code "sealed": false}), and the batch is never {@link
 * #isComplete() complete}: more records may come. {@link #missing()} and {@link #unexpected()} are
 * as for any batch.
 *
 * <h2>Repeats</h2>
 *
 * A record is repeated at a stage when two separate markings of it are durable: two {@code mark}
 * calls (of one tracker or of several), two {@code markWithin} transactions that both committed, or
 * a mark and a {@code markWithin}. Not repeats: a record listed twice in one call ({@code int[]}
 * with duplicates, overlapping ranges of one {@code markAll}), a flush retried after a failure that
 * may have stored it (the retry carries the failed attempt's token), and a {@code markWithin} whose
 * transaction rolled back. A second marking counts at once in the tracker that made it (its
 * buffered marks meet the store's), and in other trackers once it is flushed. Repeats are evidence,
 * not a fault of the batch: {@link #isComplete()} does not depend on them. After a resend of
 * exactly the missing records, the reconciliation says complete, 0 repeated; a resend of the whole
 * file shows every record processed before as repeated.
 *
 * <h2>JSON</h2>
 *
 * {@link #writeJson(Writer)} writes this stable schema (version 1); fields may be added, never
 * renamed or removed:
 *
 * <pre>{@code
 * {
 *   "schemaVersion": 1,
 *   "batch": "01JD...",
 *   "stages": {"upstream": "sent", "downstream": "processed"},
 *   "expected": 486000,
 *   "sealed": true,
 *   "complete": false,
 *   "counts": {"missing": 1200, "absentUpstream": 0, "unexpected": 0, "repeated": 0},
 *   "ranges": {
 *     "missing": [[1000, 1999], [3000, 3199]],
 *     "absentUpstream": [],
 *     "unexpected": [],
 *     "repeated": []
 *   },
 *   "repeatsCounted": true
 * }
 * }</pre>
 */
public final class Reconciliation {

  /** The version of the JSON schema {@link #writeJson(Writer)} writes. */
  public static final int JSON_SCHEMA_VERSION = 1;

  private final BatchId batch;
  private final Stage upstream;
  private final Stage downstream;
  private final int expectedRecords;
  private final Map<String, String> attributes;
  private final boolean sealed;
  private final RangeList missing;
  private final RangeList absentUpstream;
  private final RangeList unexpected;
  private final RangeList repeated;
  private final long repeatedCount;
  private final long missingCount;
  private final long absentUpstreamCount;
  private final long unexpectedCount;

  private Reconciliation(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      Map<String, String> attributes,
      boolean sealed,
      RoaringBitmap missing,
      RoaringBitmap absentUpstream,
      RoaringBitmap unexpected,
      RoaringBitmap repeated) {
    this.batch = batch;
    this.upstream = upstream;
    this.downstream = downstream;
    this.expectedRecords = expectedRecords;
    this.attributes = attributes;
    this.sealed = sealed;
    this.missing = RangeList.of(missing);
    this.absentUpstream = RangeList.of(absentUpstream);
    this.unexpected = RangeList.of(unexpected);
    this.repeated = RangeList.of(repeated);
    this.repeatedCount = repeated.getLongCardinality();
    this.missingCount = missing.getLongCardinality();
    this.absentUpstreamCount = absentUpstream.getLongCardinality();
    this.unexpectedCount = unexpected.getLongCardinality();
  }

  /**
   * Reconciles the marks of two stages of a batch of {@code expectedRecords} records. Neither
   * bitmap is modified.
   *
   * @param attributes the batch's, as {@link BatchInfo#attributes()} holds them (immutable)
   */
  static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      Map<String, String> attributes,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks) {
    return compute(
        batch,
        upstream,
        downstream,
        expectedRecords,
        attributes,
        true,
        upstreamMarks,
        downstreamMarks,
        new RoaringBitmap());
  }

  /**
   * Reconciles the marks of two stages of {@code info}'s batch, sealed or not, with the repeats
   * known at the downstream stage (ignored unless it counts repeats). No bitmap is modified.
   */
  static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      BatchInfo info,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks,
      RoaringBitmap downstreamRepeats) {
    return compute(
        batch,
        upstream,
        downstream,
        info.expectedRecords(),
        info.attributes(),
        info.isSealed(),
        upstreamMarks,
        downstreamMarks,
        downstreamRepeats);
  }

  private static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      Map<String, String> attributes,
      boolean sealed,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks,
      RoaringBitmap downstreamRepeats) {
    RoaringBitmap missing = RoaringBitmap.andNot(upstreamMarks, downstreamMarks);
    // An unsealed batch declares no records, so none is absent upstream.
    RoaringBitmap absent =
        sealed ? RoaringBitmap.flip(upstreamMarks, 0L, expectedRecords) : new RoaringBitmap();
    // Marks beyond the batch never come through the tracker; a foreign writer's would be dropped
    // here rather than flipped into the absent set.
    absent.remove((long) expectedRecords, 0x1_0000_0000L);
    RoaringBitmap unexpected = RoaringBitmap.andNot(downstreamMarks, upstreamMarks);
    // Only records the stage holds: a repeat is a mark made twice, never a record without one.
    RoaringBitmap repeated =
        downstream.countsRepeats()
            ? RoaringBitmap.and(downstreamRepeats, downstreamMarks)
            : new RoaringBitmap();
    return new Reconciliation(
        batch,
        upstream,
        downstream,
        expectedRecords,
        attributes,
        sealed,
        missing,
        absent,
        unexpected,
        repeated);
  }

  /**
   * A reconciliation that found nothing: every list empty, every count zero. A placeholder where
   * none could be made, such as a monitor finding about a batch whose marks cannot be read; it says
   * nothing about the batch's records.
   *
   * @throws NullPointerException if {@code batch}, {@code upstream} or {@code downstream} is null
   * @throws IllegalArgumentException if {@code expectedRecords} is negative
   */
  public static Reconciliation empty(
      BatchId batch, Stage upstream, Stage downstream, int expectedRecords) {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(upstream, "upstream must not be null");
    Objects.requireNonNull(downstream, "downstream must not be null");
    if (expectedRecords < 0) {
      throw new IllegalArgumentException(
          "expectedRecords must not be negative: " + expectedRecords);
    }
    return new Reconciliation(
        batch,
        upstream,
        downstream,
        expectedRecords,
        Map.of(),
        true,
        new RoaringBitmap(),
        new RoaringBitmap(),
        new RoaringBitmap(),
        new RoaringBitmap());
  }

  /** The batch reconciled. */
  public BatchId batch() {
    return batch;
  }

  /** The stage records should have reached first, such as {@link Stage#SENT}. */
  public Stage upstream() {
    return upstream;
  }

  /** The stage records should have reached next, such as {@link Stage#PROCESSED}. */
  public Stage downstream() {
    return downstream;
  }

  /**
   * The batch's declared record count; {@link BatchInfo#UNSEALED_BOUND} (a bound, not a count) if
   * it is not sealed (see the class documentation).
   */
  public int expectedRecords() {
    return expectedRecords;
  }

  /**
   * Whether the batch's size was fixed when this was computed: opened with a count, or sealed
   * since. While it is not, {@link #absentUpstream()} is empty and the batch is never complete.
   */
  public boolean isSealed() {
    return sealed;
  }

  /** Records marked upstream but not downstream: the ones to resend. Ascending, maximal. */
  public List<RecordRange> missing() {
    return missing;
  }

  /**
   * Whether {@code record} is {@linkplain #missing() missing}: a binary search over the missing
   * ranges, so a sender can filter its original file record by record.
   *
   * @throws IllegalArgumentException if {@code record} is negative
   */
  public boolean isMissing(int record) {
    return missing.includes(requireRecord(record));
  }

  /**
   * The missing records one by one, ascending, as {@link #missing()} holds them in ranges. The
   * stream is lazy: it makes each record as it is consumed and never an array of them, so ten
   * million missing records take no more memory than ten. It is sequential; {@code parallel()}
   * splits it between ranges.
   */
  public IntStream missingRecords() {
    return missing.records(missingCount);
  }

  /**
   * The plan to resend the {@linkplain #missing() missing} records: this batch, this stage pair,
   * the missing ranges and the batch's attributes, in a value a sender filters its original with
   * ({@link ResendPlan#includes(int)}) and a job hands to another system ({@link
   * ResendPlan#toJson()}). Records never marked upstream ({@link #absentUpstream()}) are not in it.
   */
  public ResendPlan resendPlan() {
    return new ResendPlan(batch, upstream, downstream, attributes, missing, missingCount);
  }

  /** Checks a record number given to a query. */
  static int requireRecord(int record) {
    if (record < 0) {
      throw new IllegalArgumentException("record must not be negative: " + record);
    }
    return record;
  }

  /** Records of 0 .. expected-1 never marked upstream. Ascending, maximal. */
  public List<RecordRange> absentUpstream() {
    return absentUpstream;
  }

  /** Records marked downstream but never upstream. Ascending, maximal. */
  public List<RecordRange> unexpected() {
    return unexpected;
  }

  /**
   * Records marked at the downstream stage by two or more separate markings (see the class
   * documentation): processed twice. Ascending, maximal; empty if the downstream stage does not
   * {@linkplain Stage#countsRepeats() count repeats}.
   */
  public List<RecordRange> repeated() {
    return repeated;
  }

  /** The number of records in {@link #repeated()}. */
  public long repeatedCount() {
    return repeatedCount;
  }

  /** The number of records in {@link #missing()}. */
  public long missingCount() {
    return missingCount;
  }

  /** The number of records in {@link #absentUpstream()}. */
  public long absentUpstreamCount() {
    return absentUpstreamCount;
  }

  /** The number of records in {@link #unexpected()}. */
  public long unexpectedCount() {
    return unexpectedCount;
  }

  /**
   * Whether every expected record reached both stages and nothing unexpected did; never for an
   * unsealed batch, whose records are not all known yet.
   */
  public boolean isComplete() {
    return sealed && missingCount == 0 && absentUpstreamCount == 0 && unexpectedCount == 0;
  }

  /**
   * This result as JSON in the schema of the class documentation, in one String. For results with
   * very many ranges prefer {@link #writeJson(Writer)}.
   */
  public String toJson() {
    return ReportJson.toJson(this::write);
  }

  /**
   * Streams this result as JSON in the schema of the class documentation. Ranges are written as
   * they are read, so memory does not grow with their number. The writer is flushed, not closed.
   *
   * @throws IOException if the writer fails
   */
  public void writeJson(Writer writer) throws IOException {
    ReportJson.write(writer, this::write);
  }

  private void write(JsonGenerator g) throws IOException {
    ReportJson.writeHead(g, JSON_SCHEMA_VERSION, batch, upstream, downstream);
    g.writeNumberField("expected", expectedRecords);
    g.writeBooleanField("sealed", sealed);
    g.writeBooleanField("complete", isComplete());
    g.writeObjectFieldStart("counts");
    g.writeNumberField("missing", missingCount);
    g.writeNumberField("absentUpstream", absentUpstreamCount);
    g.writeNumberField("unexpected", unexpectedCount);
    g.writeNumberField("repeated", repeatedCount);
    g.writeEndObject();
    g.writeObjectFieldStart("ranges");
    ReportJson.writeRanges(g, "missing", missing);
    ReportJson.writeRanges(g, "absentUpstream", absentUpstream);
    ReportJson.writeRanges(g, "unexpected", unexpected);
    ReportJson.writeRanges(g, "repeated", repeated);
    g.writeEndObject();
    g.writeBooleanField("repeatsCounted", downstream.countsRepeats());
    g.writeEndObject();
  }

  /**
   * A one-line summary for logs: the batch, stages, counts and at most the first five missing
   * ranges.
   */
  @Override
  public String toString() {
    StringBuilder s =
        new StringBuilder("Reconciliation{batch=")
            .append(batch)
            .append(", ")
            .append(upstream)
            .append("->")
            .append(downstream)
            .append(sealed ? ", expected=" + expectedRecords : ", unsealed")
            .append(", missing=")
            .append(missingCount)
            .append(", absentUpstream=")
            .append(absentUpstreamCount)
            .append(", unexpected=")
            .append(unexpectedCount);
    if (repeatedCount > 0) {
      s.append(", repeated=").append(repeatedCount);
    }
    if (!missing.isEmpty()) {
      s.append(", missingRanges=").append(missing.firstFive());
    }
    return s.append('}').toString();
  }
}
