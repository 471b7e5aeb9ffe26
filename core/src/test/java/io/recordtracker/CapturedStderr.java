package io.recordtracker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is written to {@code System.err} (where the tests' slf4j-simple logs go) while it
 * is open, still passing it through; closing puts the original stream back.
 *
 * <pre>{@code
 * try (CapturedStderr err = CapturedStderr.start()) {
 *   ...
 *   assertThat(err.text()).containsOnlyOnce("is failing;");
 * }
 * }</pre>
 */
public final class CapturedStderr implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private CapturedStderr() {
    System.setErr(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
  }

  /** Starts capturing. */
  public static CapturedStderr start() {
    return new CapturedStderr();
  }

  /** Everything written since the start, as UTF-8 text. */
  public String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  /** How often {@code needle} occurs in {@link #text()}. */
  public int count(String needle) {
    String text = text();
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }

  /** Writes to two streams. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final ByteArrayOutputStream b;

    Tee(OutputStream a, ByteArrayOutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      synchronized (b) {
        a.write(x);
        b.write(x);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      synchronized (b) {
        a.write(buf, off, len);
        b.write(buf, off, len);
      }
    }
  }
}
