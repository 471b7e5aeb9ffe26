package io.recordtracker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.List;
import java.util.Objects;
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
 * </ul>
 *
 * Each list is ascending and maximal: adjacent ranges are merged, so {@code [5-9]}, never {@code
 * [5-6, 7-9]}.
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
 *   "counts": {"missing": 1200, "absentUpstream": 0, "unexpected": 0},
 *   "ranges": {
 *     "missing": [[1000, 1999], [3000, 3199]],
 *     "absentUpstream": [],
 *     "unexpected": []
 *   }
 * }
 * }</pre>
 */
public final class Reconciliation {

  /** The version of the JSON schema {@link #writeJson(Writer)} writes. */
  public static final int JSON_SCHEMA_VERSION = 1;

  private static final JsonFactory JSON = new JsonFactory();

  private final BatchId batch;
  private final Stage upstream;
  private final Stage downstream;
  private final int expectedRecords;
  private final boolean sealed;
  private final RangeList missing;
  private final RangeList absentUpstream;
  private final RangeList unexpected;
  private final long missingCount;
  private final long absentUpstreamCount;
  private final long unexpectedCount;

  private Reconciliation(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      boolean sealed,
      RoaringBitmap missing,
      RoaringBitmap absentUpstream,
      RoaringBitmap unexpected) {
    this.batch = batch;
    this.upstream = upstream;
    this.downstream = downstream;
    this.expectedRecords = expectedRecords;
    this.sealed = sealed;
    this.missing = RangeList.of(missing);
    this.absentUpstream = RangeList.of(absentUpstream);
    this.unexpected = RangeList.of(unexpected);
    this.missingCount = missing.getLongCardinality();
    this.absentUpstreamCount = absentUpstream.getLongCardinality();
    this.unexpectedCount = unexpected.getLongCardinality();
  }

  /**
   * Reconciles the marks of two stages of a batch of {@code expectedRecords} records. Neither
   * bitmap is modified.
   */
  static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks) {
    return compute(
        batch, upstream, downstream, expectedRecords, true, upstreamMarks, downstreamMarks);
  }

  /** Reconciles the marks of two stages of {@code info}'s batch, sealed or not. */
  static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      BatchInfo info,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks) {
    return compute(
        batch,
        upstream,
        downstream,
        info.expectedRecords(),
        info.isSealed(),
        upstreamMarks,
        downstreamMarks);
  }

  private static Reconciliation compute(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      int expectedRecords,
      boolean sealed,
      RoaringBitmap upstreamMarks,
      RoaringBitmap downstreamMarks) {
    RoaringBitmap missing = RoaringBitmap.andNot(upstreamMarks, downstreamMarks);
    // An unsealed batch declares no records, so none is absent upstream.
    RoaringBitmap absent =
        sealed ? RoaringBitmap.flip(upstreamMarks, 0L, expectedRecords) : new RoaringBitmap();
    // Marks beyond the batch never come through the tracker; a foreign writer's would be dropped
    // here rather than flipped into the absent set.
    absent.remove((long) expectedRecords, 0x1_0000_0000L);
    RoaringBitmap unexpected = RoaringBitmap.andNot(downstreamMarks, upstreamMarks);
    return new Reconciliation(
        batch, upstream, downstream, expectedRecords, sealed, missing, absent, unexpected);
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
        true,
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

  /** Records of 0 .. expected-1 never marked upstream. Ascending, maximal. */
  public List<RecordRange> absentUpstream() {
    return absentUpstream;
  }

  /** Records marked downstream but never upstream. Ascending, maximal. */
  public List<RecordRange> unexpected() {
    return unexpected;
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
    StringWriter out = new StringWriter();
    try {
      writeJson(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /**
   * Streams this result as JSON in the schema of the class documentation. Ranges are written as
   * they are read, so memory does not grow with their number. The writer is flushed, not closed.
   *
   * @throws IOException if the writer fails
   */
  public void writeJson(Writer writer) throws IOException {
    Objects.requireNonNull(writer, "writer must not be null");
    try (JsonGenerator g = JSON.createGenerator(writer)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.writeStartObject();
      g.writeNumberField("schemaVersion", JSON_SCHEMA_VERSION);
      g.writeStringField("batch", batch.value());
      g.writeObjectFieldStart("stages");
      g.writeStringField("upstream", upstream.name());
      g.writeStringField("downstream", downstream.name());
      g.writeEndObject();
      g.writeNumberField("expected", expectedRecords);
      g.writeBooleanField("sealed", sealed);
      g.writeBooleanField("complete", isComplete());
      g.writeObjectFieldStart("counts");
      g.writeNumberField("missing", missingCount);
      g.writeNumberField("absentUpstream", absentUpstreamCount);
      g.writeNumberField("unexpected", unexpectedCount);
      g.writeEndObject();
      g.writeObjectFieldStart("ranges");
      writeRanges(g, "missing", missing);
      writeRanges(g, "absentUpstream", absentUpstream);
      writeRanges(g, "unexpected", unexpected);
      g.writeEndObject();
      g.writeEndObject();
    }
    writer.flush();
  }

  private static void writeRanges(JsonGenerator g, String name, RangeList ranges)
      throws IOException {
    g.writeArrayFieldStart(name);
    for (int i = 0, n = ranges.size(); i < n; i++) {
      g.writeStartArray();
      g.writeNumber(ranges.first(i));
      g.writeNumber(ranges.last(i));
      g.writeEndArray();
    }
    g.writeEndArray();
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
    if (!missing.isEmpty()) {
      s.append(", missingRanges=").append(missing.subList(0, Math.min(5, missing.size())));
      if (missing.size() > 5) {
        s.append("+").append(missing.size() - 5).append(" more");
      }
    }
    return s.append('}').toString();
  }
}
