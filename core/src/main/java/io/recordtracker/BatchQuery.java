package io.recordtracker;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Selects batches for {@link RecordTracker#batches(BatchQuery)} and {@link
 * RecordTracker#purge(BatchQuery)}: by opened-at range, by attributes, by completion and by recent
 * marks; results come newest opened first (ties by id, descending), a page at a time, by offset or,
 * better for walking all matches, by keyset with {@link Builder#startAfter(BatchInfo)}. Immutable;
 * build with {@link #builder()}.
 *
 * <pre>{@code
 * BatchQuery q = BatchQuery.builder()
 *     .openedAfter(Instant.now().minus(Duration.ofDays(2)))
 *     .attribute("customer", "acme")
 *     .completion(BatchQuery.Completion.INCOMPLETE)
 *     .limit(50)
 *     .build();
 * }</pre>
 */
public final class BatchQuery {

  /** The largest page a query may ask for. */
  public static final int MAX_LIMIT = 10_000;

  /** The page size when none is set. */
  public static final int DEFAULT_LIMIT = 100;

  /**
   * Which batches a query selects by completion. {@link #COMPLETE}, {@link #INCOMPLETE} and {@link
   * #ABANDONED} split the batches into three: a batch abandoned and seen complete since (its
   * records arrived after all) counts as complete.
   */
  public enum Completion {
    /** Complete, incomplete and abandoned batches alike. */
    ANY,
    /** Only batches seen complete ({@link BatchInfo#isComplete()}). */
    COMPLETE,
    /**
     * Only batches not yet seen complete and not {@linkplain BatchInfo#isAbandoned() abandoned}:
     * the batches still expected to complete, which monitors watch.
     */
    INCOMPLETE,
    /** Only batches abandoned and not seen complete. */
    ABANDONED,
    /**
     * Batches seen complete or abandoned: those no longer watched, which {@link
     * RecordTracker#purge(BatchQuery)} deletes unless a query says otherwise.
     */
    CLOSED
  }

  private static final BatchQuery ALL = builder().build();

  private final Instant openedAfter;
  private final Instant openedBefore;
  private final Instant markedAfter;
  private final Map<String, String> attributes;
  private final Completion completion;
  private final int limit;
  private final int offset;
  private final Instant afterOpenedAt;
  private final BatchId afterId;

  private BatchQuery(Builder b) {
    this.openedAfter = b.openedAfter;
    this.openedBefore = b.openedBefore;
    this.markedAfter = b.markedAfter;
    this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(b.attributes));
    this.completion = b.completion;
    this.limit = b.limit;
    this.offset = b.offset;
    this.afterOpenedAt = b.afterOpenedAt;
    this.afterId = b.afterId;
  }

  /** A query for the first page of all batches. */
  public static BatchQuery all() {
    return ALL;
  }

  /** A new builder; by default it selects every batch, first page of {@value #DEFAULT_LIMIT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from this query's settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.openedAfter = openedAfter;
    b.openedBefore = openedBefore;
    b.markedAfter = markedAfter;
    b.attributes.putAll(attributes);
    b.completion = completion;
    b.limit = limit;
    b.offset = offset;
    b.afterOpenedAt = afterOpenedAt;
    b.afterId = afterId;
    return b;
  }

  /** Only batches opened at or after this instant; null for no lower bound. */
  public Instant openedAfter() {
    return openedAfter;
  }

  /** Only batches opened strictly before this instant; null for no upper bound. */
  public Instant openedBefore() {
    return openedBefore;
  }

  /** Only batches with some stage last marked at or after this instant; null for any. */
  public Instant markedAfter() {
    return markedAfter;
  }

  /** Attributes a batch must carry with exactly these values; empty for any. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** The completion filter; {@link Completion#ANY} if none was set. */
  public Completion completion() {
    return completion == null ? Completion.ANY : completion;
  }

  /**
   * Whether the completion filter was set explicitly. {@link RecordTracker#purge(BatchQuery)}
   * deletes only complete and abandoned batches ({@link Completion#CLOSED}) unless it was.
   */
  public boolean completionSpecified() {
    return completion != null;
  }

  /** The page size, 1..{@value #MAX_LIMIT}. */
  public int limit() {
    return limit;
  }

  /** How many matching batches to skip before the page starts. */
  public int offset() {
    return offset;
  }

  /**
   * The keyset cursor's opened-at: only batches that come after the cursor batch in the result
   * order (opened earlier, or opened at the same instant with a smaller id); null for no cursor.
   */
  public Instant afterOpenedAt() {
    return afterOpenedAt;
  }

  /** The keyset cursor's batch id; null for no cursor. See {@link #afterOpenedAt()}. */
  public BatchId afterId() {
    return afterId;
  }

  /**
   * Whether {@code batch} matches every filter of this query (paging aside); for stores that filter
   * in the JVM.
   */
  public boolean matches(BatchInfo batch) {
    if (openedAfter != null && batch.openedAt().isBefore(openedAfter)) {
      return false;
    }
    if (afterOpenedAt != null) {
      int c = batch.openedAt().compareTo(afterOpenedAt);
      if (c > 0 || (c == 0 && batch.id().compareTo(afterId) >= 0)) {
        return false;
      }
    }
    if (openedBefore != null && !batch.openedAt().isBefore(openedBefore)) {
      return false;
    }
    if (markedAfter != null
        && batch.lastMarkedAt().values().stream().noneMatch(t -> !t.isBefore(markedAfter))) {
      return false;
    }
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      if (!e.getValue().equals(batch.attributes().get(e.getKey()))) {
        return false;
      }
    }
    switch (completion()) {
      case COMPLETE:
        return batch.isComplete();
      case INCOMPLETE:
        return !batch.isComplete() && !batch.isAbandoned();
      case ABANDONED:
        return !batch.isComplete() && batch.isAbandoned();
      case CLOSED:
        return batch.isComplete() || batch.isAbandoned();
      default:
        return true;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BatchQuery)) {
      return false;
    }
    BatchQuery q = (BatchQuery) o;
    return Objects.equals(openedAfter, q.openedAfter)
        && Objects.equals(openedBefore, q.openedBefore)
        && Objects.equals(markedAfter, q.markedAfter)
        && attributes.equals(q.attributes)
        && completion == q.completion
        && limit == q.limit
        && offset == q.offset
        && Objects.equals(afterOpenedAt, q.afterOpenedAt)
        && Objects.equals(afterId, q.afterId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        openedAfter,
        openedBefore,
        markedAfter,
        attributes,
        completion,
        limit,
        offset,
        afterOpenedAt,
        afterId);
  }

  @Override
  public String toString() {
    // Only what is set, so that a log line says what was asked for, not every default.
    StringBuilder text = new StringBuilder("BatchQuery{");
    java.util.StringJoiner parts = new java.util.StringJoiner(", ");
    if (openedAfter != null) {
      parts.add("openedAfter=" + openedAfter);
    }
    if (openedBefore != null) {
      parts.add("openedBefore=" + openedBefore);
    }
    if (markedAfter != null) {
      parts.add("markedAfter=" + markedAfter);
    }
    if (!attributes.isEmpty()) {
      parts.add("attributes=" + attributes);
    }
    if (completion != null) {
      parts.add("completion=" + completion);
    }
    parts.add("limit=" + limit);
    if (offset != 0) {
      parts.add("offset=" + offset);
    }
    if (afterId != null) {
      parts.add("after=" + afterId + "@" + afterOpenedAt);
    }
    return text.append(parts).append('}').toString();
  }

  /** Builds a {@link BatchQuery}; every method rejects a bad value at once. */
  public static final class Builder {
    private Instant openedAfter;
    private Instant openedBefore;
    private Instant markedAfter;
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private Completion completion;
    private int limit = DEFAULT_LIMIT;
    private int offset;
    private Instant afterOpenedAt;
    private BatchId afterId;

    private Builder() {}

    /** Only batches opened at or after {@code instant}. */
    public Builder openedAfter(Instant instant) {
      this.openedAfter = Objects.requireNonNull(instant, "openedAfter must not be null");
      return this;
    }

    /** Only batches opened strictly before {@code instant}. */
    public Builder openedBefore(Instant instant) {
      this.openedBefore = Objects.requireNonNull(instant, "openedBefore must not be null");
      return this;
    }

    /** Only batches with some stage last marked at or after {@code instant}. */
    public Builder markedAfter(Instant instant) {
      this.markedAfter = Objects.requireNonNull(instant, "markedAfter must not be null");
      return this;
    }

    /**
     * Only batches whose attribute {@code key} equals {@code value}; may be called repeatedly.
     *
     * @throws IllegalArgumentException if {@code key} or {@code value} holds an unpaired UTF-16
     *     surrogate: no batch can carry one, and a store would compare '?' in its place
     */
    public Builder attribute(String key, String value) {
      Objects.requireNonNull(key, "attribute key must not be null");
      Objects.requireNonNull(value, "attribute value must not be null");
      BatchInfo.requireWellFormed(key, () -> "attribute key");
      BatchInfo.requireWellFormed(value, () -> "value of attribute '" + key + "'");
      attributes.put(key, value);
      return this;
    }

    /** Only batches of the given completion. */
    public Builder completion(Completion completion) {
      this.completion = Objects.requireNonNull(completion, "completion must not be null");
      return this;
    }

    /** Shortcut for {@code completion(Completion.INCOMPLETE)}. */
    public Builder incompleteOnly() {
      return completion(Completion.INCOMPLETE);
    }

    /**
     * The page size.
     *
     * @throws IllegalArgumentException unless {@code 1 <= limit <= }{@value #MAX_LIMIT}
     */
    public Builder limit(int limit) {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
      }
      this.limit = limit;
      return this;
    }

    /**
     * How many matching batches to skip.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public Builder offset(int offset) {
      if (offset < 0) {
        throw new IllegalArgumentException("offset must not be negative: " + offset);
      }
      this.offset = offset;
      return this;
    }

    /**
     * Starts the page after {@code last}, the last batch of the previous page (keyset paging):
     * unlike an offset, it neither skips nor repeats a batch when batches before the cursor stop
     * matching meanwhile (completed, purged) or new ones are opened.
     */
    public Builder startAfter(BatchInfo last) {
      Objects.requireNonNull(last, "last must not be null");
      this.afterOpenedAt = last.openedAt();
      this.afterId = last.id();
      return this;
    }

    /**
     * The query.
     *
     * @throws IllegalArgumentException if openedAfter is not before openedBefore
     */
    public BatchQuery build() {
      if (openedAfter != null && openedBefore != null && !openedAfter.isBefore(openedBefore)) {
        throw new IllegalArgumentException(
            "openedAfter must be before openedBefore: " + openedAfter + " >= " + openedBefore);
      }
      return new BatchQuery(this);
    }
  }
}
