package io.recordtracker.monitor;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that knows a webhook URL's secret parts and removes them from any text the endpoint
 * or the HTTP client hands back, before that text reaches a message or a log line.
 *
 * <p>Everything after the host is secret: the path (Slack's {@code /services/T…/B…/token}), the
 * query ({@code ?token=…}), the fragment, and the user info. An endpoint may echo any of them in
 * another shape: the whole path in a Spring error's {@code "path"} field, one segment alone,
 * percent-decoded, JSON-escaped ({@code \/}) or in another case. So the redactor matches, without
 * regard to case, the raw and decoded path, query and user info, and each path segment, query value
 * and user-info part of at least {@value #MIN_PART} characters on its own; shorter parts ({@code
 * v1}, {@code api}) hold no secret worth garbling the rest of the text for. Any header value the
 * listener sends with a secret in it belongs in the same list.
 *
 * <p>Text is redacted before it is cut to an excerpt, so a cut never leaves a token's first half.
 */
final class WebhookRedactor {

  /** Shorter parts of the URL are not matched on their own (they are within the whole path). */
  static final int MIN_PART = 4;

  private static final String MASK = "…";
  private static final Pattern WHITESPACE_OR_CONTROL = Pattern.compile("[\\s\\p{Cntrl}]+");

  private final String endpoint;
  private final URI url;
  private final Pattern secrets;

  WebhookRedactor(URI url) {
    this(url, List.of());
  }

  /**
   * A redactor of {@code url}'s secret parts and of {@code otherSecrets}: secrets the listener
   * sends elsewhere than in the URL (PagerDuty's routing key, in the body), matched whole and
   * however short, raw and percent-decoded.
   */
  WebhookRedactor(URI url, List<String> otherSecrets) {
    this.url = url;
    this.endpoint = endpoint(url);
    List<String> parts = new ArrayList<>(secretParts(url));
    for (String secret : otherSecrets) {
      if (!secret.isEmpty()) {
        parts.addAll(decodings(secret));
      }
    }
    // Longest first: a whole secret is masked as one, not part by part.
    parts.sort(Comparator.comparingInt(String::length).reversed());
    this.secrets = pattern(parts);
  }

  /** The URL as {@code scheme://host[:port]/…}: what any text may show of it. */
  String endpoint() {
    return endpoint;
  }

  /** {@code text} with every secret part replaced by {@code …}; "" for null. */
  String redact(String text) {
    if (text == null || text.isEmpty()) {
      return "";
    }
    if (secrets == null) {
      return text;
    }
    Matcher m = secrets.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      // A match starting with "/" is (part of) the path: keep the slash so "host/…" still reads.
      m.appendReplacement(out, Matcher.quoteReplacement(m.group().startsWith("/") ? "/…" : MASK));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A one-line excerpt of a response body or header: redacted first, then whitespace and control
   * characters (which could forge log lines) collapsed to one space, then cut to {@code max}.
   */
  String excerpt(String text, int max) {
    String s = WHITESPACE_OR_CONTROL.matcher(redact(text)).replaceAll(" ").strip();
    return s.length() <= max ? s : s.substring(0, max - 1) + MASK;
  }

  /**
   * Where a redirect's {@code Location} points, as {@code scheme://host[:port]/…}: the host is
   * useful (a moved endpoint), the path is as secret as the webhook's own.
   */
  String location(String header) {
    if (header == null || header.isBlank()) {
      return "nowhere";
    }
    try {
      URI target = url.resolve(header.strip());
      if (target.getScheme() != null && target.getHost() != null) {
        return endpoint(target);
      }
    } catch (IllegalArgumentException e) {
      // not a URI: say so below without quoting it
    }
    return "an unreadable location";
  }

  /**
   * A copy of {@code t} and its causes and suppressed exceptions whose messages are redacted, with
   * the original stack traces: a cause whose message quotes the URL never travels on raw.
   */
  Throwable redactedCopy(Throwable t) {
    return t == null ? null : copy(t, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private Throwable copy(Throwable t, Set<Throwable> seen) {
    seen.add(t);
    String message = t.getMessage();
    Redacted copy =
        new Redacted(t.getClass().getName() + (message == null ? "" : ": " + redact(message)));
    copy.setStackTrace(t.getStackTrace());
    Throwable cause = t.getCause();
    if (cause != null && !seen.contains(cause)) {
      copy.initCause(copy(cause, seen));
    }
    for (Throwable s : t.getSuppressed()) {
      if (!seen.contains(s)) {
        copy.addSuppressed(copy(s, seen));
      }
    }
    return copy;
  }

  /** Shows the endpoint only. */
  @Override
  public String toString() {
    return "WebhookRedactor{" + endpoint + "}";
  }

  static String endpoint(URI url) {
    return url.getScheme()
        + "://"
        + url.getHost()
        + (url.getPort() >= 0 ? ":" + url.getPort() : "")
        + "/…";
  }

  private static List<String> secretParts(URI url) {
    Set<String> parts = new LinkedHashSet<>();
    String rawPath = url.getRawPath();
    if (rawPath != null && rawPath.length() > 1) {
      // The whole path starts with "/", distinctive enough to match however short it is.
      parts.addAll(decodings(rawPath));
      parts.add(rawPath.replace("/", "\\/")); // as JSON may escape it
      for (String segment : rawPath.split("/")) {
        addPart(parts, segment);
      }
    }
    String rawQuery = url.getRawQuery();
    if (rawQuery != null) {
      addPart(parts, rawQuery);
      for (String pair : rawQuery.split("[&;]")) {
        int eq = pair.indexOf('=');
        addPart(parts, eq < 0 ? pair : pair.substring(eq + 1));
      }
    }
    String rawFragment = url.getRawFragment();
    if (rawFragment != null) {
      addPart(parts, rawFragment);
    }
    String rawUserInfo = url.getRawUserInfo();
    if (rawUserInfo != null) {
      addPart(parts, rawUserInfo);
      for (String part : rawUserInfo.split(":")) {
        addPart(parts, part);
      }
    }
    List<String> sorted = new ArrayList<>(parts);
    // Longest first: the whole path is masked as one, not segment by segment.
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    return sorted;
  }

  private static void addPart(Set<String> parts, String raw) {
    for (String s : decodings(raw)) {
      if (s.length() >= MIN_PART) {
        parts.add(s);
      }
    }
  }

  /** The raw text, percent-decoded as a path ("+" stays) and as a form ("+" is a space). */
  private static Set<String> decodings(String raw) {
    Set<String> out = new LinkedHashSet<>();
    out.add(raw);
    try {
      out.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
      out.add(URLDecoder.decode(raw, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      // a stray "%": the raw form is what a server would echo
    }
    return out;
  }

  private static Pattern pattern(List<String> parts) {
    if (parts.isEmpty()) {
      return null;
    }
    StringBuilder regex = new StringBuilder();
    for (String p : parts) {
      if (regex.length() > 0) {
        regex.append('|');
      }
      regex.append(Pattern.quote(p));
    }
    return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
  }

  /**
   * An exception standing in for one whose message quoted the URL: it names the original class,
   * carries the redacted message and the original stack trace.
   */
  static final class Redacted extends Exception {
    private static final long serialVersionUID = 1L;

    Redacted(String message) {
      super(message);
    }

    /** The original class and redacted message, without this class's name in front. */
    @Override
    public String toString() {
      return getMessage();
    }
  }
}
