package io.recordtracker.spi;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import java.time.Instant;
import java.util.Objects;
import org.roaringbitmap.RoaringBitmap;

/**
 * Records newly marked at one stage of one batch, handed to {@link TrackerStore#merge}: the store
 * unions {@code marks} into what it holds for ({@code batch}, {@code stage}).
 *
 * @param batch the batch the records belong to
 * @param stage the stage they reached
 * @param marks the record numbers; the store must not modify it
 * @param markedAt when the marks were handed to the store, for {@link
 *     io.recordtracker.BatchInfo#lastMarkedAt()}
 */
public record MarkDelta(BatchId batch, Stage stage, RoaringBitmap marks, Instant markedAt) {

  /** Checks that no component is null. */
  public MarkDelta {
    Objects.requireNonNull(batch, "batch must not be null");
    Objects.requireNonNull(stage, "stage must not be null");
    Objects.requireNonNull(marks, "marks must not be null");
    Objects.requireNonNull(markedAt, "markedAt must not be null");
  }
}
