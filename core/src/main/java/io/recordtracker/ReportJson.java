package io.recordtracker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The JSON of the library's reports ({@link Reconciliation}, {@link ResendPlan}), written and read
 * with jackson-core's streaming API: the one factory and the shapes the reports share, so that a
 * range or a stage pair reads the same in each.
 *
 * <ul>
 *   <li>ranges: an array of {@code [first, last]} pairs, ascending;
 *   <li>a stage pair: {@code {"upstream": "sent", "downstream": "processed"}};
 *   <li>attributes: an object of strings, in the batch's order.
 * </ul>
 */
final class ReportJson {

  private static final JsonFactory JSON = new JsonFactory();

  private ReportJson() {}

  /** What a report writes between the generator's creation and its flush. */
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /** The report {@code body} writes, as one String. */
  static String toJson(Body body) {
    StringWriter out = new StringWriter();
    try {
      write(out, body);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** Streams the report {@code body} writes to {@code writer}, then flushes it, never closes it. */
  static void write(Writer writer, Body body) throws IOException {
    Objects.requireNonNull(writer, "writer must not be null");
    try (JsonGenerator g = JSON.createGenerator(writer)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      body.write(g);
    }
    writer.flush();
  }

  /**
   * Opens a report's object and writes the fields every report starts with: its schema version, the
   * batch and the stage pair.
   */
  static void writeHead(
      JsonGenerator g, int schemaVersion, BatchId batch, Stage upstream, Stage downstream)
      throws IOException {
    g.writeStartObject();
    g.writeNumberField("schemaVersion", schemaVersion);
    g.writeStringField("batch", batch.value());
    g.writeObjectFieldStart("stages");
    g.writeStringField("upstream", upstream.name());
    g.writeStringField("downstream", downstream.name());
    g.writeEndObject();
  }

  /** Writes the ranges as they are read, so memory does not grow with their number. */
  static void writeRanges(JsonGenerator g, String name, RangeList ranges) throws IOException {
    g.writeArrayFieldStart(name);
    for (int i = 0, n = ranges.size(); i < n; i++) {
      g.writeStartArray();
      g.writeNumber(ranges.first(i));
      g.writeNumber(ranges.last(i));
      g.writeEndArray();
    }
    g.writeEndArray();
  }

  static void writeAttributes(JsonGenerator g, Map<String, String> attributes) throws IOException {
    g.writeObjectFieldStart("attributes");
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      g.writeStringField(a.getKey(), a.getValue());
    }
    g.writeEndObject();
  }

  /** A parser of {@code json}. */
  static JsonParser parser(String json) throws IOException {
    return JSON.createParser(json);
  }

  /**
   * Reads the value of the field the parser is on as ranges: ascending, disjoint {@code [first,
   * last]} pairs; adjacent ones are joined.
   *
   * @throws IllegalArgumentException if it is not such an array
   */
  static RangeList readRanges(JsonParser p, String name) throws IOException {
    expect(p, JsonToken.START_ARRAY, name);
    RangeList.Builder ranges = new RangeList.Builder();
    long previousLast = -1;
    while (p.nextToken() == JsonToken.START_ARRAY) {
      int first = readInt(p, name);
      int last = readInt(p, name);
      if (p.nextToken() != JsonToken.END_ARRAY) {
        throw new IllegalArgumentException(name + ": a range is not a [first, last] pair");
      }
      if (first < 0 || first > last || first <= previousLast) {
        throw new IllegalArgumentException(
            name
                + ": ranges must be ascending and disjoint with 0 <= first <= last: ["
                + first
                + ", "
                + last
                + "]");
      }
      ranges.add(first, last);
      previousLast = last;
    }
    if (p.currentToken() != JsonToken.END_ARRAY) {
      throw new IllegalArgumentException(name + ": a range is not a [first, last] pair");
    }
    return ranges.build();
  }

  private static int readInt(JsonParser p, String name) throws IOException {
    if (p.nextToken() != JsonToken.VALUE_NUMBER_INT
        || p.getNumberType() != JsonParser.NumberType.INT) {
      throw new IllegalArgumentException(name + ": a record number is not an int: " + p.getText());
    }
    return p.getIntValue();
  }

  /**
   * Reads the value of the field the parser is on as an object of strings, in their order: the
   * attributes, the stage pair.
   *
   * @throws IllegalArgumentException if it is not an object of strings
   */
  static Map<String, String> readStrings(JsonParser p, String name) throws IOException {
    expect(p, JsonToken.START_OBJECT, name);
    Map<String, String> fields = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw new IllegalArgumentException(name + ": '" + key + "' is not a string");
      }
      fields.put(key, p.getText());
    }
    return Collections.unmodifiableMap(fields);
  }

  /**
   * Moves to the next token if the parser is on a field name, and checks it is {@code token}.
   *
   * @throws IllegalArgumentException if it is another
   */
  static void expect(JsonParser p, JsonToken token, String name) throws IOException {
    JsonToken t = p.currentToken() == JsonToken.FIELD_NAME ? p.nextToken() : p.currentToken();
    if (t != token) {
      throw new IllegalArgumentException(
          name + " must be " + (token == JsonToken.START_ARRAY ? "an array" : "an object"));
    }
  }
}
