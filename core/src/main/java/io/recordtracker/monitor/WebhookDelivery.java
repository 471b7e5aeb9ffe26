package io.recordtracker.monitor;

import static io.recordtracker.internal.Arguments.requireAtLeast;
import static io.recordtracker.internal.Arguments.requireNonNull;
import static io.recordtracker.internal.Arguments.requirePositive;

import io.recordtracker.RecordTrackerException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts JSON bodies to one webhook URL, for any listener that alerts over HTTP (Slack-compatible
 * chats, PagerDuty's Events API, a digest):
 *
 * <ol>
 *   <li>each attempt has a connect timeout and a request timeout;
 *   <li>a 5xx answer, a 429 or an I/O error is retried with exponential backoff; a 429's or 503's
 *       {@code Retry-After} is honoured, capped at {@code maxBackoff};
 *   <li>all attempts for one body together never take longer than {@code timeoutBudget}, so a dead
 *       endpoint holds up its caller by at most that;
 *   <li>any other answer (a 4xx: a revoked or wrong URL) fails at once;
 *   <li>redirects are not followed: the body would go where the URL's owner did not say.
 * </ol>
 *
 * <p>The URL's path, query, fragment and user info hold the webhook's secret token: through {@link
 * WebhookRedactor}, they appear in no log line, exception message (nor its causes') or {@link
 * #toString()}, which show {@code scheme://host/…} only. Thread-safe.
 */
final class WebhookDelivery {

  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEFAULT_TIMEOUT_BUDGET = Duration.ofSeconds(30);
  static final int DEFAULT_MAX_ATTEMPTS = 4;
  static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(500);
  static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

  private static final int MAX_BODY_EXCERPT = 200;

  private final URI url;
  private final WebhookRedactor redactor;
  private final String redacted;
  private final HttpClient client;
  private final Duration requestTimeout;
  private final Duration timeoutBudget;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Sleeper sleeper;
  private final Logger log;

  private WebhookDelivery(Builder b) {
    this.url = b.url;
    this.redactor = new WebhookRedactor(b.url, b.secrets);
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
    this.sleeper = b.sleeper;
    this.log = b.log;
  }

  /**
   * A builder posting to {@code url}, an http or https URL with a host.
   *
   * @throws NullPointerException if {@code url} is null
   * @throws IllegalArgumentException if {@code url} is not http(s) or has no host (the message does
   *     not repeat the URL, which holds a secret)
   */
  static Builder builder(URI url) {
    requireNonNull(url, "url");
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

  /** The URL as {@code scheme://host[:port]/…}: all that any text shows of it. */
  String endpoint() {
    return redacted;
  }

  /**
   * Posts {@code body} (UTF-8 JSON), retrying as the class documentation says.
   *
   * @param what what the body is, for log lines and the failure, such as "NEW of batch B-1"
   * @throws RecordTrackerException if it could not be delivered within the attempts and the budget;
   *     the message says how many attempts were made, how long they took and the last failure
   */
  void post(byte[] body, String what) {
    long start = System.nanoTime();
    String lastFailure = "no attempt";
    Throwable lastCause = null;
    int attempts = 0;
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      Duration remaining = timeoutBudget.minusNanos(System.nanoTime() - start);
      if (remaining.isNegative() || remaining.isZero()) {
        break;
      }
      attempts = attempt;
      Duration timeout = remaining.compareTo(requestTimeout) < 0 ? remaining : requestTimeout;
      Duration wait;
      try {
        HttpResponse<String> response = send(body, timeout);
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          if (attempt > 1) {
            log.info("Webhook {} took {} on attempt {}", redacted, what, attempt);
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
        lastFailure = inWords(redactor.redact(e.toString()));
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
            + what
            + "; gave up after "
            + attempts
            + (attempts == 1 ? " attempt in " : " attempts in ")
            + String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9)
            + ". Last failure: "
            + lastFailure,
        lastCause);
  }

  /**
   * An I/O failure as the JDK names it ({@code java.net.ConnectException: ...}) in words, keeping
   * the JDK's own message in parentheses; other failures as they are.
   */
  static String inWords(String failure) {
    String[][] known = {
      {
        "java.net.ConnectException",
        "the connection was refused (is the URL's host and port right?)"
      },
      {"java.net.UnknownHostException", "the host could not be resolved"},
      {"java.net.http.HttpConnectTimeoutException", "no connection within the request timeout"},
      {"java.nio.channels.UnresolvedAddressException", "the host could not be resolved"},
      {"javax.net.ssl.SSLHandshakeException", "the TLS handshake failed"},
      {"java.io.IOException", "the connection failed"},
    };
    for (String[] k : known) {
      if (failure.startsWith(k[0])) {
        String rest = failure.substring(k[0].length());
        return k[1] + (rest.startsWith(": ") ? " (" + rest.substring(2) + ")" : rest);
      }
    }
    return failure;
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

  private HttpResponse<String> send(byte[] body, Duration timeout)
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
      if (cause instanceof HttpTimeoutException) {
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
        d = Duration.between(Instant.now(), at.toInstant());
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
    if (d.isNegative()) {
      d = Duration.ZERO;
    }
    return Optional.of(d.compareTo(maxBackoff) > 0 ? maxBackoff : d);
  }

  /** Shows the endpoint as {@code scheme://host/…}: the path holds the secret. */
  @Override
  public String toString() {
    return "WebhookDelivery{" + redacted + "}";
  }

  /**
   * Builds a {@link WebhookDelivery}: null is a NullPointerException, a bad value an
   * IllegalArgumentException naming the setting and the value.
   */
  static final class Builder {
    private final URI url;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration timeoutBudget = DEFAULT_TIMEOUT_BUDGET;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private Sleeper sleeper = Sleeper.THREAD;
    private Logger log = LoggerFactory.getLogger(WebhookDelivery.class);
    private final List<String> secrets = new ArrayList<>();

    private Builder(URI url) {
      this.url = url;
    }

    Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = requirePositive(connectTimeout, "connectTimeout");
      return this;
    }

    Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requirePositive(requestTimeout, "requestTimeout");
      return this;
    }

    Builder timeoutBudget(Duration timeoutBudget) {
      this.timeoutBudget = requirePositive(timeoutBudget, "timeoutBudget");
      return this;
    }

    Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = requireAtLeast(maxAttempts, 1, "maxAttempts");
      return this;
    }

    Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = requirePositive(initialBackoff, "initialBackoff");
      return this;
    }

    Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = requirePositive(maxBackoff, "maxBackoff");
      return this;
    }

    Builder sleeper(Sleeper sleeper) {
      this.sleeper = requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * A secret sent outside the URL (in the body): redacted, like the URL's, from whatever the
     * endpoint answers before it is quoted.
     */
    Builder secret(String secret) {
      secrets.add(requireNonNull(secret, "secret"));
      return this;
    }

    /** The logger of the listener that delivers, so its log lines keep the listener's name. */
    Builder logger(Logger log) {
      this.log = requireNonNull(log, "log");
      return this;
    }

    WebhookDelivery build() {
      return new WebhookDelivery(this);
    }
  }
}
