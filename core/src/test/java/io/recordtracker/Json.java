package io.recordtracker;

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
 * For tests (shipped in core's test-jar): parses JSON into maps, lists, strings, numbers and
 * booleans, so tests can assert fields.
 */
public final class Json {
  private Json() {}

  /** Parses a JSON object. */
  public static Map<String, Object> parseObject(String json) {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      p.nextToken();
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) read(p);
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("trailing content after JSON: " + json);
      }
      return map;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object read(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT:
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() != JsonToken.END_OBJECT) {
          String name = p.currentName();
          p.nextToken();
          map.put(name, read(p));
        }
        return map;
      case START_ARRAY:
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(read(p));
        }
        return list;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return true;
      case VALUE_FALSE:
        return false;
      case VALUE_NULL:
        return null;
      default:
        throw new IllegalArgumentException("unexpected token " + t);
    }
  }

  /** The list at {@code path}. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> listAt(Object root, Object... path) {
    return (List<Map<String, Object>>) at(root, path);
  }

  /** The node at {@code path}: map keys and list indexes. */
  @SuppressWarnings("unchecked")
  public static Object at(Object root, Object... path) {
    Object node = root;
    for (Object step : path) {
      node =
          step instanceof Integer
              ? ((List<Object>) node).get((Integer) step)
              : ((Map<String, Object>) node).get(step);
    }
    return node;
  }
}
