/**
 * Record tracking: {@link io.recordtracker.RecordTracker} marks which records of a batch reached
 * which stage and reconciles stages to the ranges of records that went missing; the value types
 * ({@link io.recordtracker.BatchId}, {@link io.recordtracker.RecordRange}, {@link
 * io.recordtracker.Reconciliation}, ...) and the exceptions a caller can act on live here too.
 *
 * <h2>Bad arguments</h2>
 *
 * One rule across the library's public API:
 *
 * <ul>
 *   <li>a null argument throws {@link java.lang.NullPointerException} with a message naming the
 *       argument ("store must not be null");
 *   <li>a bad value throws {@link java.lang.IllegalArgumentException} with a message naming the
 *       value ("flushInterval must be positive: PT-1S");
 *   <li>a call the object's state does not allow (a closed tracker) throws {@link
 *       java.lang.IllegalStateException}.
 * </ul>
 *
 * <p>No method accepts null unless its documentation says so.
 */
package io.recordtracker;
