package io.recordtracker.monitor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.recordtracker.Reconciliation;
import io.recordtracker.RecordRange;
import io.recordtracker.RecordTrackerException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p>The URL's path and query hold the webhook's secret token: they appear in no log line,
 * exception message (nor its causes') or {@link #toString()}, which show {@code scheme://host/…}
 * only. Whatever the endpoint answers (a body echoing the path, a {@code Location} header) is
 * redacted before it is quoted: a failure says the host, the status and a redacted excerpt of the
 * body. Thread-safe.
 */
public final class WebhookDiscrepancyListener implements DiscrepancyListener {

  /** The connect timeout when none is set: 5 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The timeout of one request when none is set: 10 seconds. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** The most time all attempts for one event take when none is set: 30 seconds. */
  public static final Duration DEFAULT_TIMEOUT_BUDGET = Duration.ofSeconds(30);

  /** The most attempts for one event when none is set. */
  public static final int DEFAULT_MAX_ATTEMPTS = 4;

  private static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
  private static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
  private static final int DEFAULT_RANGES_SHOWN = 10;
  private static final String FILE_KEYS = "file, fileName, file_name, filename";
  private static final int MAX_FIELDS = 10; // Slack's limit for a section's fields
  private static final int MAX_BODY_EXCERPT = 200;
  private static final JsonFactory JSON = new JsonFactory();
  private static final Logger log = LoggerFactory.getLogger(WebhookDiscrepancyListener.class);

  /** Waits between attempts; tests replace it to see the waits without waiting. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final URI url;
  private final WebhookRedactor redactor;
  private final String redacted;
  private final HttpClient client;
  private final Duration requestTimeout;
  private final Duration timeoutBudget;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final int rangesShown;
  private final Sleeper sleeper;

  private WebhookDiscrepancyListener(Builder b) {
    this.url = b.url;
    this.redactor = new WebhookRedactor(b.url);
    this.redacted = redactor.endpoint();
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(b.connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.requestTimeout = b.requestTimeout;
    this.timeoutBudget = b.timeoutBudget;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.rangesShown = b.rangesShown;
    this.sleeper = b.sleeper;
  }

  /**
   * A builder posting to {@code url}, an http or https URL with a host.
   *
   * @throws IllegalArgumentException if {@code url} is null, not http(s) or has no host (the
   *     message does not repeat the URL, which holds a secret)
   */
  public static Builder builder(URI url) {
    if (url == null) {
      throw new IllegalArgumentException("webhook url must not be null");
    }
    String scheme = url.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || url.getHost() == null) {
      throw new IllegalArgumentException(
          "webhook url must be an absolute http or https URL with a host, got one with scheme "
              + scheme
              + " and host "
              + url.getHost());
    }
    return new Builder(url);
  }

  /**
   * Posts the event, retrying as the class documentation says.
   *
   * @throws RecordTrackerException if it could not be delivered within the attempts and the budget
   */
  @Override
  public void onEvent(DiscrepancyEvent event) {
    byte[] body = message(event);
    long start = System.nanoTime();
    String lastFailure = "no attempt";
    Throwable lastCause = null;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      Duration remaining = timeoutBudget.minusNanos(System.nanoTime() - start);
      if (remaining.isNegative() || remaining.isZero()) {
        break;
      }
      Duration timeout = remaining.compareTo(requestTimeout) < 0 ? remaining : requestTimeout;
      Duration wait;
      try {
        HttpResponse<String> response = post(body, timeout);
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          if (attempt > 1) {
            log.info(
                "Webhook {} took {} of batch {} on attempt {}",
                redacted,
                event.kind(),
                event.finding().batchId(),
                attempt);
          }
          return;
        }
        lastFailure = failure(response);
        lastCause = null;
        if (status != 429 && status < 500) {
          throw new RecordTrackerException(
              "webhook " + redacted + " rejected the message: " + lastFailure + "; not retried");
        }
        wait = retryAfter(response).orElse(backoff(attempt));
      } catch (TimeoutException e) {
        lastFailure = "no answer within " + timeout.toMillis() + " ms";
        lastCause = null;
        wait = backoff(attempt);
      } catch (IOException e) {
        // The JDK's messages may quote the URI; only redacted copies go on.
        lastFailure = redactor.redact(e.toString());
        lastCause = redactor.redactedCopy(e);
        wait = backoff(attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RecordTrackerException("interrupted while posting to webhook " + redacted);
      }
      if (attempt == maxAttempts) {
        break;
      }
      Duration left = timeoutBudget.minusNanos(System.nanoTime() - start);
      if (wait.compareTo(left) >= 0) {
        lastFailure += "; next wait of " + wait.toMillis() + " ms exceeds the budget";
        break;
      }
      log.debug(
          "Webhook {} attempt {} failed ({}); retrying in {}",
          redacted,
          attempt,
          lastFailure,
          wait);
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RecordTrackerException("interrupted while waiting to retry webhook " + redacted);
      }
    }
    throw new RecordTrackerException(
        "webhook "
            + redacted
            + " did not take "
            + event.kind()
            + " of batch "
            + event.finding().batchId()
            + " within "
            + maxAttempts
            + " attempts and "
            + timeoutBudget.toMillis()
            + " ms: "
            + lastFailure,
        lastCause);
  }

  /**
   * What a failed answer says: the status, where a redirect points and an excerpt of the body, all
   * redacted (an endpoint may echo the path, the query or our headers in any of them).
   */
  private String failure(HttpResponse<String> response) {
    int status = response.statusCode();
    StringBuilder s = new StringBuilder("HTTP ").append(status);
    if (status >= 300 && status < 400) {
      s.append(" to ")
          .append(redactor.location(response.headers().firstValue("Location").orElse(null)));
    }
    String body = redactor.excerpt(response.body(), MAX_BODY_EXCERPT);
    if (!body.isEmpty()) {
      s.append(" (").append(body).append(')');
    }
    return s.toString();
  }

  private HttpResponse<String> post(byte[] body, Duration timeout)
      throws IOException, InterruptedException, TimeoutException {
    CompletableFuture<HttpResponse<String>> future;
    try {
      HttpRequest request =
          HttpRequest.newBuilder(url)
              .timeout(timeout)
              .header("Content-Type", "application/json; charset=utf-8")
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      future = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    } catch (RuntimeException e) {
      // The JDK names the URI in what it rejects: no retry helps, and the message needs redacting.
      throw new RecordTrackerException(
          "webhook " + redacted + " could not send: " + redactor.redact(e.toString()),
          redactor.redactedCopy(e));
    }
    try {
      // The request timeout covers waiting for headers; this also bounds connect and body.
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.net.http.HttpTimeoutException) {
        throw new TimeoutException();
      }
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      throw new IOException(String.valueOf(cause), cause);
    }
  }

  private Duration backoff(int attempt) {
    Duration d = initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  /** The Retry-After header (seconds or an HTTP date), capped at maxBackoff. */
  private Optional<Duration> retryAfter(HttpResponse<?> response) {
    Optional<String> header = response.headers().firstValue("Retry-After");
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String value = header.get().trim();
    Duration d;
    try {
      d = Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        d = Duration.between(java.time.Instant.now(), at.toInstant());
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    return Optional.of(d.compareTo(maxBackoff) > 0 ? maxBackoff : d);
  }

  /** The message for {@code event}, as UTF-8 JSON bytes. */
  byte[] message(DiscrepancyEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writeMessage(g, event);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  private void writeMessage(JsonGenerator g, DiscrepancyEvent event) throws IOException {
    Finding f = event.finding();
    Reconciliation r = f.reconciliation();
    boolean resolved = event.kind() == DiscrepancyEvent.Kind.RESOLVED;
    String batch = f.batchId().value();
    String file = fileName(f.batch().attributes());
    String named = file == null ? batch : batch + " (" + file + ")";
    String stages = f.upstream() + " → " + f.downstream();
    String overdue = AlertText.duration(f.overdueFor(event.at()));
    String ranges = AlertText.firstRanges(r.missing(), rangesShown);

    boolean unreadable = f.kind() == Finding.Kind.UNREADABLE;
    String title;
    String text;
    if (unreadable && resolved) {
      title = "Resolved: batch " + batch + " is readable";
      text =
          ":white_check_mark: Resolved: batch "
              + named
              + " "
              + stages
              + " is no longer unreadable (it can be read again, or was purged)";
    } else if (unreadable) {
      title = "Unreadable: batch " + batch;
      text =
          ":x: Batch "
              + named
              + " "
              + stages
              + " cannot be read, so whether records are missing is unknown: "
              + abbreviate(f.cause().orElse("unknown cause"), 1_000);
    } else if (resolved) {
      title = "Resolved: batch " + batch;
      text =
          ":white_check_mark: Resolved: batch "
              + named
              + " "
              + stages
              + " is complete ("
              + r.missingCount()
              + " missing and "
              + r.absentUpstreamCount()
              + " never "
              + f.upstream()
              + " when last reported)";
    } else if (f.kind() == Finding.Kind.STALLED) {
      title = "Stalled: batch " + batch;
      text =
          ":warning: Batch "
              + named
              + " stalled: nothing "
              + f.upstream()
              + " of "
              + r.expectedRecords()
              + " expected records, overdue by "
              + overdue;
    } else {
      title = headline(event.kind()) + ": batch " + batch;
      text =
          ":warning: "
              + r.missingCount()
              + " records missing in batch "
              + named
              + ", "
              + stages
              + ", overdue by "
              + overdue
              + ". First missing ranges: "
              + ranges
              + (r.absentUpstreamCount() > 0
                  ? "; " + r.absentUpstreamCount() + " records never " + f.upstream()
                  : "");
    }

    g.writeStartObject();
    g.writeStringField("text", escape(text));
    g.writeArrayFieldStart("blocks");

    g.writeStartObject();
    g.writeStringField("type", "header");
    g.writeObjectFieldStart("text");
    g.writeStringField("type", "plain_text");
    g.writeStringField("text", abbreviate(title, 150));
    g.writeEndObject();
    g.writeEndObject();

    List<String[]> fields = new ArrayList<>();
    fields.add(new String[] {"Batch", batch});
    fields.add(new String[] {"Stages", stages});
    if (unreadable) {
      fields.add(new String[] {"Missing", "unknown: the marks cannot be read"});
    } else {
      fields.add(new String[] {"Missing", r.missingCount() + " of " + r.expectedRecords()});
    }
    if (r.absentUpstreamCount() > 0) {
      fields.add(new String[] {"Never " + f.upstream(), Long.toString(r.absentUpstreamCount())});
    }
    fields.add(new String[] {resolved ? "Was overdue by" : "Overdue by", overdue});
    String fileKey = fileKey(f.batch().attributes());
    if (fileKey != null) {
      fields.add(new String[] {fileKey, f.batch().attributes().get(fileKey)});
    }
    for (Map.Entry<String, String> a : f.batch().attributes().entrySet()) {
      if (fields.size() == MAX_FIELDS) {
        break;
      }
      if (!a.getKey().equals(fileKey)) {
        fields.add(new String[] {a.getKey(), a.getValue()});
      }
    }
    g.writeStartObject();
    g.writeStringField("type", "section");
    g.writeArrayFieldStart("fields");
    for (String[] field : fields) {
      g.writeStartObject();
      g.writeStringField("type", "mrkdwn");
      g.writeStringField("text", "*" + escape(field[0]) + "*\n" + escape(field[1]));
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();

    if (unreadable && !resolved) {
      g.writeStartObject();
      g.writeStringField("type", "section");
      g.writeObjectFieldStart("text");
      g.writeStringField("type", "mrkdwn");
      g.writeStringField(
          "text",
          "*Why it cannot be read*\n```"
              + escape(abbreviate(f.cause().orElse("unknown cause"), 2_000))
              + "```");
      g.writeEndObject();
      g.writeEndObject();
    }
    if (!resolved && !r.missing().isEmpty()) {
      rangesSection(g, "First missing ranges", r.missing());
    }
    if (!resolved && !r.absentUpstream().isEmpty()) {
      rangesSection(g, "First ranges never " + f.upstream(), r.absentUpstream());
    }

    g.writeStartObject();
    g.writeStringField("type", "context");
    g.writeArrayFieldStart("elements");
    g.writeStartObject();
    g.writeStringField("type", "mrkdwn");
    g.writeStringField("text", "record-tracker · " + event.kind() + " · " + event.at());
    g.writeEndObject();
    g.writeEndArray();
    g.writeEndObject();

    g.writeEndArray();
    g.writeEndObject();
  }

  private void rangesSection(JsonGenerator g, String label, List<RecordRange> ranges)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("type", "section");
    g.writeObjectFieldStart("text");
    g.writeStringField("type", "mrkdwn");
    g.writeStringField(
        "text", "*" + label + "*\n```" + AlertText.firstRanges(ranges, rangesShown) + "```");
    g.writeEndObject();
    g.writeEndObject();
  }

  private static String headline(DiscrepancyEvent.Kind kind) {
    switch (kind) {
      case GROWN:
        return "More records missing";
      case REMINDER:
        return "Still missing records";
      default:
        return "Missing records";
    }
  }

  /** The batch's file name, by the attribute names senders use for it, if any. */
  private static String fileName(Map<String, String> attributes) {
    String key = fileKey(attributes);
    return key == null ? null : attributes.get(key);
  }

  /** The attribute holding the file name ({@value #FILE_KEYS}, first found), if any. */
  private static String fileKey(Map<String, String> attributes) {
    for (String key : FILE_KEYS.split(", ")) {
      if (attributes.containsKey(key)) {
        return key;
      }
    }
    return null;
  }

  /** Slack's escaping of its control characters in text. */
  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String abbreviate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }

  /** Shows the endpoint as {@code scheme://host/…}: the path holds the secret. */
  @Override
  public String toString() {
    return "WebhookDiscrepancyListener{" + redacted + "}";
  }

  /**
   * Builds a {@link WebhookDiscrepancyListener}. Each setter rejects a bad value at once with an
   * {@link IllegalArgumentException} naming the setting and the value.
   */
  public static final class Builder {
    private final URI url;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration timeoutBudget = DEFAULT_TIMEOUT_BUDGET;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private int rangesShown = DEFAULT_RANGES_SHOWN;
    private Sleeper sleeper = d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);

    private Builder(URI url) {
      this.url = url;
    }

    /** How long to wait for a connection; default 5 seconds. */
    public Builder connectTimeout(Duration connectTimeout) {
      requirePositive(connectTimeout, "connectTimeout");
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** How long one attempt waits for the answer; default 10 seconds. */
    public Builder requestTimeout(Duration requestTimeout) {
      requirePositive(requestTimeout, "requestTimeout");
      this.requestTimeout = requestTimeout;
      return this;
    }

    /**
     * The most time all attempts and waits for one event take together; default 30 seconds. A
     * monitor round waits at most this long for a dead endpoint.
     */
    public Builder timeoutBudget(Duration timeoutBudget) {
      requirePositive(timeoutBudget, "timeoutBudget");
      this.timeoutBudget = timeoutBudget;
      return this;
    }

    /** The most attempts for one event, at least 1; default {@value #DEFAULT_MAX_ATTEMPTS}. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The wait before the second attempt, doubled for each later one; default 500 ms. */
    public Builder initialBackoff(Duration initialBackoff) {
      requirePositive(initialBackoff, "initialBackoff");
      this.initialBackoff = initialBackoff;
      return this;
    }

    /** The longest wait between attempts, Retry-After included; default 10 seconds. */
    public Builder maxBackoff(Duration maxBackoff) {
      requirePositive(maxBackoff, "maxBackoff");
      this.maxBackoff = maxBackoff;
      return this;
    }

    /** How many ranges a message lists before "(+N more)"; default 10. */
    public Builder rangesShown(int rangesShown) {
      if (rangesShown < 1) {
        throw new IllegalArgumentException("rangesShown must be at least 1: " + rangesShown);
      }
      this.rangesShown = rangesShown;
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    /** The listener; it opens no connection until its first event. */
    public WebhookDiscrepancyListener build() {
      return new WebhookDiscrepancyListener(this);
    }
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
