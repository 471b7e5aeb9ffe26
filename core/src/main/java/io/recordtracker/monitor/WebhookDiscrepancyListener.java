package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireAtLeast;
import static io.recordtracker.internal.Arguments.requireNonNull;

import io.recordtracker.RecordTrackerException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each event as a Slack-compatible message (an incoming webhook: JSON with {@code text} for
 * notifications and {@code blocks} for the layout) to a webhook URL. Mattermost, Rocket.Chat and
 * others that accept Slack's format take it too.
 *
 * <p>The message names the batch, its attributes (the file name first, from the attribute {@code
 * file}, {@code fileName}, {@code file_name} or {@code filename}), the stage pair, the counts, the
 * first ranges of missing records and how long the batch has been overdue; for a batch that cannot
 * be read ({@link Finding.Kind#UNREADABLE}), why not. Delivery:
 *
 * <ol>
 *   <li>each attempt has a connect timeout and a request timeout;
 *   <li>a 5xx answer, a 429 or an I/O error is retried with exponential backoff; a 429's or 503's
 *       {@code Retry-After} is honoured, capped at {@code maxBackoff};
 *   <li>all attempts for one event together never take longer than {@code timeoutBudget}, so a dead
 *       endpoint holds up a monitor round by at most that;
 *   <li>any other answer (a 4xx: a revoked or wrong URL) fails at once.
 * </ol>
 *
 * When delivery fails, {@link #onEvent} throws and the monitor offers the event again next round.
 *
 * <p>Digest: when a monitor round has more than {@code digestAbove} events for this listener
 * (default {@value #DEFAULT_DIGEST_ABOVE}; a downstream outage makes 500 batches overdue at once),
 * it posts one message that counts them by kind and lists one line per event, as many as fit,
 * instead of one message each. When that post fails, the whole round's events are offered again.
 *
 * <p>The URL's path and query hold the webhook's secret token: they appear in no log line,
 * exception message (nor its causes') or {@link #toString()}, which show {@code scheme://host/…}
 * only. Whatever the endpoint answers (a body echoing the path, a {@code Location} header) is
 * redacted before it is quoted: a failure says the host, the status and a redacted excerpt of the
 * body. Thread-safe.
 */
public final class WebhookDiscrepancyListener implements RoundDiscrepancyListener {

  // The message is a SlackMessage's, its delivery a WebhookDelivery's: this class only joins them.

  /** The connect timeout when none is set: 5 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = WebhookDelivery.DEFAULT_CONNECT_TIMEOUT;

  /** The timeout of one request when none is set: 10 seconds. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = WebhookDelivery.DEFAULT_REQUEST_TIMEOUT;

  /** The most time all attempts for one event take when none is set: 30 seconds. */
  public static final Duration DEFAULT_TIMEOUT_BUDGET = WebhookDelivery.DEFAULT_TIMEOUT_BUDGET;

  /** The most attempts for one event when none is set. */
  public static final int DEFAULT_MAX_ATTEMPTS = WebhookDelivery.DEFAULT_MAX_ATTEMPTS;

  /** How many events a round may have before they are posted as one digest, when none is set. */
  public static final int DEFAULT_DIGEST_ABOVE = 20;

  private static final int DEFAULT_RANGES_SHOWN = 10;
  private static final Logger log = LoggerFactory.getLogger(WebhookDiscrepancyListener.class);

  private final SlackMessage message;
  private final WebhookDelivery delivery;
  private final int digestAbove;

  private WebhookDiscrepancyListener(Builder b) {
    this.message = new SlackMessage(b.rangesShown);
    this.delivery = b.delivery.build();
    this.digestAbove = b.digestAbove;
  }

  /**
   * A builder posting to {@code url}, an http or https URL with a host.
   *
   * @throws NullPointerException if {@code url} is null
   * @throws IllegalArgumentException if {@code url} is not http(s) or has no host (the message does
   *     not repeat the URL, which holds a secret)
   */
  public static Builder builder(URI url) {
    return new Builder(WebhookDelivery.builder(url).logger(log));
  }

  /**
   * Posts the event, retrying as the class documentation says.
   *
   * @throws NullPointerException if {@code event} is null
   * @throws RecordTrackerException if it could not be delivered within the attempts and the budget
   */
  @Override
  public void onEvent(DiscrepancyEvent event) {
    requireNonNull(event, "event");
    delivery.post(message.render(event), event.kind() + " of batch " + event.finding().batchId());
  }

  /**
   * Posts a monitor round's events: one message each, or, when there are more than {@code
   * digestAbove}, one digest message listing them.
   *
   * @throws NullPointerException if {@code events} or one of them is null
   * @throws RecordTrackerException if a message could not be delivered within the attempts and the
   *     budget; the events posted before it count as delivered
   */
  @Override
  public void onRound(List<DiscrepancyEvent> events) {
    requireNonNull(events, "events");
    events.forEach(e -> requireNonNull(e, "event"));
    if (events.size() > digestAbove) {
      delivery.post(message.renderDigest(events), "a digest of " + events.size() + " events");
      return;
    }
    for (int i = 0; i < events.size(); i++) {
      try {
        onEvent(events.get(i));
      } catch (RuntimeException e) {
        throw i == 0 ? e : new PartialDeliveryException(i, e);
      }
    }
  }

  /** Shows the endpoint as {@code scheme://host/…}: the path holds the secret. */
  @Override
  public String toString() {
    return "WebhookDiscrepancyListener{" + delivery.endpoint() + "}";
  }

  /**
   * Builds a {@link WebhookDiscrepancyListener}. Each setter rejects a null with a {@link
   * NullPointerException} and a bad value at once with an {@link IllegalArgumentException}, both
   * naming the setting (and the value).
   */
  public static final class Builder {
    private final WebhookDelivery.Builder delivery;
    private int rangesShown = DEFAULT_RANGES_SHOWN;
    private int digestAbove = DEFAULT_DIGEST_ABOVE;

    private Builder(WebhookDelivery.Builder delivery) {
      this.delivery = delivery;
    }

    /** How long to wait for a connection; default 5 seconds. */
    public Builder connectTimeout(Duration connectTimeout) {
      delivery.connectTimeout(connectTimeout);
      return this;
    }

    /** How long one attempt waits for the answer; default 10 seconds. */
    public Builder requestTimeout(Duration requestTimeout) {
      delivery.requestTimeout(requestTimeout);
      return this;
    }

    /**
     * The most time all attempts and waits for one event take together; default 30 seconds. A
     * monitor round waits at most this long for a dead endpoint.
     */
    public Builder timeoutBudget(Duration timeoutBudget) {
      delivery.timeoutBudget(timeoutBudget);
      return this;
    }

    /** The most attempts for one event, at least 1; default {@value #DEFAULT_MAX_ATTEMPTS}. */
    public Builder maxAttempts(int maxAttempts) {
      delivery.maxAttempts(maxAttempts);
      return this;
    }

    /** The wait before the second attempt, doubled for each later one; default 500 ms. */
    public Builder initialBackoff(Duration initialBackoff) {
      delivery.initialBackoff(initialBackoff);
      return this;
    }

    /** The longest wait between attempts, Retry-After included; default 10 seconds. */
    public Builder maxBackoff(Duration maxBackoff) {
      delivery.maxBackoff(maxBackoff);
      return this;
    }

    /** How many ranges a message lists before "(+N more)"; default 10. */
    public Builder rangesShown(int rangesShown) {
      this.rangesShown = requireAtLeast(rangesShown, 1, "rangesShown");
      return this;
    }

    /**
     * How many events one monitor round may have before they are posted as one digest message
     * instead of one message each; default {@value #DEFAULT_DIGEST_ABOVE}. {@link
     * Integer#MAX_VALUE} never digests.
     *
     * @throws IllegalArgumentException if {@code digestAbove} is less than 1
     */
    public Builder digestAbove(int digestAbove) {
      this.digestAbove = requireAtLeast(digestAbove, 1, "digestAbove");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      delivery.sleeper(sleeper);
      return this;
    }

    /** The listener; it opens no connection until its first event. */
    public WebhookDiscrepancyListener build() {
      return new WebhookDiscrepancyListener(this);
    }
  }
}
