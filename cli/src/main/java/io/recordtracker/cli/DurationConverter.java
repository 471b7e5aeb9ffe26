package io.recordtracker.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads durations as people write them ({@code 30d}, {@code 10m}, {@code 1h30m}, {@code 45s},
 * {@code 500ms}, {@code 2w}) or in ISO-8601 ({@code PT15M}, {@code P2D}); only positive ones.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d|w)");
  private static final Pattern WHOLE = Pattern.compile("(?:\\d{1,9}(?:ms|s|m|h|d|w))+");

  @Override
  public Duration convert(String value) {
    Duration d = parse(value);
    if (d.isZero() || d.isNegative()) {
      throw new CommandLine.TypeConversionException("'" + value + "' must be a positive duration");
    }
    return d;
  }

  static Duration parse(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    if (text.startsWith("p")) {
      try {
        return Duration.parse(text.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(value);
      }
    }
    if (!WHOLE.matcher(text).matches()) {
      throw invalid(value);
    }
    Duration d = Duration.ZERO;
    Matcher m = PART.matcher(text);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          d = d.plusMillis(n);
          break;
        case "s":
          d = d.plusSeconds(n);
          break;
        case "m":
          d = d.plusMinutes(n);
          break;
        case "h":
          d = d.plusHours(n);
          break;
        case "d":
          d = d.plusDays(n);
          break;
        default:
          d = d.plusDays(7 * n);
      }
    }
    return d;
  }

  private static CommandLine.TypeConversionException invalid(String value) {
    return new CommandLine.TypeConversionException(
        "'"
            + value
            + "' is not a duration: write it like 30d, 12h, 10m, 45s, 1h30m or ISO-8601 (PT15M)");
  }
}
