package io.recordtracker.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.recordtracker.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The per-transaction benchmark at a tiny size on embedded PostgreSQL (or $RECORDTRACKER_PG_URL):
 * it runs every shape end to end and every record committed with markWithin is in the batch.
 * Measures nothing.
 */
class PerTransactionBenchmarkTest {

  @Test
  void every_shape_runs_and_every_record_marked_within_is_counted_and_stored() {
    PerTransactionBenchmark.Config config =
        PerTransactionBenchmark.Config.parse(
            new String[] {"--records", "300", "--runs", "2", "--warmup", "50", "--workers", "2"});
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    PerTransactionBenchmark.Result result;
    try (BenchDatabase db = BenchDatabase.postgres(config.pool)) {
      result = PerTransactionBenchmark.measure(config, db, out);
      assertThat(db.tablesStartingWith(PerTransactionBenchmark.PREFIX)).isEmpty();
    }
    PerTransactionBenchmark.print(result, config, out);

    for (PerTransactionBenchmark.Shape shape : PerTransactionBenchmark.Shape.values()) {
      assertThat(result.txPerSecond().get(shape)).as(shape.name()).hasSize(2);
    }
    // measure() checked that no record of a markWithin run is missing; the store counted them all.
    assertThat(result.markedWithin()).isEqualTo(Map.of(Stage.PROCESSED, 50L + 2 * 300L));
    assertThat(result.deltaRowsLeft()).hasSize(2);
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains(List.of("(a) business tx alone", "(b) + markWithin", "(c) + status row INSERT"));
  }
}
