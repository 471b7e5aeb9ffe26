package io.recordtracker.monitor;

import io.recordtracker.BatchId;
import io.recordtracker.BatchInfo;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.Stage;
import io.recordtracker.internal.TrackerInternals;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.roaringbitmap.RoaringBitmap;

/**
 * A reported {@link Finding} as bytes in an alert row, so that any monitor instance can say what it
 * resolves: the finding's kind, since when, cause, the batch's size and attributes, and the missing
 * and never-sent records as Roaring bitmaps (a few bytes for a few ranges).
 */
final class FindingCodec {

  private static final int FORMAT = 1;
  private static final int MAX_CAUSE_CHARS = 4_000;

  private FindingCodec() {}

  static byte[] encode(Finding f) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeByte(f.kind().ordinal());
      writeInstant(out, f.overdueSince());
      String cause = f.cause().orElse(null);
      out.writeBoolean(cause != null);
      if (cause != null) {
        writeString(
            out, cause.length() > MAX_CAUSE_CHARS ? cause.substring(0, MAX_CAUSE_CHARS) : cause);
      }
      BatchInfo batch = f.batch();
      out.writeBoolean(batch.isSealed());
      out.writeInt(batch.expectedRecords());
      writeInstant(out, batch.openedAt());
      out.writeInt(batch.attributes().size());
      for (Map.Entry<String, String> e : batch.attributes().entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
      writeBitmap(out, f.reconciliation().missing());
      writeBitmap(out, f.reconciliation().absentUpstream());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * The finding of {@code bytes}, about {@code batch}'s pair {@code upstream -> downstream}.
   *
   * @throws IllegalArgumentException if the bytes are not an encoded finding
   */
  static Finding decode(byte[] bytes, BatchId id, Stage upstream, Stage downstream) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown finding format " + format);
      }
      Finding.Kind kind = Finding.Kind.values()[in.readByte()];
      Instant since = readInstant(in);
      String cause = in.readBoolean() ? readString(in) : null;
      boolean sealed = in.readBoolean();
      int expected = in.readInt();
      Instant openedAt = readInstant(in);
      int attributes = in.readInt();
      Map<String, String> attrs = new LinkedHashMap<>();
      for (int i = 0; i < attributes; i++) {
        attrs.put(readString(in), readString(in));
      }
      BatchInfo batch =
          sealed
              ? BatchInfo.of(id, expected, openedAt, attrs)
              : BatchInfo.unsealed(id, openedAt, attrs);
      RoaringBitmap missing = readBitmap(in);
      RoaringBitmap absent = readBitmap(in);
      if (kind == Finding.Kind.UNREADABLE) {
        return Finding.unreadable(batch, upstream, downstream, since, cause);
      }
      Reconciliation r =
          TrackerInternals.bridge().reconciliation(batch, upstream, downstream, missing, absent);
      return kind == Finding.Kind.OVERDUE
          ? Finding.overdue(batch, r, since)
          : Finding.stalled(batch, r, since);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "stored finding of batch " + id + " " + upstream + "->" + downstream + " is corrupt", e);
    }
  }

  private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
    out.writeLong(t.getEpochSecond());
    out.writeInt(t.getNano());
  }

  private static Instant readInstant(DataInputStream in) throws IOException {
    return Instant.ofEpochSecond(in.readLong(), in.readInt());
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
  }

  private static void writeBitmap(DataOutputStream out, List<RecordRange> ranges)
      throws IOException {
    RoaringBitmap b = new RoaringBitmap();
    for (RecordRange r : ranges) {
      b.add((long) r.first(), r.last() + 1L);
    }
    b.runOptimize();
    out.writeInt(b.serializedSizeInBytes());
    b.serialize(out);
  }

  private static RoaringBitmap readBitmap(DataInputStream in) throws IOException {
    byte[] b = in.readNBytes(in.readInt());
    RoaringBitmap bitmap = new RoaringBitmap();
    bitmap.deserialize(new DataInputStream(new ByteArrayInputStream(b)));
    return bitmap;
  }
}
