package io.recordtracker.jdbc;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Slack-compatible webhook endpoint on 127.0.0.1 that records every message posted to it and
 * answers 200; {@link #close()} stops it.
 */
final class AlertWebhook implements AutoCloseable {

  private static final Pattern KIND = Pattern.compile("record-tracker · ([A-Z]+) · ");
  private static final Pattern BATCH = Pattern.compile(": batch ([A-Za-z0-9._:-]+)\"");

  /** One message: the event's kind and batch, as the message says them. */
  record Message(String kind, String batch) {}

  private final HttpServer server;
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final AtomicInteger toHold = new AtomicInteger();
  private final CountDownLatch released = new CountDownLatch(1);

  AlertWebhook() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          if (toHold.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            try {
              // Taken, never answered: the sender is left waiting, as on a hung connection.
              released.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  /** The next request is recorded and then left unanswered until {@link #close()}. */
  void holdNext() {
    toHold.incrementAndGet();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/fleet");
  }

  /** Every message received about one of {@code batches}, in the order received. */
  List<Message> messages(Set<String> batches) {
    List<Message> out = new ArrayList<>();
    for (String body : bodies) {
      Matcher kind = KIND.matcher(body);
      Matcher batch = BATCH.matcher(body);
      if (!kind.find() || !batch.find()) {
        throw new AssertionError("not a monitor message: " + body);
      }
      if (batches.contains(batch.group(1))) {
        out.add(new Message(kind.group(1), batch.group(1)));
      }
    }
    return out;
  }

  /** How many messages of each kind and batch of {@code batches} were received. */
  Map<String, Integer> counts(Set<String> batches) {
    Map<String, Integer> counts = new TreeMap<>();
    for (Message m : messages(batches)) {
      counts.merge(m.kind() + " " + m.batch(), 1, Integer::sum);
    }
    return counts;
  }

  /** How many messages of {@code kind} about {@code batches} were received. */
  long count(String kind, Set<String> batches) {
    return messages(batches).stream().filter(m -> m.kind().equals(kind)).count();
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    ((ExecutorService) server.getExecutor()).shutdownNow();
  }
}
