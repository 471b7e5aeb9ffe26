package io.recordtracker;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.recordtracker.internal.Arguments;
import java.io.IOException;
import java.io.Writer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The records to resend of one batch: what a {@link Reconciliation} found {@linkplain
 * Reconciliation#missing() missing} between its two stages, with the batch's attributes, in a small
 * value a sender filters its original with and a job hands to another system as JSON. Immutable.
 *
 * <pre>{@code
 * ResendPlan plan = tracker.reconcile(batch).resendPlan();
 * try (Stream<String> lines = Files.lines(original)) {   // the file as first sent
 *   lines.filter(line -> plan.includes(recordNumberOf(line))).forEach(transport::send);
 * }
 * plan.ranges().forEach(range -> tracker.markSent(plan.batch(), range));
 *
 * String json = plan.toJson();                           // for another system ...
 * ResendPlan same = ResendPlan.fromJson(json);           // ... which reads it back
 * }</pre>
 *
 * <h2>JSON</h2>
 *
 * {@link #writeJson(Writer)} writes this stable schema (version 1); fields may be added, never
 * renamed or removed, and {@link #fromJson(String)} ignores fields it does not know, so a plan
 * written by a later version reads in an earlier one:
 *
 * <pre>{@code
 * {
 *   "schemaVersion": 1,
 *   "batch": "01JD...",
 *   "stages": {"upstream": "sent", "downstream": "processed"},
 *   "attributes": {"file": "customers.edi"},
 *   "counts": {"records": 1200, "ranges": 2},
 *   "ranges": [[1000, 1999], [3000, 3199]]
 * }
 * }</pre>
 */
public final class ResendPlan {

  /** The version of the JSON schema {@link #writeJson(Writer)} writes. */
  public static final int JSON_SCHEMA_VERSION = 1;

  private final BatchId batch;
  private final Stage upstream;
  private final Stage downstream;
  private final Map<String, String> attributes;
  private final RangeList ranges;
  private final long recordCount;

  /** A plan of {@code ranges}, holding {@code recordCount} records; the map is immutable. */
  ResendPlan(
      BatchId batch,
      Stage upstream,
      Stage downstream,
      Map<String, String> attributes,
      RangeList ranges,
      long recordCount) {
    this.batch = batch;
    this.upstream = upstream;
    this.downstream = downstream;
    this.attributes = attributes;
    this.ranges = ranges;
    this.recordCount = recordCount;
  }

  /**
   * Reads a plan from the JSON {@link #toJson()} writes. Fields it does not know are ignored.
   *
   * @throws NullPointerException if {@code json} is null
   * @throws IllegalArgumentException if {@code json} is not such a plan: malformed, a required
   *     field ({@code schemaVersion}, {@code batch}, {@code stages}, {@code ranges}) absent, ranges
   *     not ascending and disjoint, or counts that do not match the ranges
   */
  public static ResendPlan fromJson(String json) {
    Arguments.requireNonNull(json, "json");
    try (JsonParser p = ReportJson.parser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("a resend plan must be a JSON object");
      }
      Integer version = null;
      BatchId batch = null;
      Map<String, String> stages = null;
      Map<String, String> attributes = Map.of();
      Map<String, Long> counts = null;
      RangeList ranges = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "schemaVersion":
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
              throw new IllegalArgumentException("schemaVersion must be a number");
            }
            version = p.getIntValue();
            break;
          case "batch":
            if (p.currentToken() != JsonToken.VALUE_STRING) {
              throw new IllegalArgumentException("batch must be a string");
            }
            batch = BatchId.of(p.getText());
            break;
          case "stages":
            stages = ReportJson.readStrings(p, "stages");
            break;
          case "attributes":
            attributes = ReportJson.readStrings(p, "attributes");
            break;
          case "counts":
            counts = readCounts(p);
            break;
          case "ranges":
            ranges = ReportJson.readRanges(p, "ranges");
            break;
          default:
            p.skipChildren(); // a field a later version added
        }
      }
      if (version == null || version < 1) {
        throw new IllegalArgumentException("a resend plan needs a schemaVersion of 1 or more");
      }
      if (batch == null || stages == null || ranges == null) {
        throw new IllegalArgumentException("a resend plan needs batch, stages and ranges");
      }
      ResendPlan plan =
          new ResendPlan(
              batch,
              Stage.of(require(stages, "upstream")),
              Stage.of(require(stages, "downstream")),
              attributes,
              ranges,
              ranges.recordCount());
      if (counts != null) {
        checkCount(counts, "records", plan.recordCount);
        checkCount(counts, "ranges", plan.rangeCount());
      }
      return plan;
    } catch (IOException e) {
      // A parser over a String fails only on malformed JSON.
      throw new IllegalArgumentException("not a resend plan: " + e.getMessage(), e);
    }
  }

  private static Map<String, Long> readCounts(JsonParser p) throws IOException {
    ReportJson.expect(p, JsonToken.START_OBJECT, "counts");
    Map<String, Long> counts = new HashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
        counts.put(key, p.getLongValue());
      } else {
        p.skipChildren(); // a count a later version added, of another shape
      }
    }
    return counts;
  }

  private static String require(Map<String, String> stages, String key) {
    String name = stages.get(key);
    if (name == null) {
      throw new IllegalArgumentException("a resend plan's stages need " + key);
    }
    return name;
  }

  private static void checkCount(Map<String, Long> counts, String key, long actual) {
    Long given = counts.get(key);
    if (given != null && given != actual) {
      throw new IllegalArgumentException(
          "counts." + key + " is " + given + " but the ranges hold " + actual);
    }
  }

  /** The batch to resend records of. */
  public BatchId batch() {
    return batch;
  }

  /** The stage the records reached, such as {@link Stage#SENT}. */
  public Stage upstream() {
    return upstream;
  }

  /** The stage the records never reached, such as {@link Stage#PROCESSED}. */
  public Stage downstream() {
    return downstream;
  }

  /** The batch's attributes (file name, customer, ...) when it was reconciled, in their order. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** The ranges of records to resend, ascending and maximal. */
  public List<RecordRange> ranges() {
    return ranges;
  }

  /** The number of records to resend. */
  public long recordCount() {
    return recordCount;
  }

  /** The number of {@linkplain #ranges() ranges}. */
  public int rangeCount() {
    return ranges.size();
  }

  /** Whether there is nothing to resend. */
  public boolean isEmpty() {
    return recordCount == 0;
  }

  /**
   * Whether record {@code recordNumber} is to be resent: a binary search over the ranges, for a
   * sender filtering its original file record by record.
   *
   * @throws IllegalArgumentException if {@code recordNumber} is negative
   */
  public boolean includes(int recordNumber) {
    return ranges.includes(Reconciliation.requireRecord(recordNumber));
  }

  /**
   * The records to resend one by one, ascending; lazy, as {@link Reconciliation#missingRecords}.
   */
  public IntStream records() {
    return ranges.records(recordCount);
  }

  /**
   * This plan as JSON in the schema of the class documentation, in one String. For plans with very
   * many ranges prefer {@link #writeJson(Writer)}.
   */
  public String toJson() {
    return ReportJson.toJson(this::write);
  }

  /**
   * Streams this plan as JSON in the schema of the class documentation. Ranges are written as they
   * are read, so memory does not grow with their number. The writer is flushed, not closed.
   *
   * @throws NullPointerException if {@code writer} is null
   * @throws IOException if the writer fails
   */
  public void writeJson(Writer writer) throws IOException {
    ReportJson.write(writer, this::write);
  }

  private void write(JsonGenerator g) throws IOException {
    ReportJson.writeHead(g, JSON_SCHEMA_VERSION, batch, upstream, downstream);
    ReportJson.writeAttributes(g, attributes);
    g.writeObjectFieldStart("counts");
    g.writeNumberField("records", recordCount);
    g.writeNumberField("ranges", ranges.size());
    g.writeEndObject();
    ReportJson.writeRanges(g, "ranges", ranges);
    g.writeEndObject();
  }

  /** Equal when batch, stages, attributes and ranges are. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ResendPlan)) {
      return false;
    }
    ResendPlan p = (ResendPlan) o;
    return batch.equals(p.batch)
        && upstream.equals(p.upstream)
        && downstream.equals(p.downstream)
        && attributes.equals(p.attributes)
        && ranges.equals(p.ranges);
  }

  @Override
  public int hashCode() {
    return Objects.hash(batch, upstream, downstream, attributes, recordCount, ranges.size());
  }

  /** A one-line summary for logs: batch, stages, counts and at most the first five ranges. */
  @Override
  public String toString() {
    return "ResendPlan{batch="
        + batch
        + ", "
        + upstream
        + "->"
        + downstream
        + ", records="
        + recordCount
        + ", ranges="
        + ranges.firstFive()
        + "}";
  }
}
