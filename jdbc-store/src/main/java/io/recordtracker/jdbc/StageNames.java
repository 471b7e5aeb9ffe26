package io.recordtracker.jdbc;

import io.recordtracker.Stage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages the store knows ({@code rt_stage_name}): each stage is registered the first time this
 * store instance marks at it or it is declared, in a short transaction of its own, so that a stage
 * stays known after every batch marked at it is purged. Reads add the stages of {@code rt_stage},
 * which every marked batch has a row of, so stages marked by an earlier version are known too.
 */
final class StageNames {

  private static final Logger log = LoggerFactory.getLogger(StageNames.class);

  private final JdbcRunner runner;
  private final SqlStatements sql;
  private final Clock clock;

  /** Stages this instance registered (or found registered): never written again. */
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  StageNames(JdbcRunner runner, SqlStatements sql, Clock clock) {
    this.runner = runner;
    this.sql = sql;
    this.clock = clock;
  }

  /**
   * Registers the stages not registered by this instance yet; a failure is logged and tried again
   * at the next mark: the marks themselves are stored either way, and {@code rt_stage} knows them.
   */
  void marked(Collection<Stage> stages) {
    List<Stage> fresh = stages.stream().filter(s -> !registered.contains(s.name())).toList();
    if (fresh.isEmpty()) {
      return;
    }
    try {
      declare(fresh);
    } catch (RuntimeException e) {
      log.warn(
          "Could not register stages {} as known (tried again at the next mark): {}",
          fresh,
          e.getMessage());
    }
  }

  /** Registers {@code stages}, idempotently, in one transaction. */
  void declare(Collection<Stage> stages) {
    runner.inTransaction(
        "registering stages " + stages,
        true,
        c -> {
          try (PreparedStatement ps = runner.prepare(c, sql.insertStageName)) {
            // In name order: two stores registering the same stages lock their rows alike.
            for (Stage stage : new java.util.TreeSet<>(stages)) {
              ps.setString(1, stage.name());
              ps.setObject(2, StoredTimes.utc(clock.instant()));
              ps.executeUpdate();
            }
          }
          return null;
        });
    stages.forEach(s -> registered.add(s.name()));
  }

  /** Every stage registered or marked at in a batch still stored. */
  Set<Stage> known() {
    return runner.withConnection(
        "reading the known stages",
        c -> {
          Set<Stage> known = new HashSet<>();
          try (PreparedStatement ps = runner.prepare(c, sql.knownStages);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              known.add(Stage.of(rs.getString(1)));
            }
          }
          return known;
        });
  }
}
