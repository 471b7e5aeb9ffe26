package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireAtLeast;
import static io.recordtracker.internal.Arguments.requireNonNull;
import static io.recordtracker.internal.Arguments.requirePositive;

import io.recordtracker.RecordTrackerException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each event to PagerDuty's Events API v2: {@code NEW}, {@code GROWN} and {@code REMINDER} as
 * a {@code trigger}, {@code RESOLVED} as a {@code resolve}, all of one finding with the same {@code
 * dedup_key} (record-tracker, the batch, the stage pair, and whether it is the marks or their being
 * unreadable). PagerDuty folds repeated triggers of a key into one open alert and ignores a resolve
 * of a key it has no open alert for, so an event sent twice (a retry, a round offered again after a
 * failure) is harmless.
 *
 * <pre>{@code
 * DiscrepancyListener pagerDuty = PagerDutyDiscrepancyListener
 *     .builder(System.getenv("PAGERDUTY_ROUTING_KEY"))
 *     .build();
 * }</pre>
 *
 * <p>A trigger's summary says what the Slack message says ("101 records missing in batch EDI-1
 * (customers.edi), sent → processed, overdue by 5m"); severity {@code error}, {@code warning} for a
 * batch {@linkplain Finding.Kind#PAST_DEADLINE past its deadline}; {@code component} is the batch,
 * {@code group} the stage pair, {@code class} the finding's kind, and {@code custom_details} holds
 * the counts, the first missing ranges, the attributes and, for an unreadable batch, why.
 *
 * <p>Digest: when one monitor round has more than {@code digestAbove} triggers for this listener
 * (default {@value #DEFAULT_DIGEST_ABOVE}; a downstream outage makes 500 batches overdue at once),
 * they are sent as one trigger whose {@code custom_details} list them (dedup key {@code
 * record-tracker/digest/} and the round's time), instead of paging 500 times; that alert is
 * resolved by a person. Resolves are always sent one by one, since each closes its own alert.
 * PagerDuty limits the events an integration may send per minute; its 429 answers are retried
 * within the {@code timeoutBudget}, and what is not delivered is offered again next round.
 *
 * <p>Delivery is as {@link WebhookDiscrepancyListener}'s: timeouts, retries of 5xx, 429 and I/O
 * errors with backoff within a budget, any other answer (400: a bad routing key or event) fails at
 * once. The routing key is a secret: it appears in no log line, exception message or {@link
 * #toString()}, and is redacted from whatever the endpoint answers before that is quoted.
 * Thread-safe.
 */
public final class PagerDutyDiscrepancyListener implements RoundDiscrepancyListener {

  /** PagerDuty's Events API v2 endpoint, the default. */
  public static final URI DEFAULT_ENDPOINT = URI.create("https://events.pagerduty.com/v2/enqueue");

  /** How many triggers a round may have before they are sent as one digest, when none is set. */
  public static final int DEFAULT_DIGEST_ABOVE = 20;

  /** The {@code source} of the events when none is set. */
  public static final String DEFAULT_SOURCE = "record-tracker";

  private static final Logger log = LoggerFactory.getLogger(PagerDutyDiscrepancyListener.class);

  private final PagerDutyEvent events;
  private final WebhookDelivery delivery;
  private final int digestAbove;

  private PagerDutyDiscrepancyListener(Builder b) {
    this.events = new PagerDutyEvent(b.routingKey, b.source, b.rangesShown);
    this.delivery = b.delivery();
    this.digestAbove = b.digestAbove;
  }

  /**
   * A builder sending with {@code routingKey}, the integration key of a PagerDuty service's Events
   * API v2 integration.
   *
   * @throws NullPointerException if {@code routingKey} is null
   * @throws IllegalArgumentException if {@code routingKey} is blank (the message never repeats a
   *     key)
   */
  public static Builder builder(String routingKey) {
    requireNonNull(routingKey, "routingKey");
    if (routingKey.isBlank()) {
      throw new IllegalArgumentException("routingKey must not be blank");
    }
    return new Builder(routingKey.strip());
  }

  /**
   * Sends the event: a trigger, or for {@code RESOLVED} a resolve.
   *
   * @throws NullPointerException if {@code event} is null
   * @throws RecordTrackerException if it could not be delivered within the attempts and the budget
   */
  @Override
  public void onEvent(DiscrepancyEvent event) {
    requireNonNull(event, "event");
    delivery.post(events.render(event), what(event));
  }

  /**
   * Sends a monitor round's events one by one, or, when it has more than {@code digestAbove}
   * triggers, those as one digest trigger and the resolves one by one.
   *
   * @throws NullPointerException if {@code events} or one of them is null
   * @throws RecordTrackerException if an event could not be delivered; those sent before it count
   *     as delivered
   */
  @Override
  public void onRound(List<DiscrepancyEvent> events) {
    requireNonNull(events, "events");
    events.forEach(e -> requireNonNull(e, "event"));
    List<DiscrepancyEvent> triggers = new ArrayList<>();
    for (DiscrepancyEvent e : events) {
      if (e.kind() != DiscrepancyEvent.Kind.RESOLVED) {
        triggers.add(e);
      }
    }
    if (triggers.size() <= digestAbove) {
      for (int i = 0; i < events.size(); i++) {
        try {
          onEvent(events.get(i));
        } catch (RuntimeException e) {
          throw i == 0 ? e : new PartialDeliveryException(i, e);
        }
      }
      return;
    }
    delivery.post(
        this.events.renderDigest(triggers), "a digest of " + triggers.size() + " triggers");
    log.info("Sent {} triggers as one PagerDuty digest", triggers.size());
    // The monitor gives the triggers first, then the resolves: the digest delivered a prefix.
    boolean triggersFirst = events.subList(0, triggers.size()).equals(triggers);
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).kind() == DiscrepancyEvent.Kind.RESOLVED) {
        try {
          onEvent(events.get(i));
        } catch (RuntimeException e) {
          throw triggersFirst ? new PartialDeliveryException(i, e) : e;
        }
      }
    }
  }

  private static String what(DiscrepancyEvent event) {
    return event.kind() + " of batch " + event.finding().batchId();
  }

  /** Shows the endpoint as {@code scheme://host/…}, never the routing key. */
  @Override
  public String toString() {
    return "PagerDutyDiscrepancyListener{" + delivery.endpoint() + "}";
  }

  /**
   * Builds a {@link PagerDutyDiscrepancyListener}. Each setter rejects a null with a {@link
   * NullPointerException} and a bad value at once with an {@link IllegalArgumentException}, both
   * naming the setting (and the value, unless it is the routing key).
   */
  public static final class Builder {
    private final String routingKey;
    private URI endpoint = DEFAULT_ENDPOINT;
    private Duration connectTimeout = WebhookDelivery.DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = WebhookDelivery.DEFAULT_REQUEST_TIMEOUT;
    private Duration timeoutBudget = WebhookDelivery.DEFAULT_TIMEOUT_BUDGET;
    private int maxAttempts = WebhookDelivery.DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = WebhookDelivery.DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = WebhookDelivery.DEFAULT_MAX_BACKOFF;
    private Sleeper sleeper = Sleeper.THREAD;
    private String source = DEFAULT_SOURCE;
    private int digestAbove = DEFAULT_DIGEST_ABOVE;
    private int rangesShown = 10;

    private Builder(String routingKey) {
      this.routingKey = routingKey;
    }

    /**
     * Where events go; default {@link #DEFAULT_ENDPOINT}. For tests (a local server) and proxies.
     *
     * @throws NullPointerException if {@code endpoint} is null
     * @throws IllegalArgumentException if it is not an http or https URL with a host
     */
    public Builder endpoint(URI endpoint) {
      WebhookDelivery.builder(endpoint); // checks it
      this.endpoint = endpoint;
      return this;
    }

    /** The {@code source} PagerDuty shows: where the alert comes from; default "record-tracker". */
    public Builder source(String source) {
      requireNonNull(source, "source");
      if (source.isBlank()) {
        throw new IllegalArgumentException("source must not be blank");
      }
      this.source = source;
      return this;
    }

    /**
     * How many triggers one monitor round may have before they are sent as one digest; default
     * {@value #DEFAULT_DIGEST_ABOVE}. {@link Integer#MAX_VALUE} never digests.
     *
     * @throws IllegalArgumentException if {@code digestAbove} is less than 1
     */
    public Builder digestAbove(int digestAbove) {
      this.digestAbove = requireAtLeast(digestAbove, 1, "digestAbove");
      return this;
    }

    /** How many missing ranges a trigger's details list before "(+N more)"; default 10. */
    public Builder rangesShown(int rangesShown) {
      this.rangesShown = requireAtLeast(rangesShown, 1, "rangesShown");
      return this;
    }

    /** How long to wait for a connection; default 5 seconds. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = requirePositive(connectTimeout, "connectTimeout");
      return this;
    }

    /** How long one attempt waits for the answer; default 10 seconds. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requirePositive(requestTimeout, "requestTimeout");
      return this;
    }

    /** The most time all attempts and waits for one event take together; default 30 seconds. */
    public Builder timeoutBudget(Duration timeoutBudget) {
      this.timeoutBudget = requirePositive(timeoutBudget, "timeoutBudget");
      return this;
    }

    /** The most attempts for one event, at least 1; default 4. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = requireAtLeast(maxAttempts, 1, "maxAttempts");
      return this;
    }

    /** The wait before the second attempt, doubled for each later one; default 500 ms. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = requirePositive(initialBackoff, "initialBackoff");
      return this;
    }

    /** The longest wait between attempts, Retry-After included; default 10 seconds. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = requirePositive(maxBackoff, "maxBackoff");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = requireNonNull(sleeper, "sleeper");
      return this;
    }

    private WebhookDelivery delivery() {
      return WebhookDelivery.builder(endpoint)
          .secret(routingKey)
          .logger(log)
          .connectTimeout(connectTimeout)
          .requestTimeout(requestTimeout)
          .timeoutBudget(timeoutBudget)
          .maxAttempts(maxAttempts)
          .initialBackoff(initialBackoff)
          .maxBackoff(maxBackoff)
          .sleeper(sleeper)
          .build();
    }

    /** The listener; it opens no connection until its first event. */
    public PagerDutyDiscrepancyListener build() {
      return new PagerDutyDiscrepancyListener(this);
    }

    /** Never shows the routing key. */
    @Override
    public String toString() {
      return "PagerDutyDiscrepancyListener.Builder{source=" + source + "}";
    }
  }
}
