package io.recordtracker.cli;

import io.recordtracker.RecordTracker;
import io.recordtracker.jdbc.DriverManagerDataSource;
import io.recordtracker.jdbc.JdbcTrackerStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command shares: where the database is and how to log in. */
final class DatabaseOptions {

  static final String URL_ENV = "RECORDTRACKER_JDBC_URL";
  static final String USER_ENV = "RECORDTRACKER_USER";
  static final String PASSWORD_ENV = "RECORDTRACKER_PASSWORD";

  @Option(
      names = "--jdbc-url",
      paramLabel = "URL",
      description =
          "JDBC URL of the tracker's database: jdbc:postgresql://host:5432/db,"
              + " jdbc:mariadb://host:3306/db or jdbc:h2:file:/path/db (default: $"
              + URL_ENV
              + ").")
  String jdbcUrl;

  @Option(
      names = "--user",
      paramLabel = "NAME",
      description = "Database user (default: $" + USER_ENV + ").")
  String user;

  @Option(
      names = "--password-env",
      paramLabel = "VAR",
      description =
          "Read the password from this environment variable (default: $"
              + PASSWORD_ENV
              + " if set, else no password). Never pass a password as an argument.")
  String passwordEnv;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description = "Read the password from the first line of this file.")
  Path passwordFile;

  @Option(
      names = "--table-prefix",
      paramLabel = "PREFIX",
      defaultValue = JdbcTrackerStore.DEFAULT_TABLE_PREFIX,
      description = "Prefix of the tracker's tables (default: ${DEFAULT-VALUE}).")
  String tablePrefix;

  @Option(
      names = "--create-schema",
      description = "Create the tracker's tables if they are missing (default: only check them).")
  boolean createSchema;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "10s",
      description = "How long to wait for the database to accept a connection (default: 10s).")
  Duration connectTimeout;

  /** Connects, checks the tables and returns a tracker on them; the caller closes it. */
  RecordTracker openTracker(Map<String, String> env) {
    String url = jdbcUrl != null ? jdbcUrl : env.get(URL_ENV);
    if (url == null || url.isBlank()) {
      throw new CliException(
          Exit.USAGE, "--jdbc-url is required (or set the environment variable " + URL_ENV + ")");
    }
    checkDriver(url);
    String password = password(env);
    String login = user != null ? user : env.get(USER_ENV);
    int timeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toSeconds()));
    DriverManagerDataSource dataSource = new DriverManagerDataSource(url, login, password);
    dataSource.setLoginTimeout(timeoutSeconds);
    JdbcTrackerStore store =
        JdbcTrackerStore.builder(dataSource)
            .tablePrefix(tablePrefix)
            .createSchema(createSchema)
            .build();
    this.store = store;
    return RecordTracker.builder().store(store).build();
  }

  /** The store {@link #openTracker} built last, or null before. */
  private JdbcTrackerStore store;

  /**
   * On a read-only standby, tells on {@code err} how far it is behind its primary, so that a reader
   * of the output knows how old what it shows may be, and that no completion is recorded there.
   */
  void describeStandby(java.io.PrintWriter err) {
    JdbcTrackerStore s = store;
    if (s == null || !s.readOnly()) {
      return;
    }
    String lag;
    try {
      lag =
          s.replicationLag()
              .map(d -> Render.duration(d) + " behind its primary")
              .orElse("its lag behind the primary unknown");
    } catch (RuntimeException e) {
      lag = "its lag unreadable (" + e.getMessage() + ")";
    }
    err.println(
        "Reading a read-only standby, "
            + lag
            + ": marks newer than that may not show yet, and completions are not recorded here.");
    err.flush();
  }

  private static void checkDriver(String url) {
    if (!url.startsWith("jdbc:")) {
      throw new CliException(
          Exit.BAD_URL,
          "not a JDBC URL (it must start with jdbc:): "
              + scheme(url)
              + "…; for example jdbc:postgresql://localhost:5432/app");
    }
    try {
      DriverManager.getDriver(url);
    } catch (SQLException e) {
      throw new CliException(
          Exit.BAD_URL,
          "no bundled JDBC driver accepts "
              + scheme(url)
              + "… URLs; supported are jdbc:postgresql:, jdbc:mariadb: and jdbc:h2:");
    }
  }

  private String password(Map<String, String> env) {
    if (passwordEnv != null && passwordFile != null) {
      throw new CliException(Exit.USAGE, "give --password-env or --password-file, not both");
    }
    if (passwordFile != null) {
      try {
        String first =
            Files.readAllLines(passwordFile, StandardCharsets.UTF_8).stream()
                .findFirst()
                .orElse("");
        return first.strip();
      } catch (IOException e) {
        throw new CliException(
            Exit.CONFIG, "cannot read the password file " + passwordFile + ": " + e);
      }
    }
    if (passwordEnv != null) {
      String value = env.get(passwordEnv);
      if (value == null) {
        throw new CliException(
            Exit.CONFIG,
            "the environment variable " + passwordEnv + " named by --password-env is not set");
      }
      return value;
    }
    return env.get(PASSWORD_ENV);
  }

  /** The part of a URL that says which database it is, without host, user or parameters. */
  static String scheme(String url) {
    int colon = url.indexOf(':', url.startsWith("jdbc:") ? 5 : 0);
    return colon < 0
        ? (url.length() > 12 ? url.substring(0, 12) : url)
        : url.substring(0, colon + 1);
  }
}
