package io.recordtracker.monitor;

import java.time.Duration;

/**
 * The monitor package's checks of arguments, by the rule of its {@code package-info}: null is a
 * {@link NullPointerException} naming the argument, a bad value an {@link IllegalArgumentException}
 * naming the argument and the value.
 */
final class MonitorArguments {

  private MonitorArguments() {}

  /** {@code value}, or a NullPointerException saying "{@code name} must not be null". */
  static <T> T requireNonNull(T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }

  /** {@code d} if it is longer than zero. */
  static Duration requirePositive(Duration d, String name) {
    requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d;
  }

  /** {@code value} if it is at least {@code min}. */
  static int requireAtLeast(int value, int min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
    }
    return value;
  }
}
