package io.recordtracker.spring.boot;

import io.recordtracker.monitor.CompletenessMonitor;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.springframework.context.SmartLifecycle;

/** Runs a monitor on its own daemon thread while the application context runs. */
final class MonitorSchedule implements SmartLifecycle {

  private final CompletenessMonitor monitor;
  private final Duration period;
  private ScheduledExecutorService scheduler;

  MonitorSchedule(CompletenessMonitor monitor, Duration period) {
    this.monitor = monitor;
    this.period = period;
  }

  @Override
  public synchronized void start() {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "record-tracker-monitor");
              t.setDaemon(true);
              return t;
            });
    monitor.start(scheduler, period);
  }

  @Override
  public synchronized void stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return scheduler != null;
  }
}
