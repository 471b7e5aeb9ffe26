/**
 * A {@link io.recordtracker.spi.TrackerStore} in a relational database: {@link
 * io.recordtracker.jdbc.JdbcTrackerStore}, built with its {@link
 * io.recordtracker.jdbc.JdbcTrackerStore.Builder}, speaking one of the {@link
 * io.recordtracker.jdbc.JdbcDialect}s.
 *
 * <p>Every argument of every public method and constructor in this package must be non-null unless
 * its documentation says otherwise; a null argument throws {@link NullPointerException} with a
 * message naming the argument (such as {@code "connection must not be null"}). A non-null argument
 * with a bad value throws {@link IllegalArgumentException} naming the value.
 */
package io.recordtracker.jdbc;
