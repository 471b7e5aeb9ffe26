package io.recordtracker.spring.boot;

import io.recordtracker.MaintenanceGate;
import io.recordtracker.RecordTracker;
import io.recordtracker.Stage;
import io.recordtracker.jdbc.JdbcTrackerStore;
import io.recordtracker.monitor.CompletenessMonitor;
import io.recordtracker.monitor.PagerDutyDiscrepancyListener;
import io.recordtracker.monitor.WebhookDiscrepancyListener;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * The {@code record-tracker.*} settings of the auto-configured store, tracker, gate and monitor.
 * Every value is checked at startup by the library's own builders, so that a bad one fails the
 * application's start with a message naming the property and the value.
 */
@ConfigurationProperties("record-tracker")
public class RecordTrackerProperties implements Validator {

  /** Whether to auto-configure the tracker at all. */
  private boolean enabled = true;

  /** The prefix of the store's table names: [a-z][a-z0-9_]{0,29}. */
  private String tablePrefix = JdbcTrackerStore.DEFAULT_TABLE_PREFIX;

  /** Whether to create missing tables at startup; false only checks that they exist. */
  private boolean createSchema = true;

  /** How long one SQL statement of the store may run before it is cancelled (at least 1s). */
  private Duration queryTimeout = JdbcTrackerStore.DEFAULT_QUERY_TIMEOUT;

  /** How often buffered marks are flushed to the store. */
  private Duration flushInterval = RecordTracker.DEFAULT_FLUSH_INTERVAL;

  /** Buffered records that trigger a flush before the interval. */
  private int flushThreshold = RecordTracker.DEFAULT_FLUSH_THRESHOLD;

  /** The most records buffered before marking waits for a flush to make room. */
  private long maxBufferedRecords = RecordTracker.DEFAULT_MAX_BUFFERED_RECORDS;

  /** The maintenance gate. */
  private final Gate gate = new Gate();

  /** The completeness monitor, which alerts when records go missing. */
  private final Monitor monitor = new Monitor();

  /** Whether to auto-configure the tracker at all. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets whether to auto-configure the tracker at all. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** The prefix of the store's table names. */
  public String getTablePrefix() {
    return tablePrefix;
  }

  /** Sets the prefix of the store's table names. */
  public void setTablePrefix(String tablePrefix) {
    this.tablePrefix = tablePrefix;
  }

  /** Whether to create missing tables at startup. */
  public boolean isCreateSchema() {
    return createSchema;
  }

  /** Sets whether to create missing tables at startup. */
  public void setCreateSchema(boolean createSchema) {
    this.createSchema = createSchema;
  }

  /** How long one SQL statement of the store may run. */
  public Duration getQueryTimeout() {
    return queryTimeout;
  }

  /** Sets how long one SQL statement of the store may run. */
  public void setQueryTimeout(Duration queryTimeout) {
    this.queryTimeout = queryTimeout;
  }

  /** How often buffered marks are flushed. */
  public Duration getFlushInterval() {
    return flushInterval;
  }

  /** Sets how often buffered marks are flushed. */
  public void setFlushInterval(Duration flushInterval) {
    this.flushInterval = flushInterval;
  }

  /** Buffered records that trigger a flush before the interval. */
  public int getFlushThreshold() {
    return flushThreshold;
  }

  /** Sets the buffered records that trigger a flush before the interval. */
  public void setFlushThreshold(int flushThreshold) {
    this.flushThreshold = flushThreshold;
  }

  /** The most records buffered before marking waits. */
  public long getMaxBufferedRecords() {
    return maxBufferedRecords;
  }

  /** Sets the most records buffered before marking waits. */
  public void setMaxBufferedRecords(long maxBufferedRecords) {
    this.maxBufferedRecords = maxBufferedRecords;
  }

  /** The maintenance gate's settings. */
  public Gate getGate() {
    return gate;
  }

  /** The completeness monitor's settings. */
  public Monitor getMonitor() {
    return monitor;
  }

  @Override
  public boolean supports(Class<?> type) {
    return RecordTrackerProperties.class.isAssignableFrom(type);
  }

  /**
   * Checks every value with the builder that takes it, rejecting a bad one under its property name
   * with the builder's message.
   */
  @Override
  public void validate(Object target, Errors errors) {
    RecordTrackerProperties p = (RecordTrackerProperties) target;
    if (!p.enabled) {
      return;
    }
    DataSource none = unusedDataSource();
    check(errors, "tablePrefix", () -> JdbcTrackerStore.builder(none).tablePrefix(p.tablePrefix));
    check(
        errors, "queryTimeout", () -> JdbcTrackerStore.builder(none).queryTimeout(p.queryTimeout));
    check(errors, "flushInterval", () -> RecordTracker.builder().flushInterval(p.flushInterval));
    check(errors, "flushThreshold", () -> RecordTracker.builder().flushThreshold(p.flushThreshold));
    check(
        errors,
        "maxBufferedRecords",
        () -> RecordTracker.builder().maxBufferedRecords(p.maxBufferedRecords));
    if (p.flushThreshold > 0
        && p.maxBufferedRecords > 0
        && p.flushThreshold > p.maxBufferedRecords) {
      errors.rejectValue(
          "flushThreshold",
          "invalid",
          "flushThreshold ("
              + p.flushThreshold
              + ") must not exceed maxBufferedRecords ("
              + p.maxBufferedRecords
              + ")");
    }
    // The gate's and monitor's builders take a tracker: an in-memory one, closed at once.
    try (RecordTracker probe = RecordTracker.inMemory()) {
      p.gate.validate(errors, probe);
      p.monitor.validate(errors, probe);
    }
  }

  /** Runs {@code check}; an exception it throws rejects {@code field} with its message. */
  static void check(Errors errors, String field, Runnable check) {
    try {
      check.run();
    } catch (RuntimeException e) {
      errors.rejectValue(field, "invalid", e.getMessage());
    }
  }

  /** A DataSource for builders that only check values; it is never asked for a connection. */
  private static DataSource unusedDataSource() {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              throw new UnsupportedOperationException("only for checking settings");
            });
  }

  /** The {@code record-tracker.gate.*} settings of the {@link MaintenanceGate} bean. */
  public static class Gate {

    /** A batch counts as in flight if some stage was marked within this window. */
    private Duration window = MaintenanceGate.DEFAULT_WINDOW;

    /** How often the gate asks the store while it waits. */
    private Duration pollInterval = MaintenanceGate.DEFAULT_POLL_INTERVAL;

    /** The window of recent marks. */
    public Duration getWindow() {
      return window;
    }

    /** Sets the window of recent marks. */
    public void setWindow(Duration window) {
      this.window = window;
    }

    /** How often the gate asks the store while it waits. */
    public Duration getPollInterval() {
      return pollInterval;
    }

    /** Sets how often the gate asks the store while it waits. */
    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    void validate(Errors errors, RecordTracker probe) {
      errors.pushNestedPath("gate");
      check(errors, "window", () -> MaintenanceGate.builder(probe).window(window));
      check(
          errors, "pollInterval", () -> MaintenanceGate.builder(probe).pollInterval(pollInterval));
      errors.popNestedPath();
    }

    MaintenanceGate.Builder apply(MaintenanceGate.Builder b) {
      return b.window(window).pollInterval(pollInterval);
    }
  }

  /** The {@code record-tracker.monitor.*} settings of the {@link CompletenessMonitor}. */
  public static class Monitor {

    /** Whether to run a completeness monitor in this application. */
    private boolean enabled;

    /** How often the monitor runs a round. */
    private Duration period = Duration.ofMinutes(1);

    /**
     * How long a batch with records missing may go without any of its stages marked before it is
     * overdue; each mark, downstream ones included, starts it again.
     */
    private Duration grace = CompletenessMonitor.DEFAULT_GRACE;

    /**
     * How long after it was opened a batch may stay incomplete, even while progressing; at least
     * the grace. Unset: 1 hour, or the grace if longer.
     */
    private Duration deadline;

    /** How long an unchanged finding waits before it is reported again. */
    private Duration renotifyAfter = CompletenessMonitor.DEFAULT_RENOTIFY_AFTER;

    /** The stage pairs to watch, each "upstream:downstream"; default sent:processed. */
    private List<String> watch = new ArrayList<>();

    /** The Slack-compatible webhook alerts are posted to. */
    private final Webhook webhook = new Webhook();

    /** PagerDuty, which alerts are sent to. */
    private final PagerDuty pagerduty = new PagerDuty();

    /** Whether to run a completeness monitor. */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets whether to run a completeness monitor. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** How often the monitor runs a round. */
    public Duration getPeriod() {
      return period;
    }

    /** Sets how often the monitor runs a round. */
    public void setPeriod(Duration period) {
      this.period = period;
    }

    /** The grace period after the batch's last mark at any stage. */
    public Duration getGrace() {
      return grace;
    }

    /** Sets the grace period after the batch's last mark at any stage. */
    public void setGrace(Duration grace) {
      this.grace = grace;
    }

    /** How long a batch may stay incomplete after it was opened; null for the monitor's default. */
    public Duration getDeadline() {
      return deadline;
    }

    /** Sets how long a batch may stay incomplete after it was opened; at least the grace. */
    public void setDeadline(Duration deadline) {
      this.deadline = deadline;
    }

    /** How long an unchanged finding waits before it is reported again. */
    public Duration getRenotifyAfter() {
      return renotifyAfter;
    }

    /** Sets how long an unchanged finding waits before it is reported again. */
    public void setRenotifyAfter(Duration renotifyAfter) {
      this.renotifyAfter = renotifyAfter;
    }

    /** The watched stage pairs, each "upstream:downstream". */
    public List<String> getWatch() {
      return watch;
    }

    /** Sets the watched stage pairs, each "upstream:downstream". */
    public void setWatch(List<String> watch) {
      this.watch = watch;
    }

    /** The webhook settings. */
    public Webhook getWebhook() {
      return webhook;
    }

    /** The PagerDuty settings. */
    public PagerDuty getPagerduty() {
      return pagerduty;
    }

    void validate(Errors errors, RecordTracker probe) {
      if (!enabled) {
        return;
      }
      errors.pushNestedPath("monitor");
      check(errors, "period", () -> requirePositive(period, "period"));
      check(errors, "grace", () -> CompletenessMonitor.builder(probe).grace(grace));
      if (deadline != null) {
        check(errors, "deadline", () -> CompletenessMonitor.builder(probe).deadline(deadline));
        if (!errors.hasFieldErrors("grace") && !errors.hasFieldErrors("deadline")) {
          check(
              errors,
              "deadline",
              () -> CompletenessMonitor.builder(probe).grace(grace).deadline(deadline).build());
        }
      }
      check(
          errors,
          "renotifyAfter",
          () -> CompletenessMonitor.builder(probe).renotifyAfter(renotifyAfter));
      check(errors, "watch", () -> watchedPairs(CompletenessMonitor.builder(probe)));
      webhook.validate(errors);
      pagerduty.validate(errors);
      errors.popNestedPath();
    }

    /** Applies these settings to {@code b}. */
    CompletenessMonitor.Builder apply(CompletenessMonitor.Builder b) {
      b.grace(grace).renotifyAfter(renotifyAfter);
      if (deadline != null) {
        b.deadline(deadline);
      }
      return watchedPairs(b);
    }

    /** Adds the watched pairs to {@code b}. */
    CompletenessMonitor.Builder watchedPairs(CompletenessMonitor.Builder b) {
      for (String pair : watch) {
        String[] stages = pair.split(":", -1);
        if (stages.length != 2) {
          throw new IllegalArgumentException(
              "watch must be upstream:downstream, for example sent:processed: " + pair);
        }
        b.watch(Stage.of(stages[0].trim()), Stage.of(stages[1].trim()));
      }
      return b;
    }

    private static void requirePositive(Duration value, String name) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
    }
  }

  /** The {@code record-tracker.monitor.webhook.*} settings of the webhook listener. */
  public static class Webhook {

    /** The Slack-compatible incoming webhook URL; none posts nothing. */
    private URI url;

    /** How long to wait for a connection. */
    private Duration connectTimeout = WebhookDiscrepancyListener.DEFAULT_CONNECT_TIMEOUT;

    /** How long one request may take. */
    private Duration requestTimeout = WebhookDiscrepancyListener.DEFAULT_REQUEST_TIMEOUT;

    /** The most time all attempts for one event take. */
    private Duration timeoutBudget = WebhookDiscrepancyListener.DEFAULT_TIMEOUT_BUDGET;

    /** The most attempts for one event. */
    private int maxAttempts = WebhookDiscrepancyListener.DEFAULT_MAX_ATTEMPTS;

    /** How many events one round may have before they are posted as one digest message. */
    private int digestAbove = WebhookDiscrepancyListener.DEFAULT_DIGEST_ABOVE;

    /** The webhook URL, or null for none. */
    public URI getUrl() {
      return url;
    }

    /** Sets the webhook URL. */
    public void setUrl(URI url) {
      this.url = url;
    }

    /** How long to wait for a connection. */
    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    /** Sets how long to wait for a connection. */
    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    /** How long one request may take. */
    public Duration getRequestTimeout() {
      return requestTimeout;
    }

    /** Sets how long one request may take. */
    public void setRequestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
    }

    /** The most time all attempts for one event take. */
    public Duration getTimeoutBudget() {
      return timeoutBudget;
    }

    /** Sets the most time all attempts for one event take. */
    public void setTimeoutBudget(Duration timeoutBudget) {
      this.timeoutBudget = timeoutBudget;
    }

    /** The most attempts for one event. */
    public int getMaxAttempts() {
      return maxAttempts;
    }

    /** Sets the most attempts for one event. */
    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /** How many events one round may have before they are posted as one digest. */
    public int getDigestAbove() {
      return digestAbove;
    }

    /** Sets how many events one round may have before they are posted as one digest. */
    public void setDigestAbove(int digestAbove) {
      this.digestAbove = digestAbove;
    }

    void validate(Errors errors) {
      if (url == null) {
        return;
      }
      errors.pushNestedPath("webhook");
      check(
          errors,
          "digestAbove",
          () -> WebhookDiscrepancyListener.builder(url).digestAbove(digestAbove));
      check(errors, "url", () -> WebhookDiscrepancyListener.builder(url));
      if (!errors.hasFieldErrors("url")) {
        check(errors, "connectTimeout", () -> builder().connectTimeout(connectTimeout));
        check(errors, "requestTimeout", () -> builder().requestTimeout(requestTimeout));
        check(errors, "timeoutBudget", () -> builder().timeoutBudget(timeoutBudget));
        check(errors, "maxAttempts", () -> builder().maxAttempts(maxAttempts));
      }
      errors.popNestedPath();
    }

    /** The listener these settings describe; {@link #getUrl()} must be set. */
    WebhookDiscrepancyListener listener() {
      return builder()
          .connectTimeout(connectTimeout)
          .requestTimeout(requestTimeout)
          .timeoutBudget(timeoutBudget)
          .maxAttempts(maxAttempts)
          .digestAbove(digestAbove)
          .build();
    }

    private WebhookDiscrepancyListener.Builder builder() {
      return WebhookDiscrepancyListener.builder(url);
    }
  }

  /** The {@code record-tracker.monitor.pagerduty.*} settings of the PagerDuty listener. */
  public static class PagerDuty {

    /**
     * The routing (integration) key of a PagerDuty service's Events API v2 integration; none sends
     * nothing. A secret: take it from the environment or a secret store.
     */
    private String routingKey;

    /** Where events go. */
    private URI endpoint = PagerDutyDiscrepancyListener.DEFAULT_ENDPOINT;

    /** How many triggers one round may have before they are sent as one digest. */
    private int digestAbove = PagerDutyDiscrepancyListener.DEFAULT_DIGEST_ABOVE;

    /** The routing key, or null for none. */
    public String getRoutingKey() {
      return routingKey;
    }

    /** Sets the routing key. */
    public void setRoutingKey(String routingKey) {
      this.routingKey = routingKey;
    }

    /** Where events go. */
    public URI getEndpoint() {
      return endpoint;
    }

    /** Sets where events go. */
    public void setEndpoint(URI endpoint) {
      this.endpoint = endpoint;
    }

    /** How many triggers one round may have before they are sent as one digest. */
    public int getDigestAbove() {
      return digestAbove;
    }

    /** Sets how many triggers one round may have before they are sent as one digest. */
    public void setDigestAbove(int digestAbove) {
      this.digestAbove = digestAbove;
    }

    void validate(Errors errors) {
      if (routingKey == null) {
        return;
      }
      errors.pushNestedPath("pagerduty");
      check(errors, "routingKey", () -> PagerDutyDiscrepancyListener.builder(routingKey));
      if (!errors.hasFieldErrors("routingKey")) {
        check(
            errors,
            "endpoint",
            () -> PagerDutyDiscrepancyListener.builder(routingKey).endpoint(endpoint));
        check(
            errors,
            "digestAbove",
            () -> PagerDutyDiscrepancyListener.builder(routingKey).digestAbove(digestAbove));
      }
      errors.popNestedPath();
    }

    /** The listener these settings describe; {@link #getRoutingKey()} must be set. */
    PagerDutyDiscrepancyListener listener() {
      return PagerDutyDiscrepancyListener.builder(routingKey)
          .endpoint(endpoint)
          .digestAbove(digestAbove)
          .build();
    }

    /** Never shows the routing key. */
    @Override
    public String toString() {
      return "PagerDuty{endpoint="
          + endpoint
          + ", routingKey="
          + (routingKey == null ? "none" : "(set)")
          + "}";
    }
  }
}
