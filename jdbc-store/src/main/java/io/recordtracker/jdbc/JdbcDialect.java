package io.recordtracker.jdbc;

import io.recordtracker.TrackerStoreException;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The SQL flavour a {@link JdbcTrackerStore} speaks: {@link #POSTGRESQL}, {@link #MYSQL} (MySQL 8
 * and MariaDB 10.6+) or {@link #H2}. Detected from {@link
 * DatabaseMetaData#getDatabaseProductName()} unless set with {@link
 * JdbcTrackerStore.Builder#dialect(JdbcDialect)}. Each dialect's tables are described by one DDL
 * file on the classpath, {@link #ddlResource()}. These three are the only dialects.
 */
public abstract sealed class JdbcDialect
    permits JdbcDialect.PostgresDialect, JdbcDialect.MySqlDialect, JdbcDialect.H2Dialect {

  /** PostgreSQL 12 and later, and databases speaking its protocol and SQL. */
  public static final JdbcDialect POSTGRESQL = new PostgresDialect();

  /** MySQL 8 and MariaDB 10.6 and later (InnoDB). */
  public static final JdbcDialect MYSQL = new MySqlDialect();

  /** H2 2.x, embedded or server. */
  public static final JdbcDialect H2 = new H2Dialect();

  private static final List<JdbcDialect> ALL = List.of(POSTGRESQL, MYSQL, H2);

  private final String name;
  private final String ddlFile;

  private JdbcDialect(String name, String ddlFile) {
    this.name = name;
    this.ddlFile = ddlFile;
  }

  /**
   * The dialect's name.
   *
   * @return the name, such as {@code PostgreSQL}
   */
  public String name() {
    return name;
  }

  /**
   * The classpath resource holding this dialect's DDL, with {@code ${prefix}} where the table
   * prefix goes; for teams that create tables through their own migrations.
   *
   * @return the resource path, such as {@code io/recordtracker/jdbc/postgresql.sql}
   */
  public String ddlResource() {
    return "io/recordtracker/jdbc/" + ddlFile;
  }

  /** The dialect's name. */
  @Override
  public String toString() {
    return name;
  }

  /** The dialect for a database product name, if one fits. */
  static Optional<JdbcDialect> forProduct(String productName) {
    String lower = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
    for (JdbcDialect dialect : ALL) {
      if (dialect.matches(lower)) {
        return Optional.of(dialect);
      }
    }
    return Optional.empty();
  }

  /**
   * The dialect of the database behind {@code dataSource}, from its metadata.
   *
   * @throws TrackerStoreException if the database is unreachable or no dialect fits it
   */
  static JdbcDialect detect(DataSource dataSource, String prefix, Duration queryTimeout) {
    NetworkTimeout timeout = new NetworkTimeout((int) queryTimeout.toSeconds());
    String[] productAndVersion;
    try {
      productAndVersion =
          JdbcRunner.borrowed(
              dataSource,
              timeout,
              c ->
                  new String[] {
                    c.getMetaData().getDatabaseProductName(),
                    c.getMetaData().getDatabaseProductVersion()
                  });
    } catch (SQLException e) {
      throw new SqlFailures(prefix, "the DDL file of its dialect")
          .translate("connecting to detect the database", e);
    }
    String product = productAndVersion[0];
    String version = productAndVersion[1];
    return forProduct(product)
        .orElseThrow(
            () ->
                new TrackerStoreException(
                    "no dialect for database \""
                        + product
                        + "\" "
                        + version
                        + "; supported are PostgreSQL, MySQL/MariaDB and H2. If it speaks one of"
                        + " their SQL, set it with JdbcTrackerStore.builder(ds).dialect(...)"));
  }

  abstract boolean matches(String lowerCaseProductName);

  /** Every statement the store runs in this dialect, on the tables of {@code prefix}. */
  abstract SqlStatements statements(String prefix);

  /**
   * Whether the driver can run the INSERT ... SELECT statements as one JDBC batch (MariaDB's bulk
   * protocol cannot).
   */
  boolean batchesInsertSelect() {
    return true;
  }

  /**
   * Whether DDL takes part in transactions, so the schema can be created in one (under {@link
   * SqlStatements#lockSchema()}).
   */
  boolean transactionalDdl() {
    return false;
  }

  /** PostgreSQL: transactional DDL. */
  static final class PostgresDialect extends JdbcDialect {
    private PostgresDialect() {
      super("PostgreSQL", "postgresql.sql");
    }

    @Override
    boolean matches(String product) {
      return product.contains("postgresql");
    }

    @Override
    SqlStatements statements(String prefix) {
      return new SqlStatements.Postgres(prefix);
    }

    @Override
    boolean transactionalDdl() {
      return true;
    }
  }

  /** MySQL 8 and MariaDB. */
  static final class MySqlDialect extends JdbcDialect {
    private MySqlDialect() {
      super("MySQL", "mysql.sql");
    }

    @Override
    boolean matches(String product) {
      return product.contains("mysql") || product.contains("mariadb");
    }

    @Override
    SqlStatements statements(String prefix) {
      return new SqlStatements.MySql(prefix);
    }

    @Override
    boolean batchesInsertSelect() {
      return false;
    }
  }

  /** H2 2.x. */
  static final class H2Dialect extends JdbcDialect {
    private H2Dialect() {
      super("H2", "h2.sql");
    }

    @Override
    boolean matches(String product) {
      return product.equals("h2");
    }

    @Override
    SqlStatements statements(String prefix) {
      return new SqlStatements.H2(prefix);
    }
  }
}
