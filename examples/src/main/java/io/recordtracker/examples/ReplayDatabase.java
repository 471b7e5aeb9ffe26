package io.recordtracker.examples;

import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
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

  private ReplayDatabase(String url, DataSource dataSource, String tablePrefix) {
    this.url = url;
    this.dataSource = dataSource;
    this.tablePrefix = tablePrefix;
  }

  /**
   * The database of {@code options}: {@code --jdbc-url}, or an H2 file in {@code --dir} that
   * several JVMs may open at once (AUTO_SERVER: the first one serves the others).
   */
  static ReplayDatabase open(ReplayOptions options) throws IOException {
    Files.createDirectories(options.dir);
    String url =
        options.jdbcUrl != null
            ? options.jdbcUrl
            : "jdbc:h2:file:"
                + options.dir.toAbsolutePath().resolve("replay-db")
                + ";AUTO_SERVER=TRUE;DB_CLOSE_DELAY=-1";
    return new ReplayDatabase(
        url,
        new DriverManagerDataSource(url, options.user, options.password(System.getenv())),
        options.tablePrefix);
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** A new tracker on its own store over the shared tables; closing it closes the store. */
  RecordTracker newTracker() {
    return newTracker(newStore());
  }

  /** A new store over the shared tables. */
  JdbcTrackerStore newStore() {
    return JdbcTrackerStore.builder(dataSource).tablePrefix(tablePrefix).createSchema(true).build();
  }

  /** A new tracker on {@code store}; closing it closes the store. */
  RecordTracker newTracker(JdbcTrackerStore store) {
    return RecordTracker.builder().store(store).flushInterval(FLUSH_INTERVAL).build();
  }

  /** CIS's customer table beside the tracker's tables, created if missing. */
  CisDatabase cis(JdbcTrackerStore store) throws java.sql.SQLException {
    return new CisDatabase(dataSource, store, tablePrefix).createTable();
  }

  /**
   * How many bytes the tables starting with the prefix take, data and indexes (PostgreSQL,
   * MariaDB/MySQL); empty when the database cannot say or the user may not ask.
   */
  Optional<Long> tableBytes() {
    String sql;
    if (url.startsWith("jdbc:postgresql:")) {
      sql =
          "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
              + " ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = current_schema()"
              + " AND c.relname LIKE ?";
    } else if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
      sql =
          "SELECT SUM(data_length + index_length) FROM information_schema.tables"
              + " WHERE table_schema = DATABASE() AND table_name LIKE ?";
    } else {
      return Optional.empty();
    }
    String like = tablePrefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%";
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, like);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getObject(1) != null ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      return Optional.empty();
    }
  }

  /** Where the data is, without credentials. */
  String describe() {
    return url.startsWith("jdbc:h2:") ? "embedded H2 (" + url + ")" : url;
  }
}
