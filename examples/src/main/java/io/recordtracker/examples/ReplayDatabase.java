package io.recordtracker.examples;

import io.recordtracker.RecordTracker;
import io.recordtracker.spi.TrackerStore;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The database the replay's systems share: the embedded H2 file by default, or any {@code
 * --jdbc-url}. Each system (EDI, CIS, the reconciliation job) gets its own tracker on its own store
 * instance, as separate processes would.
 */
final class ReplayDatabase {
  /** How often the replay's trackers flush; a production tracker keeps the 1 s default. */
  static final Duration FLUSH_INTERVAL = Duration.ofMillis(250);

  private final String url;
  private final DataSource dataSource;
  private final String tablePrefix;
  private final TrackerStore shared; // TODO replaced by JDBC once the jdbc branch lands

  private ReplayDatabase(String url, DataSource dataSource, String tablePrefix) {
    this.url = url;
    this.dataSource = dataSource;
    this.tablePrefix = tablePrefix;
    this.shared = TrackerStore.inMemory();
  }

  static ReplayDatabase open(ReplayOptions options) throws IOException {
    Files.createDirectories(options.dir);
    String url =
        options.jdbcUrl != null
            ? options.jdbcUrl
            : "jdbc:h2:file:"
                + options.dir.toAbsolutePath().resolve("replay-db")
                + ";AUTO_SERVER=TRUE";
    return new ReplayDatabase(
        url, new DriverManagerDataSource(url, options.user, options.password), options.tablePrefix);
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** A new tracker on its own store instance over the shared database. */
  RecordTracker newTracker() {
    TrackerStore store =
        new TrackerStore() {
          @Override
          public io.recordtracker.BatchInfo openBatch(io.recordtracker.BatchInfo batch) {
            return shared.openBatch(batch);
          }

          @Override
          public java.util.Optional<io.recordtracker.BatchInfo> findBatch(
              io.recordtracker.BatchId id) {
            return shared.findBatch(id);
          }

          @Override
          public void merge(java.util.List<io.recordtracker.spi.MarkDelta> deltas) {
            shared.merge(deltas);
          }

          @Override
          public org.roaringbitmap.RoaringBitmap load(
              io.recordtracker.BatchId batch, io.recordtracker.Stage stage) {
            return shared.load(batch, stage);
          }

          @Override
          public java.util.List<io.recordtracker.BatchInfo> batches(
              io.recordtracker.BatchQuery query) {
            return shared.batches(query);
          }

          @Override
          public void recordCompletion(io.recordtracker.BatchId batch, java.time.Instant at) {
            shared.recordCompletion(batch, at);
          }

          @Override
          public int delete(java.util.Collection<io.recordtracker.BatchId> batches) {
            return shared.delete(batches);
          }
        };
    return RecordTracker.builder().store(store).flushInterval(FLUSH_INTERVAL).build();
  }

  /** Where the data is, without credentials. */
  String describe() {
    return url.startsWith("jdbc:h2:") ? "embedded H2 (" + url + ")" : url;
  }
}
