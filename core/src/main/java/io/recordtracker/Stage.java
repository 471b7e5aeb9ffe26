package io.recordtracker;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A checkpoint a record reaches, such as {@link #SENT} or {@link #PROCESSED}.
 *
 * <p>Custom stages ({@code received}, {@code acknowledged}) placed between the built-in ones show
 * at which hop records disappear. A stage name is 1 to 32 characters of {@code [a-z0-9_-]}; {@link
 * #of(String)} lower-cases its input first.
 */
public final class Stage implements Comparable<Stage> {

  /** The longest accepted stage name, in characters. */
  public static final int MAX_LENGTH = 32;

  /** The sender's transport confirmed the record left. */
  public static final Stage SENT = new Stage("sent");

  /** The receiver's processing of the record committed. */
  public static final Stage PROCESSED = new Stage("processed");

  private static final Pattern VALID = Pattern.compile("[a-z0-9_-]{1," + MAX_LENGTH + "}");

  private final String name;

  private Stage(String name) {
    this.name = name;
  }

  /**
   * Returns the stage with the given name, lower-cased.
   *
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the lower-cased name is not 1-32 characters of {@code
   *     [a-z0-9_-]}
   */
  public static Stage of(String name) {
    Objects.requireNonNull(name, "stage name must not be null");
    String lower = name.toLowerCase(Locale.ROOT);
    if (!VALID.matcher(lower).matches()) {
      throw new IllegalArgumentException(
          "stage name must be 1-"
              + MAX_LENGTH
              + " characters of [a-z0-9_-] after lower-casing: \""
              + BatchId.abbreviate(name)
              + "\"");
    }
    if (lower.equals(SENT.name)) {
      return SENT;
    }
    if (lower.equals(PROCESSED.name)) {
      return PROCESSED;
    }
    return new Stage(lower);
  }

  /** The stage's lower-case name. */
  public String name() {
    return name;
  }

  @Override
  public int compareTo(Stage other) {
    return name.compareTo(other.name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Stage && ((Stage) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  /** The stage's name, as {@link #name()}. */
  @Override
  public String toString() {
    return name;
  }
}
