#!/usr/bin/env bash
# Runs the benchmarks of a Release build (make bench) pinned to one core and prints the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/release/bench
echo "== policy selection over 100,000 tags (one core)"
taskset -c 0 "$B/policy_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
echo "== scanning 10,000 tags in pages of 100 from a loopback registry"
"$B/scan_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo "== tag store memory: 1,000 repositories x 1,000 tags"
"$B/store_memory_bench"
echo "== setters over 10,000 YAML files with 100 marked"
"$B/setters_bench"
echo "== update + commit + push of a one-line change in a 10,000-file repository (loopback HTTP)"
"$B/update_run_bench"
echo "== standalone: 1,000 ImagePolicies re-evaluated after one scan each; idle RSS with 1,000 objects"
"$B/standalone_bench"
echo "== /metrics scrape with 1,000 objects (text and OpenMetrics)"
"$B/metrics_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo "== registry push -> git push: 50 pushes via registry notifications (webhook)"
"$B/detection_bench" webhook 50
echo "== registry push -> git push: 50 repositories polled every 1m (for comparison; ~3 minutes)"
"$B/detection_bench" poll 50 1m
