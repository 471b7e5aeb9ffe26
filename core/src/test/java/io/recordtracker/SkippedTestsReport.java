package io.recordtracker;

import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, once a module's tests have run, why tests were skipped and how many: surefire's console
 * shows only a count, and the reason (for the server tests, which variable enables them) would
 * otherwise be only in {@code target/surefire-reports}. Registered in {@code META-INF/services}, so
 * every module with core's test-jar on its test class path reports skips the same way.
 */
public final class SkippedTestsReport implements TestExecutionListener {
  private static final String ASSUMPTION_PREFIX = "Assumption failed: ";

  /** Reason to the number of tests (or containers) skipped for it, in a stable order. */
  private final Map<String, Integer> skipped = new TreeMap<>();

  /** Creates the listener; JUnit's launcher does, through the service loader. */
  public SkippedTestsReport() {}

  @Override
  public synchronized void executionSkipped(TestIdentifier test, String reason) {
    skipped.merge(reason == null ? "no reason given" : reason, 1, Integer::sum);
  }

  @Override
  public synchronized void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() != TestExecutionResult.Status.ABORTED) {
      return;
    }
    String reason = result.getThrowable().map(Throwable::getMessage).orElse("no reason given");
    if (reason.startsWith(ASSUMPTION_PREFIX)) {
      reason = reason.substring(ASSUMPTION_PREFIX.length());
    }
    skipped.merge(reason, 1, Integer::sum);
  }

  @Override
  public synchronized void testPlanExecutionFinished(TestPlan plan) {
    skipped.forEach(
        (reason, count) ->
            System.out.println(
                "[skipped] " + count + (count == 1 ? " test: " : " tests: ") + reason));
    skipped.clear();
  }
}
