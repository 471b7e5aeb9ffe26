/**
 * Internal to record-tracker: not API. Helpers shared by the library's own packages; anything here
 * may change or go in any release without notice. Do not use it from outside the library.
 *
 * <p>Bad arguments follow the library's rule (see {@link io.recordtracker}): a null argument throws
 * {@link java.lang.NullPointerException} naming the argument, a bad value {@link
 * java.lang.IllegalArgumentException} naming the value.
 */
package io.recordtracker.internal;
