package io.recordtracker.spring.boot;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the library's JSON reports into maps, lists and scalars, so that the actuator serializes
 * them with its own JSON mapper, field for field as the report wrote them.
 */
final class JsonTree {

  private static final JsonFactory JSON = new JsonFactory();

  private JsonTree() {}

  /** The report {@code json} (an object) as nested maps and lists, in field order. */
  static Object parse(String json) {
    try (JsonParser p = JSON.createParser(json)) {
      p.nextToken();
      return value(p);
    } catch (IOException e) {
      throw new UncheckedIOException("not a JSON report: " + e.getMessage(), e);
    }
  }

  private static Object value(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT:
        Map<String, Object> object = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          object.put(name, value(p));
        }
        return object;
      case START_ARRAY:
        List<Object> array = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          array.add(value(p));
        }
        return array;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDecimalValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IOException("unexpected " + t);
    }
  }
}
