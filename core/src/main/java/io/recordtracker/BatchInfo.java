package io.recordtracker;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A batch as the store knows it: its id, the number of records declared before sending, when it was
 * opened, its attributes (file name, customer, ...), when each stage was last marked, and when it
 * was first seen complete. Immutable.
 *
 * <p>A batch opened without a count ({@link RecordTracker#openBatch(BatchId)}) is <em>unsealed</em>
 * until {@link RecordTracker#seal(BatchId, int)} fixes its size: {@link #isSealed()} is false and
 * {@link #expectedRecords()} is {@link #UNSEALED_BOUND}, the bound on its record numbers, not a
 * count.
 *
 * <p>A batch that will never complete (a test file, a cancelled send) can be {@linkplain
 * RecordTracker#abandon(BatchId, String) abandoned}: {@link #isAbandoned()} is then true, with when
 * and why; its marks are kept.
 */
public final class BatchInfo {

  /** The most attributes a batch may carry. */
  public static final int MAX_ATTRIBUTES = 32;

  /** The longest attribute key, in characters. */
  public static final int MAX_ATTRIBUTE_KEY_LENGTH = 64;

  /** The longest attribute value, in characters. */
  public static final int MAX_ATTRIBUTE_VALUE_LENGTH = 1024;

  /** The shortest reason a batch may be abandoned for, in characters (and it must not be blank). */
  public static final int MIN_ABANDON_REASON_LENGTH = 1;

  /** The longest reason a batch may be abandoned for, in characters. */
  public static final int MAX_ABANDON_REASON_LENGTH = 500;

  private final BatchId id;
  private final int expectedRecords;
  private final Instant openedAt;
  private final Map<String, String> attributes;
  private final Map<Stage, Instant> lastMarkedAt;
  private final Instant completedAt;
  private final long incarnation;
  private final boolean sealed;
  private final Instant abandonedAt;
  private final String abandonReason;

  private BatchInfo(
      BatchId id,
      int expectedRecords,
      Instant openedAt,
      Map<String, String> attributes,
      Map<Stage, Instant> lastMarkedAt,
      Instant completedAt,
      long incarnation,
      boolean sealed,
      Instant abandonedAt,
      String abandonReason) {
    this.id = id;
    this.expectedRecords = expectedRecords;
    this.openedAt = openedAt;
    this.attributes = attributes;
    this.lastMarkedAt = lastMarkedAt;
    this.completedAt = completedAt;
    this.incarnation = incarnation;
    this.sealed = sealed;
    this.abandonedAt = abandonedAt;
    this.abandonReason = abandonReason;
  }

  /**
   * A newly declared batch, never marked and not complete.
   *
   * @throws NullPointerException if any argument, or an attribute key or value, is null
   * @throws IllegalArgumentException if {@code expectedRecords} is negative or the attributes break
   *     the limits ({@value #MAX_ATTRIBUTES} entries, keys of 1-{@value #MAX_ATTRIBUTE_KEY_LENGTH}
   *     characters, values of at most {@value #MAX_ATTRIBUTE_VALUE_LENGTH}) or a key or value holds
   *     an unpaired UTF-16 surrogate, which has no UTF-8 encoding and so cannot be stored
   */
  public static BatchInfo of(
      BatchId id, int expectedRecords, Instant openedAt, Map<String, String> attributes) {
    return of(id, expectedRecords, openedAt, attributes, Map.of(), null);
  }

  /**
   * A batch with everything a store keeps of it; for {@link io.recordtracker.spi.TrackerStore}
   * implementations.
   *
   * @param completedAt when the batch was first seen complete, or null if it has not been
   * @throws NullPointerException if a required argument is null
   * @throws IllegalArgumentException as {@link #of(BatchId, int, Instant, Map)}
   */
  public static BatchInfo of(
      BatchId id,
      int expectedRecords,
      Instant openedAt,
      Map<String, String> attributes,
      Map<Stage, Instant> lastMarkedAt,
      Instant completedAt) {
    Objects.requireNonNull(id, "id must not be null");
    Objects.requireNonNull(openedAt, "openedAt must not be null");
    Objects.requireNonNull(attributes, "attributes must not be null");
    Objects.requireNonNull(lastMarkedAt, "lastMarkedAt must not be null");
    if (expectedRecords < 0) {
      throw new IllegalArgumentException(
          "expectedRecords must not be negative: " + expectedRecords + " (batch " + id + ")");
    }
    return new BatchInfo(
        id,
        expectedRecords,
        openedAt,
        copyAttributes(attributes),
        Collections.unmodifiableMap(new TreeMap<>(lastMarkedAt)),
        completedAt,
        UNKNOWN_INCARNATION,
        true,
        null,
        null);
  }

  /**
   * A newly declared batch whose size is not known yet: unsealed, never marked, not complete. Its
   * records may be numbered 0 .. {@link #UNSEALED_BOUND}-1 until it is sealed.
   *
   * @throws NullPointerException if any argument, or an attribute key or value, is null
   * @throws IllegalArgumentException if the attributes break the limits of {@link #of(BatchId, int,
   *     Instant, Map)}
   */
  public static BatchInfo unsealed(BatchId id, Instant openedAt, Map<String, String> attributes) {
    return of(id, UNSEALED_BOUND, openedAt, attributes).asUnsealed();
  }

  /**
   * This batch, unsealed: its size not known yet, {@link #expectedRecords()} the {@link
   * #UNSEALED_BOUND}; for {@link io.recordtracker.spi.TrackerStore} implementations reading a batch
   * they store as unsealed.
   *
   * @return a copy of this batch, unsealed
   */
  public BatchInfo asUnsealed() {
    return sealed
        ? new BatchInfo(
            id,
            UNSEALED_BOUND,
            openedAt,
            attributes,
            lastMarkedAt,
            completedAt,
            incarnation,
            false,
            abandonedAt,
            abandonReason)
        : this;
  }

  /**
   * This batch, sealed with {@code totalRecords} records; for {@link
   * io.recordtracker.spi.TrackerStore} implementations storing a {@link
   * io.recordtracker.spi.TrackerStore#seal seal}.
   *
   * @param totalRecords the batch's record count
   * @return a copy of this batch, sealed with that count
   * @throws IllegalArgumentException if {@code totalRecords} is negative
   */
  public BatchInfo sealedWith(int totalRecords) {
    if (totalRecords < 0) {
      throw new IllegalArgumentException(
          "totalRecords must not be negative: " + totalRecords + " (batch " + id + ")");
    }
    return new BatchInfo(
        id,
        totalRecords,
        openedAt,
        attributes,
        lastMarkedAt,
        completedAt,
        incarnation,
        true,
        abandonedAt,
        abandonReason);
  }

  /**
   * This batch stamped with the incarnation its store gave it when it was opened; for {@link
   * io.recordtracker.spi.TrackerStore} implementations.
   *
   * @param incarnation the store's stamp of this opening of the batch id, or {@link
   *     #UNKNOWN_INCARNATION}
   * @return a copy of this batch with that incarnation
   */
  public BatchInfo withIncarnation(long incarnation) {
    return incarnation == this.incarnation
        ? this
        : new BatchInfo(
            id,
            expectedRecords,
            openedAt,
            attributes,
            lastMarkedAt,
            completedAt,
            incarnation,
            sealed,
            abandonedAt,
            abandonReason);
  }

  /**
   * This batch, abandoned at {@code at} for {@code reason}; for {@link
   * io.recordtracker.spi.TrackerStore} implementations storing or reading an {@link
   * io.recordtracker.spi.TrackerStore#abandon abandon}.
   *
   * @param at when the batch was abandoned
   * @param reason why, as {@link #requireAbandonReason} accepts it
   * @return a copy of this batch, abandoned
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code reason} is not a valid reason
   */
  public BatchInfo asAbandoned(Instant at, String reason) {
    Objects.requireNonNull(at, "abandonedAt must not be null");
    requireAbandonReason(reason);
    return new BatchInfo(
        id,
        expectedRecords,
        openedAt,
        attributes,
        lastMarkedAt,
        completedAt,
        incarnation,
        sealed,
        at,
        reason);
  }

  /**
   * Checks the reason a batch is abandoned for: one line of {@value #MIN_ABANDON_REASON_LENGTH}-
   * {@value #MAX_ABANDON_REASON_LENGTH} characters, not blank, without control characters or
   * unpaired UTF-16 surrogates.
   *
   * @param reason the reason
   * @return {@code reason}
   * @throws NullPointerException if {@code reason} is null
   * @throws IllegalArgumentException if it is blank, too long, or holds a control character (a line
   *     break, say) or an unpaired surrogate
   */
  public static String requireAbandonReason(String reason) {
    Objects.requireNonNull(reason, "reason must not be null");
    if (reason.isBlank()) {
      throw new IllegalArgumentException(
          "reason must not be blank: say why the batch will never complete");
    }
    if (reason.length() > MAX_ABANDON_REASON_LENGTH) {
      throw new IllegalArgumentException(
          "reason must be at most "
              + MAX_ABANDON_REASON_LENGTH
              + " characters: "
              + reason.length());
    }
    for (int i = 0; i < reason.length(); i++) {
      if (Character.isISOControl(reason.charAt(i))) {
        throw new IllegalArgumentException(
            String.format(
                "reason must be one line without control characters: U+%04X at index %d",
                (int) reason.charAt(i), i));
      }
    }
    requireWellFormed(reason, () -> "reason");
    return reason;
  }

  private static Map<String, String> copyAttributes(Map<String, String> attributes) {
    if (attributes.size() > MAX_ATTRIBUTES) {
      throw new IllegalArgumentException(
          "a batch may carry at most " + MAX_ATTRIBUTES + " attributes: " + attributes.size());
    }
    Map<String, String> copy = new LinkedHashMap<>();
    attributes.forEach(
        (key, value) -> {
          Objects.requireNonNull(key, "attribute key must not be null");
          Objects.requireNonNull(value, () -> "value of attribute '" + key + "' must not be null");
          if (key.isEmpty() || key.length() > MAX_ATTRIBUTE_KEY_LENGTH) {
            throw new IllegalArgumentException(
                "attribute key must be 1-"
                    + MAX_ATTRIBUTE_KEY_LENGTH
                    + " characters: \""
                    + BatchId.abbreviate(key)
                    + "\"");
          }
          if (value.length() > MAX_ATTRIBUTE_VALUE_LENGTH) {
            throw new IllegalArgumentException(
                "value of attribute '"
                    + key
                    + "' must be at most "
                    + MAX_ATTRIBUTE_VALUE_LENGTH
                    + " characters: "
                    + value.length());
          }
          requireWellFormed(key, () -> "attribute key");
          requireWellFormed(value, () -> "value of attribute '" + key + "'");
          copy.put(key, value);
        });
    return Collections.unmodifiableMap(copy);
  }

  /**
   * The incarnation of a batch whose store does not stamp incarnations, or of a batch opened before
   * its store did. Writes made for it are not checked against the stored incarnation.
   */
  public static final long UNKNOWN_INCARNATION = 0L;

  /**
   * What {@link #expectedRecords()} returns for an unsealed batch: the bound on its record numbers
   * ({@code Integer.MAX_VALUE}, so records 0 .. 2,147,483,646 may be marked), not a count.
   */
  public static final int UNSEALED_BOUND = Integer.MAX_VALUE;

  /**
   * Rejects text with an unpaired UTF-16 surrogate: UTF-8 has no encoding for one, so a store would
   * silently keep '?' (or fail later, half-way through a write) instead of the caller's text.
   */
  static void requireWellFormed(String text, Supplier<String> what) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            what.get()
                + " holds an unpaired UTF-16 surrogate at index "
                + i
                + ", which cannot be stored as UTF-8: \""
                + escape(BatchId.abbreviate(text))
                + "\"");
      }
    }
  }

  /** The text with each unpaired surrogate written as a Java escape, so a message shows it. */
  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The batch's id. */
  public BatchId id() {
    return id;
  }

  /**
   * The number of records declared when the batch was opened or sealed; records are 0 .. this-1.
   * For a batch not sealed yet ({@link #isSealed()} false), {@link #UNSEALED_BOUND}: the bound on
   * record numbers, not a count.
   */
  public int expectedRecords() {
    return expectedRecords;
  }

  /**
   * Whether the batch's size is fixed: true for a batch opened with a count, and for one opened
   * without and sealed since ({@link RecordTracker#seal(BatchId, int)}).
   */
  public boolean isSealed() {
    return sealed;
  }

  /** When the batch was opened, from the opening tracker's clock. */
  public Instant openedAt() {
    return openedAt;
  }

  /** The batch's attributes, unmodifiable, in the order they were given. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /**
   * When marks of each stage last reached the store, unmodifiable; a stage never marked is absent.
   * The time is taken by the flushing tracker's clock when it hands the marks to the store, so it
   * trails the mark itself by at most the flush interval (longer during a store outage).
   */
  public Map<Stage, Instant> lastMarkedAt() {
    return lastMarkedAt;
  }

  /** When {@code stage} was last marked, if ever. */
  public Optional<Instant> lastMarkedAt(Stage stage) {
    return Optional.ofNullable(lastMarkedAt.get(stage));
  }

  /**
   * When a reconciliation of {@link Stage#SENT} against {@link Stage#PROCESSED} first found the
   * batch complete, if one has. Marks only grow, so a complete batch stays complete.
   */
  public Optional<Instant> completedAt() {
    return Optional.ofNullable(completedAt);
  }

  /**
   * Which opening of this batch id this is: a stamp the store gives a batch when it creates it, so
   * that a batch purged and opened again under the same id is a different batch. Every write a
   * tracker makes carries the incarnation it was made for, and the store refuses a write whose
   * incarnation is not the stored one: marks, deltas and folds of a purged batch never reach its
   * successor. {@link #UNKNOWN_INCARNATION} when the store does not stamp incarnations.
   *
   * @return the incarnation, or {@link #UNKNOWN_INCARNATION}
   */
  public long incarnation() {
    return incarnation;
  }

  /**
   * When the batch was abandoned ({@link RecordTracker#abandon(BatchId, String)}): a team said it
   * will never complete, so monitors, the maintenance gate and incomplete-batch queries leave it
   * alone. Its marks are kept. Empty if it was not abandoned.
   */
  public Optional<Instant> abandonedAt() {
    return Optional.ofNullable(abandonedAt);
  }

  /** Why the batch was abandoned, as given; empty if it was not abandoned. */
  public Optional<String> abandonReason() {
    return Optional.ofNullable(abandonReason);
  }

  /** Whether the batch was abandoned, as {@code abandonedAt().isPresent()}. */
  public boolean isAbandoned() {
    return abandonedAt != null;
  }

  /** Whether the batch has been seen complete, as {@code completedAt().isPresent()}. */
  public boolean isComplete() {
    return completedAt != null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BatchInfo)) {
      return false;
    }
    BatchInfo other = (BatchInfo) o;
    return id.equals(other.id)
        && expectedRecords == other.expectedRecords
        && openedAt.equals(other.openedAt)
        && attributes.equals(other.attributes)
        && lastMarkedAt.equals(other.lastMarkedAt)
        && Objects.equals(completedAt, other.completedAt)
        && incarnation == other.incarnation
        && sealed == other.sealed
        && Objects.equals(abandonedAt, other.abandonedAt)
        && Objects.equals(abandonReason, other.abandonReason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        id,
        expectedRecords,
        openedAt,
        attributes,
        lastMarkedAt,
        completedAt,
        incarnation,
        sealed,
        abandonedAt,
        abandonReason);
  }

  @Override
  public String toString() {
    return "BatchInfo{id="
        + id
        + (sealed ? ", expectedRecords=" + expectedRecords : ", unsealed")
        + ", openedAt="
        + openedAt
        + ", attributes="
        + attributes
        + ", lastMarkedAt="
        + lastMarkedAt
        + (completedAt == null ? "" : ", completedAt=" + completedAt)
        + (incarnation == UNKNOWN_INCARNATION ? "" : ", incarnation=" + incarnation)
        + (abandonedAt == null
            ? ""
            : ", abandonedAt=" + abandonedAt + ", abandonReason=\"" + abandonReason + "\"")
        + "}";
  }
}
