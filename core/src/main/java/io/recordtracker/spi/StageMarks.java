package io.recordtracker.spi;

import io.recordtracker.BatchInfo;
import io.recordtracker.Stage;
import java.util.Map;
import java.util.Objects;
import org.roaringbitmap.RoaringBitmap;

/**
 * What {@link TrackerStore#read} returns: a batch's incarnation and declared size and the marks of
 * some of its stages, read together, so that the marks are known to belong to that incarnation.
 *
 * @param incarnation the batch's {@link BatchInfo#incarnation()}
 * @param expectedRecords the batch's {@link BatchInfo#expectedRecords()} ({@link
 *     BatchInfo#UNSEALED_BOUND} while it is unsealed)
 * @param sealed the batch's {@link BatchInfo#isSealed()}
 * @param marks per stage asked for, the union of its marks (empty if none); the caller owns them
 * @param repeats per stage asked for, its repeated records (see {@link TrackerStore#loadRepeats});
 *     a stage may be absent (none known); the caller owns them
 */
public record StageMarks(
    long incarnation,
    int expectedRecords,
    boolean sealed,
    Map<Stage, RoaringBitmap> marks,
    Map<Stage, RoaringBitmap> repeats) {

  /** Checks the arguments and copies the maps. */
  public StageMarks {
    Objects.requireNonNull(marks, "marks must not be null");
    Objects.requireNonNull(repeats, "repeats must not be null");
    if (expectedRecords < 0) {
      throw new IllegalArgumentException(
          "expectedRecords must not be negative: " + expectedRecords);
    }
    marks = Map.copyOf(marks);
    repeats = Map.copyOf(repeats);
  }

  /**
   * The marks of a batch, with no repeats known, as stores written before repeats were counted make
   * them.
   *
   * @param incarnation the batch's {@link BatchInfo#incarnation()}
   * @param expectedRecords the batch's {@link BatchInfo#expectedRecords()}
   * @param sealed the batch's {@link BatchInfo#isSealed()}
   * @param marks per stage asked for, the union of its marks (empty if none)
   */
  public StageMarks(
      long incarnation, int expectedRecords, boolean sealed, Map<Stage, RoaringBitmap> marks) {
    this(incarnation, expectedRecords, sealed, marks, Map.of());
  }

  /**
   * The repeated records of {@code stage}.
   *
   * @param stage a stage that was asked for
   * @return its repeats, empty if none are known; the caller owns it
   * @throws NullPointerException if {@code stage} is null
   */
  public RoaringBitmap repeatsOf(Stage stage) {
    Objects.requireNonNull(stage, "stage must not be null");
    RoaringBitmap r = repeats.get(stage);
    return r == null ? new RoaringBitmap() : r;
  }

  /**
   * The marks of a sealed batch, as stores written before batches could be unsealed make them.
   *
   * @param incarnation the batch's {@link BatchInfo#incarnation()}
   * @param expectedRecords the batch's {@link BatchInfo#expectedRecords()}
   * @param marks per stage asked for, the union of its marks (empty if none)
   */
  public StageMarks(long incarnation, int expectedRecords, Map<Stage, RoaringBitmap> marks) {
    this(incarnation, expectedRecords, true, marks);
  }

  /**
   * The marks of {@code stage}.
   *
   * @param stage a stage that was asked for
   * @return its marks, empty if it has none
   * @throws NullPointerException if {@code stage} is null
   * @throws IllegalArgumentException if {@code stage} was not asked for
   */
  public RoaringBitmap of(Stage stage) {
    Objects.requireNonNull(stage, "stage must not be null");
    RoaringBitmap m = marks.get(stage);
    if (m == null) {
      throw new IllegalArgumentException("stage " + stage + " was not read: " + marks.keySet());
    }
    return m;
  }
}
