#!/usr/bin/env bash
# Checks and unit-tests the alert rules in manifests/monitoring with promtool (Debian package
# `prometheus`, installed by scripts/install-deps.sh). Fails when promtool is missing, when a rule
# file is invalid, when a unit test fails, when an alert has no unit test, when the
# PrometheusRule's spec.groups differ from rules/imgauto.rules.yml, or when an expression of the
# Grafana dashboards (dashboards/*.json, as scripts/promql-exprs.sh extracts them with Grafana's
# variables substituted) is not valid PromQL.
#
#   bash tests/monitoring/promtool_test.sh manifests/monitoring
#   ctest --test-dir build/dev -L monitoring
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <manifests/monitoring directory>" >&2
  exit 2
fi
dir=$(cd "$1" && pwd)
rules="$dir/rules/imgauto.rules.yml"
tests="$dir/rules/imgauto.rules.test.yml"
operator_rule="$dir/prometheusrule.yaml"

if ! command -v promtool >/dev/null 2>&1; then
  echo "FAIL: promtool not found; run scripts/install-deps.sh (Debian package prometheus)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Rule lines without comments and blank lines, so only the rules themselves are compared.
strip() { grep -v -E '^[[:space:]]*(#|$)' "$1" || true; }

echo "== promtool check rules"
promtool check rules "$rules"

echo "== PrometheusRule spec.groups == $(basename "$rules")"
# Everything after `spec:`, dedented by the two spaces it is nested under.
sed -n '/^spec:/,$p' "$operator_rule" | tail -n +2 | sed 's/^  //' > "$tmp/operator.rules.yml"
strip "$rules" > "$tmp/a"
strip "$tmp/operator.rules.yml" > "$tmp/b"
if [ ! -s "$tmp/b" ] || ! diff -u "$tmp/a" "$tmp/b"; then
  echo "FAIL: spec.groups of $operator_rule differ from $rules" >&2
  exit 1
fi
promtool check rules "$tmp/operator.rules.yml"

echo "== every alert has a unit test"
alerts=$(sed -n 's/^[[:space:]]*- alert:[[:space:]]*//p' "$rules")
if [ -z "$alerts" ]; then
  echo "FAIL: no alerts found in $rules" >&2
  exit 1
fi
untested=0
for a in $alerts; do
  if ! grep -q -E "^[[:space:]]*alertname:[[:space:]]*${a}[[:space:]]*$" "$tests"; then
    echo "FAIL: alert $a has no alert_rule_test in $tests" >&2
    untested=1
  fi
done
[ "$untested" -eq 0 ]

echo "== promtool test rules"
# rule_files in the test file are resolved relative to the test file's directory.
promtool test rules "$tests"

echo "== dashboard expressions are valid PromQL"
# Each expression becomes a recording rule, so `promtool check rules` parses it.
extract="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/promql-exprs.sh"
bash "$extract" --origin --only dashboards "$dir" > "$tmp/exprs.tsv"
dashboards=$(find "$dir/dashboards" -name '*.json' | wc -l)
if [ "$dashboards" -eq 0 ]; then
  echo "FAIL: no dashboards in $dir/dashboards" >&2
  exit 1
fi
for board in "$dir"/dashboards/*.json; do
  if ! grep -q "^dashboards/$(basename "$board")#panel=" "$tmp/exprs.tsv"; then
    echo "FAIL: no panel expression extracted from $board" >&2
    exit 1
  fi
done
if grep -E $'\t.*(\$[A-Za-z_{]|\[\[)' "$tmp/exprs.tsv"; then
  echo "FAIL: Grafana variables left after substitution (above)" >&2
  exit 1
fi
{
  echo "groups:"
  echo "  - name: dashboard-expressions"
  echo "    rules:"
  n=0
  while IFS=$'\t' read -r origin expr; do
    n=$((n + 1))
    printf '      # %s\n' "$origin"
    printf '      - record: imgauto:dashboard_expr_%d\n        expr: |\n          %s\n' "$n" "$expr"
  done < "$tmp/exprs.tsv"
} > "$tmp/dashboards.rules.yml"
if ! promtool check rules "$tmp/dashboards.rules.yml"; then
  echo "FAIL: invalid dashboard expression; see the origin comments in:" >&2
  cat -n "$tmp/dashboards.rules.yml" >&2
  exit 1
fi
echo "PASS"
