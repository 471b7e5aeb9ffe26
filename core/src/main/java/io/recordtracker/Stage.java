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
 *
 * <p><b>Repeats.</b> A stage may count <em>repeats</em>: records marked at it by two separate
 * markings, each durable (two {@code mark} calls, two committed {@code markWithin} transactions),
 * such as a record processed twice after a resend overlapped records already processed. {@link
 * #PROCESSED} counts repeats; {@link #SENT} does not (resends are expected); a custom stage counts
 * them when made with {@link #countingRepeats(String)}. Whether a stage counts repeats is not part
 * of its identity: {@code Stage.of("applied")} equals {@code Stage.countingRepeats("applied")}. The
 * tracker that marks a stage and the one that reconciles it should declare it alike (see {@link
 * io.recordtracker.Reconciliation#repeated()}).
 */
public final class Stage implements Comparable<Stage> {

  /** The longest accepted stage name, in characters. */
  public static final int MAX_LENGTH = 32;

  /** The sender's transport confirmed the record left. */
  public static final Stage SENT = new Stage("sent", false);

  /** The receiver's processing of the record committed. */
  public static final Stage PROCESSED = new Stage("processed", true);

  private static final Pattern VALID = Pattern.compile("[a-z0-9_-]{1," + MAX_LENGTH + "}");

  private final String name;
  private final boolean countsRepeats;

  private Stage(String name, boolean countsRepeats) {
    this.name = name;
    this.countsRepeats = countsRepeats;
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
    return new Stage(lower, false);
  }

  /**
   * Returns the stage with the given name, lower-cased, declared as counting repeats: a record
   * marked at it by two separate markings is reported by {@link
   * io.recordtracker.Reconciliation#repeated()}. {@code countingRepeats("processed")} is {@link
   * #PROCESSED}.
   *
   * @param name the stage's name, as {@link #of(String)} accepts it
   * @return the stage, counting repeats
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if the lower-cased name is not 1-32 characters of {@code
   *     [a-z0-9_-]}
   */
  public static Stage countingRepeats(String name) {
    Stage stage = of(name);
    return stage.countsRepeats ? stage : new Stage(stage.name, true);
  }

  /**
   * Whether records marked twice at this stage are counted as repeats: true for {@link #PROCESSED}
   * and for stages made with {@link #countingRepeats(String)}.
   */
  public boolean countsRepeats() {
    return countsRepeats;
  }

  /** The stage's lower-case name. */
  public String name() {
    return name;
  }

  @Override
  public int compareTo(Stage other) {
    return name.compareTo(other.name);
  }

  /** Equal if the names are: whether a stage counts repeats is not part of its identity. */
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
