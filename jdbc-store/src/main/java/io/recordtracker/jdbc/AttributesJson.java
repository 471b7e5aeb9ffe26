package io.recordtracker.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A batch's attributes as a JSON object, in their given order, for the batch row. */
final class AttributesJson {

  private static final JsonFactory JSON = new JsonFactory();

  private AttributesJson() {}

  static String write(Map<String, String> attributes) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, String> e : attributes.entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * The attributes in {@code json}.
   *
   * @throws IllegalArgumentException if it is not a JSON object of strings
   */
  static Map<String, String> read(String json) {
    Map<String, String> attributes = new LinkedHashMap<>();
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("attributes are not a JSON object: " + json);
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          throw new IllegalArgumentException("attribute '" + key + "' is not a string: " + json);
        }
        attributes.put(key, p.getText());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("attributes are not valid JSON: " + e.getMessage(), e);
    }
    return attributes;
  }
}
