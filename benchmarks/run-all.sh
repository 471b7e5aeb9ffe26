#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md with its committed settings and writes the results
# (JMH JSON and text, the size table, the comparison, and `uptime` before and after each
# part) to benchmarks/results/, or to $RESULTS_DIR if set.
# Build first: mvn -B -pl benchmarks -am package -DskipTests
# Takes about 25 minutes on 2 cores. Extra JMH arguments (e.g. -p batchSize=100000000) are
# passed to every JMH part.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=benchmarks/target/benchmarks.jar
out=${RESULTS_DIR:-benchmarks/results}
mkdir -p "$out"
[ -f "$jar" ] || { echo "missing $jar: build it first" >&2; exit 1; }

part() {
  local name=$1
  shift
  echo "== $name: $(date -u +%FT%TZ) $(uptime)" | tee -a "$out/uptime.txt"
  "$@" 2>&1 | tee "$out/$name.txt"
  echo "== $name done: $(date -u +%FT%TZ) $(uptime)" | tee -a "$out/uptime.txt"
}

: > "$out/uptime.txt"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cores: $(nproc)"
  echo "memory: $(free -h | awk '/Mem:/ {print $2}')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
  echo "java: $(java -version 2>&1 | head -2 | tail -1)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo n/a)"
} > "$out/machine.txt"

part jmh-mark java -jar "$jar" 'MarkBenchmark|RangeMarkBenchmark|IntArrayMarkBenchmark|ConcurrentMarkBenchmark' \
  -rf json -rff "$out/jmh-mark.json" "$@"
part jmh-jdbc java -jar "$jar" 'JdbcBenchmark' -rf json -rff "$out/jmh-jdbc.json" "$@"
part jmh-reconcile java -jar "$jar" 'ReconcileBenchmark' \
  -rf json -rff "$out/jmh-reconcile.json" "$@"
part sizes java -cp "$jar" io.recordtracker.benchmarks.SerializedSizes
part comparison java -cp "$jar" io.recordtracker.benchmarks.RowPerRecordComparison
part comparison-cold java -cp "$jar" io.recordtracker.benchmarks.RowPerRecordComparison --cold
