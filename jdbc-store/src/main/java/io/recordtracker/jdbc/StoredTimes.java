package io.recordtracker.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * How the store keeps times: UTC wall-clock values with microsecond precision, whatever the JVM's
 * or the database session's time zone (a zone-less column type in every dialect).
 */
final class StoredTimes {

  private StoredTimes() {}

  /** The instant as stored: truncated to microseconds. */
  static Instant micros(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS);
  }

  /** The parameter value storing {@code instant}: its UTC wall-clock time, in microseconds. */
  static LocalDateTime utc(Instant instant) {
    return LocalDateTime.ofInstant(micros(instant), ZoneOffset.UTC);
  }

  /** The stored time in {@code column}, or null. */
  static Instant read(ResultSet rs, int column) throws SQLException {
    LocalDateTime value = rs.getObject(column, LocalDateTime.class);
    return value == null ? null : value.toInstant(ZoneOffset.UTC);
  }
}
