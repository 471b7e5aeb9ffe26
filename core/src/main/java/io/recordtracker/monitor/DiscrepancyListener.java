package io.recordtracker.monitor;

/**
 * Receives a {@link CompletenessMonitor}'s events, on the thread that runs the monitor round, one
 * at a time. An implementation that fails throws; the monitor logs it and gives the same event to
 * this listener again in the next round, without holding back the other listeners.
 *
 * <p>Each event is told once between every monitor instance on the store, and at least once: after
 * a monitor dies while telling it, another tells it again (see {@link CompletenessMonitor}). A
 * listener that must not act twice deduplicates with {@link DiscrepancyEvent#idempotencyKey()}.
 *
 * <p>Implementations shipped: {@link Slf4jDiscrepancyListener} (the default), {@link
 * WebhookDiscrepancyListener} (Slack and compatible chats) and {@link PagerDutyDiscrepancyListener}
 * (PagerDuty's Events API v2). A listener that needs to see a whole round's events together (a
 * digest) implements {@link RoundDiscrepancyListener}.
 */
@FunctionalInterface
public interface DiscrepancyListener {

  /**
   * Handles one event. Should return within a bounded time: the monitor round waits for it.
   *
   * @throws RuntimeException if the event could not be handled; it is offered again next round
   */
  void onEvent(DiscrepancyEvent event);
}
