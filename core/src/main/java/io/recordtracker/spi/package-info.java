/**
 * The service provider interface: {@link io.recordtracker.spi.TrackerStore}, what a store that
 * keeps batches and marks implements, with the types it exchanges with the tracker and the
 * in-memory reference store.
 *
 * <h2>Bad arguments</h2>
 *
 * The rule of {@link io.recordtracker}: a null argument throws {@link
 * java.lang.NullPointerException} naming the argument, a bad value {@link
 * java.lang.IllegalArgumentException} naming the value, a call the state does not allow {@link
 * java.lang.IllegalStateException}. A store needs not check what the tracker never passes (the
 * tracker passes no null), but a store that is also called directly follows the same rule.
 */
package io.recordtracker.spi;
