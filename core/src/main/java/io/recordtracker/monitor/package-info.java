/**
 * Watching for batches whose records went missing and telling people: {@link
 * io.recordtracker.monitor.CompletenessMonitor} finds them, {@link
 * io.recordtracker.monitor.DiscrepancyListener}s hear of each {@link
 * io.recordtracker.monitor.Finding} as a {@link io.recordtracker.monitor.DiscrepancyEvent} (a log
 * line, a Slack-compatible webhook). {@code Finding} and {@code DiscrepancyEvent} have public
 * factories, so a listener of your own can be unit-tested without a monitor.
 *
 * <p>Arguments, everywhere in this package: a null argument throws a {@link NullPointerException}
 * whose message names the argument ("listener must not be null"); a bad value throws an {@link
 * IllegalArgumentException} whose message names the argument and the value ("grace must be
 * positive: PT-1S"), at once, in the builder's setter rather than at {@code build()}.
 */
package io.recordtracker.monitor;
