package io.recordtracker.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks with the library's messages: "NAME must not be null" ({@link
 * NullPointerException}), "NAME must be positive: VALUE" ({@link IllegalArgumentException}).
 * Internal: not API.
 */
public final class Arguments {

  private Arguments() {}

  /**
   * Returns {@code value} if it is not null.
   *
   * @param value the argument
   * @param name the argument's name, for the message
   * @param <T> the argument's type
   * @return {@code value}
   * @throws NullPointerException "NAME must not be null" if {@code value} is null
   */
  public static <T> T requireNonNull(T value, String name) {
    return Objects.requireNonNull(value, () -> name + " must not be null");
  }

  /**
   * Returns {@code value} if it is longer than zero.
   *
   * @param value the argument
   * @param name the argument's name, for the message
   * @return {@code value}
   * @throws NullPointerException "NAME must not be null" if {@code value} is null
   * @throws IllegalArgumentException "NAME must be positive: VALUE" if it is zero or negative
   */
  public static Duration requirePositive(Duration value, String name) {
    requireNonNull(value, name);
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is greater than zero.
   *
   * @param value the argument
   * @param name the argument's name, for the message
   * @return {@code value}
   * @throws IllegalArgumentException "NAME must be positive: VALUE" if it is zero or negative
   */
  public static long requirePositive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is greater than zero.
   *
   * @param value the argument
   * @param name the argument's name, for the message
   * @return {@code value}
   * @throws IllegalArgumentException "NAME must be positive: VALUE" if it is zero or negative
   */
  public static int requirePositive(int value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /**
   * Checks that {@code value} is at least {@code min}.
   *
   * @param value the value
   * @param min the smallest allowed
   * @param name the argument's name, for the message
   * @return {@code value}
   * @throws IllegalArgumentException "NAME must be at least MIN: VALUE" if it is smaller
   */
  public static int requireAtLeast(int value, int min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
    }
    return value;
  }
}
