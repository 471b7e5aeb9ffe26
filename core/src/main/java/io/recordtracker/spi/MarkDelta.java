package io.recordtracker.spi;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import java.time.Instant;
import java.util.Objects;
import org.roaringbitmap.RoaringBitmap;

/**
 * Records newly marked at one stage of one batch, handed to {@link TrackerStore#merge}: the store
 * unions {@code marks} into what it holds for ({@code batch}, {@code stage}), provided the stored
 * batch is still the incarnation the marks were made for.
 *
 * @param batch the batch the records belong to
 * @param stage the stage they reached
 * @param marks the record numbers; the store must not modify it
 * @param markedAt when the marks were handed to the store, for {@link
 *     io.recordtracker.BatchInfo#lastMarkedAt()}
 * @param incarnation the {@link BatchInfo#incarnation()} of the batch the marks were made for, or
 *     {@link BatchInfo#UNKNOWN_INCARNATION} to skip that check
 * @param repeats records of {@code marks} already known to be repeats: marked by two separate
 *     markings before the delta was made (the store must not modify it; empty if none); the store
 *     unions them into the stage's repeats
 * @param token identifies the marking: the store counts a record of {@code marks} that it already
 *     holds as a repeat unless it was stored by a delta with the same token (a retry of a merge
 *     that may have been stored). {@link #NO_TOKEN} for a delta that is never retried as such.
 */
public record MarkDelta(
    BatchId batch,
    Stage stage,
    RoaringBitmap marks,
    Instant markedAt,
    long incarnation,
    RoaringBitmap repeats,
    long token) {

  /** The token of a delta that is not a retry of any other: every merge of it is a new marking. */
  public static final long NO_TOKEN = 0;

  /** Checks that no component is null. */
  public MarkDelta {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(marks, "marks must not be null");
    Objects.requireNonNull(markedAt, "markedAt must not be null");
    Objects.requireNonNull(repeats, "repeats must not be null");
  }

  /**
   * A delta with no known repeats and no token: a store that holds a record of it already counts
   * the record as a repeat.
   *
   * @param batch the batch the records belong to
   * @param stage the stage they reached
   * @param marks the record numbers; the store must not modify it
   * @param markedAt when the marks were handed to the store
   * @param incarnation the incarnation of the batch the marks were made for, or {@link
   *     BatchInfo#UNKNOWN_INCARNATION}
   */
  public MarkDelta(
      BatchId batch, Stage stage, RoaringBitmap marks, Instant markedAt, long incarnation) {
    this(batch, stage, marks, markedAt, incarnation, EMPTY, NO_TOKEN);
  }

  /** Shared, never modified: stores must not modify a delta's bitmaps. */
  private static final RoaringBitmap EMPTY = new RoaringBitmap();

  /**
   * A delta for whatever incarnation of {@code batch} is stored when it is merged ({@link
   * BatchInfo#UNKNOWN_INCARNATION}).
   *
   * @param batch the batch the records belong to
   * @param stage the stage they reached
   * @param marks the record numbers; the store must not modify it
   * @param markedAt when the marks were handed to the store
   */
  public MarkDelta(BatchId batch, Stage stage, RoaringBitmap marks, Instant markedAt) {
    this(batch, stage, marks, markedAt, BatchInfo.UNKNOWN_INCARNATION, EMPTY, NO_TOKEN);
  }

  /**
   * Whether this delta was made for the batch {@code stored}: true unless both carry a known
   * incarnation and they differ (the batch was purged and opened again since the marks were made).
   *
   * @param stored the batch as the store holds it now, with the same id
   * @return whether the store may merge this delta into it
   * @throws NullPointerException if {@code stored} is null
   */
  public boolean madeFor(BatchInfo stored) {
    Objects.requireNonNull(stored, "stored must not be null");
    return incarnation == BatchInfo.UNKNOWN_INCARNATION
        || stored.incarnation() == BatchInfo.UNKNOWN_INCARNATION
        || incarnation == stored.incarnation();
  }
}
