package io.recordtracker.jdbc;

import io.recordtracker.MarksRejectedException;
import io.recordtracker.TrackerStoreException;
import io.recordtracker.spi.MarkDelta;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deltas a store merged in the last {@code window}, sent again when the PostgreSQL server it
 * writes to is no longer the one it was (another system identifier or timeline: a standby promoted
 * after a failover, or a restore), so that commits an asynchronous standby never received are not
 * silently missing. Merges are unions, so sending a delta twice changes nothing.
 *
 * <ol>
 *   <li>Before every merge, one query reads the server's identity: its system identifier and the
 *       timeline of its current WAL position. A promotion starts a new timeline.
 *   <li>After a merge commits, its deltas (copied) are kept with the time they committed; entries
 *       older than the window are dropped.
 *   <li>When the identity differs from the one last seen, every kept delta is merged again (each
 *       merge's deltas together, in the order they first committed) before the new merge, and the
 *       re-send is logged at WARN. Deltas of batches the new server does not have (their opening
 *       was lost too) are rejected and logged at ERROR; they cannot be re-sent.
 * </ol>
 *
 * <p>Thread-safe: checks, re-sends and records happen under one lock, so merges of one store queue
 * behind a re-send. What it cannot cover: deltas committed longer than {@code window} before the
 * failover was noticed, and other processes' deltas (each store re-sends its own).
 */
final class FailoverJournal {

  private static final Logger log = LoggerFactory.getLogger(FailoverJournal.class);

  /** The system identifier and the current WAL file's timeline (its first 8 hex digits). */
  static final String IDENTITY =
      "SELECT (SELECT system_identifier FROM pg_control_system())::text || ':'"
          + " || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)";

  private record Entry(long committedNanos, List<MarkDelta> deltas) {}

  private final JdbcRunner runner;
  private final long windowNanos;
  private final Consumer<List<MarkDelta>> merge;
  private final Deque<Entry> entries = new ArrayDeque<>(); // guarded by this
  private String identity; // guarded by this; null until first read

  FailoverJournal(JdbcRunner runner, Duration window, Consumer<List<MarkDelta>> merge) {
    this.runner = runner;
    this.windowNanos = window.toNanos();
    this.merge = merge;
  }

  /** Merges {@code deltas}, first re-sending the kept ones if the server changed. */
  synchronized void merge(List<MarkDelta> deltas) {
    String now = readIdentity();
    if (identity != null && !identity.equals(now)) {
      resend(identity, now);
    }
    identity = now;
    merge.accept(deltas);
    long at = System.nanoTime();
    List<MarkDelta> copies = new ArrayList<>(deltas.size());
    for (MarkDelta d : deltas) {
      copies.add(
          new MarkDelta(d.batch(), d.stage(), d.marks().clone(), d.markedAt(), d.incarnation()));
    }
    entries.addLast(new Entry(at, copies));
    while (!entries.isEmpty() && at - entries.peekFirst().committedNanos() > windowNanos) {
      entries.removeFirst();
    }
  }

  private void resend(String before, String after) {
    long now = System.nanoTime();
    List<Entry> kept = new ArrayList<>();
    for (Entry e : entries) {
      if (now - e.committedNanos() <= windowNanos) {
        kept.add(e);
      }
    }
    long records =
        kept.stream()
            .flatMap(e -> e.deltas().stream())
            .mapToLong(d -> d.marks().getLongCardinality())
            .sum();
    log.warn(
        "The database the store writes to changed from {} to {} (system identifier:timeline): a"
            + " failover or a restore. Re-sending {} merges ({} marked records) committed in the"
            + " last {} ms, which an asynchronous standby may not have received",
        before,
        after,
        kept.size(),
        records,
        Duration.ofNanos(windowNanos).toMillis());
    for (Entry e : kept) {
      try {
        merge.accept(e.deltas());
      } catch (MarksRejectedException rejected) {
        // Their batches are gone on the new primary (opened in the lost commits too).
        log.error(
            "Could not re-send marks after the failover: the new primary lacks their batches; {}",
            rejected.getMessage());
      }
    }
    // Kept as they are: a second failover soon after needs them again.
  }

  /**
   * The server's identity now.
   *
   * @throws TrackerStoreException if it cannot be read; the merge would fail the same way, and a
   *     tracker keeps the marks and retries
   */
  private String readIdentity() {
    return runner.withConnection(
        "read the database's identity",
        c -> {
          try (PreparedStatement ps = runner.prepare(c, IDENTITY);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
          }
        });
  }
}
