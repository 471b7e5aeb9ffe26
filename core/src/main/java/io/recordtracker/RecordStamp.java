package io.recordtracker;

import java.util.Objects;

/**
 * A batch id plus a record number: what a sender stamps into each outgoing record or message, so
 * that the receiver can mark it without any lookup.
 *
 * <p>The text form is {@code <batchId>/<record>}, for example {@code 01JD3K.../3000000}; it is
 * stable across versions and read back by {@link #parse(String)}.
 */
public final class RecordStamp {

  private final BatchId batch;
  private final int record;

  private RecordStamp(BatchId batch, int record) {
    this.batch = batch;
    this.record = record;
  }

  /**
   * Returns the stamp of record {@code record} of {@code batch}.
   *
   * @throws NullPointerException if {@code batch} is null
   * @throws IllegalArgumentException if {@code record} is negative
   */
  public static RecordStamp of(BatchId batch, int record) {
    Objects.requireNonNull(batch, "batch must not be null");
    if (record < 0) {
      throw new IllegalArgumentException("record must not be negative: " + record);
    }
    return new RecordStamp(batch, record);
  }

  /**
   * Parses the text form {@code <batchId>/<record>}.
   *
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException if the text is not a valid stamp
   */
  public static RecordStamp parse(String text) {
    Objects.requireNonNull(text, "stamp text must not be null");
    int slash = text.lastIndexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException(
          "record stamp must be <batchId>/<record>: \"" + BatchId.abbreviate(text) + "\"");
    }
    String digits = text.substring(slash + 1);
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        throw new IllegalArgumentException(
            "record stamp must end in a record number: \"" + BatchId.abbreviate(text) + "\"");
      }
    }
    int record;
    try {
      record = Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "record number out of range in stamp: \"" + BatchId.abbreviate(text) + "\"", e);
    }
    return new RecordStamp(BatchId.of(text.substring(0, slash)), record);
  }

  /** The batch the record belongs to. */
  public BatchId batch() {
    return batch;
  }

  /** The record's number in its batch. */
  public int record() {
    return record;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordStamp
        && ((RecordStamp) o).batch.equals(batch)
        && ((RecordStamp) o).record == record;
  }

  @Override
  public int hashCode() {
    return 31 * batch.hashCode() + record;
  }

  /** The stamp as {@code <batchId>/<record>}. */
  @Override
  public String toString() {
    return batch.value() + "/" + record;
  }
}
