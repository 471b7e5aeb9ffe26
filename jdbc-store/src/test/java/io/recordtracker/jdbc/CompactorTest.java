package io.recordtracker.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.BatchId;
import io.recordtracker.Stage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The compaction thread's life cycle. */
class CompactorTest {

  @Test
  void close_lets_a_running_fold_finish_without_interrupting_it() throws Exception {
    CountDownLatch folding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    Compactor compactor =
        new Compactor(
            2,
            key -> {
              folding.countDown();
              try {
                // Stands in for JDBC I/O: H2 closes its file channel if interrupted here.
                release.await(30, TimeUnit.SECONDS);
                finished.set(true);
              } catch (InterruptedException e) {
                interrupted.set(true);
              }
            });
    compactor.appended(new Compactor.Key(BatchId.of("b-1"), Stage.SENT), 2);
    assertThat(folding.await(30, TimeUnit.SECONDS)).isTrue();

    Thread closer = new Thread(compactor::close);
    closer.start();
    Thread.sleep(200); // close() is now waiting for the fold (or, before the fix, interrupted it)
    release.countDown();
    closer.join(30_000);

    assertThat(interrupted).isFalse();
    assertThat(finished).isTrue();
    assertThat(closer.isAlive()).isFalse();
  }

  @Test
  void a_read_seeing_as_many_rows_as_a_fold_that_gained_nothing_schedules_no_fold()
      throws Exception {
    CountDownLatch folded = new CountDownLatch(1);
    Compactor compactor = new Compactor(4, key -> folded.countDown());
    Compactor.Key key = new Compactor.Key(BatchId.of("b-1"), Stage.SENT);
    compactor.settled(key, 6);
    compactor.seen(key, 6);
    compactor.close(); // waits for any scheduled fold
    assertThat(folded.getCount()).isEqualTo(1);

    Compactor again = new Compactor(4, k -> folded.countDown());
    again.settled(key, 6);
    again.seen(key, 7);
    assertThat(folded.await(30, TimeUnit.SECONDS)).isTrue();
    again.close();
  }
}
