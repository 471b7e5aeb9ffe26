package io.recordtracker.monitor;

import java.util.List;

/**
 * A {@link DiscrepancyListener} that takes a whole monitor round's events at once, so that it can
 * tell where a round starts and ends: a digest (one message listing 500 findings that appeared in
 * one round, when a downstream outage hits 500 batches at once) needs to see them together.
 *
 * <p>A {@link CompletenessMonitor} calls {@link #onRound} once per round that has events for this
 * listener, with every event due, in order, on the thread that runs the round; it never calls
 * {@link #onEvent} itself. When {@code onRound} returns, every event counts as delivered; when it
 * throws, none does, and all are offered again next round. Delivery is therefore at least once: an
 * implementation that sent some events before it failed sends them again; give the receiver a key
 * to deduplicate (as {@link PagerDutyDiscrepancyListener}'s dedup key does).
 */
public interface RoundDiscrepancyListener extends DiscrepancyListener {

  /**
   * Handles the events of one round, at least one, in the order the monitor made them. Should
   * return within a bounded time: the monitor round waits for it.
   *
   * @throws RuntimeException if the events could not all be handled; they are all offered again
   *     next round
   */
  void onRound(List<DiscrepancyEvent> events);

  /** Handles one event as a round of its own: {@code onRound(List.of(event))}. */
  @Override
  default void onEvent(DiscrepancyEvent event) {
    onRound(List.of(event));
  }
}
