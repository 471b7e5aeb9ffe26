package io.recordtracker.jdbc;

import io.recordtracker.RecordTracker;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A separate JVM running a completeness monitor on a PostgreSQL store, telling a webhook, as an
 * instance of a service on another host would. Started by the tests with {@link #start}; its clock
 * is the database's.
 *
 * <ul>
 *   <li>{@code loop URL PREFIX WEBHOOK}: runs rounds one after another until its stdin closes,
 *       printing {@code round i} after each;
 *   <li>{@code step URL PREFIX WEBHOOK}: runs one round per line read from stdin, printing {@code
 *       round i} after each, and idles in between: killed then, it dies between rounds.
 * </ul>
 *
 * <p>An optional fifth argument sets the monitor's {@code claimFor} in seconds.
 */
public final class MonitorChild {

  private MonitorChild() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(args[1]);
    JdbcTrackerStore store = JdbcTrackerStore.builder(ds).tablePrefix(args[2]).build();
    try (RecordTracker tracker = RecordTracker.builder().store(store).build()) {
      CompletenessMonitor.Builder builder =
          CompletenessMonitor.builder(tracker)
              .listener("slack", WebhookDiscrepancyListener.builder(URI.create(args[3])).build());
      if (args.length > 4) {
        builder.claimFor(Duration.ofSeconds(Long.parseLong(args[4])));
      }
      CompletenessMonitor monitor = builder.build();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      if (mode.equals("loop")) {
        Thread stdinWatcher =
            new Thread(
                () -> {
                  try {
                    while (in.readLine() != null) {
                      // the test never writes; end of input ends the child
                    }
                  } catch (IOException ignored) {
                    // the same
                  }
                  System.exit(0);
                });
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();
        for (int i = 0; ; i++) {
          monitor.runOnce();
          System.out.println("round " + i);
          System.out.flush();
          Thread.sleep(20); // a monitor's period, short: leave the other JVM a core
        }
      }
      for (int i = 0; in.readLine() != null; i++) {
        monitor.runOnce();
        System.out.println("round " + i);
        System.out.flush();
      }
    }
  }

  /** Starts a child JVM on this JVM's classpath with the given arguments. */
  static Process start(String... args) throws IOException {
    return MarkingChild.startJvm(MonitorChild.class, args);
  }
}
