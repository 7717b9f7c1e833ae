#!/usr/bin/env bash
# Prints every PromQL expression of imgauto's monitoring assets, one a line, so that tests can
# check or run them: the `expr` of each rule in rules/*.yml (not *.test.yml), the `expr` of each
# target of each Grafana panel in dashboards/*.json, and each dashboard variable query
# `label_values(SELECTOR, LABEL)` as `group by (LABEL) (SELECTOR)`.
#
#   scripts/promql-exprs.sh [--origin] [--only rules|dashboards] [MONITORING_DIR] > exprs.txt
#
# MONITORING_DIR defaults to manifests/monitoring next to this script. Grafana's variables are
# replaced so that every line is plain PromQL an instant query (/api/v1/query) accepts:
# $__rate_interval -> 5m, $__interval -> 1m, $__range -> 1d, and any other $var, ${var},
# ${var:format} or [[var]] -> .* (dashboards use them only as `label=~"$var"`). Whitespace
# outside string literals is collapsed to single spaces. With --origin each line is
# `ORIGIN<TAB>EXPR`, ORIGIN being `rules/FILE#alert=NAME` (or record=), `dashboards/FILE#panel=ID,
# ref=REFID` or `dashboards/FILE#var=NAME`.
#
# Needs only bash and python3's standard library (python3 is installed by
# scripts/install-deps.sh). The rule files are read with a small reader for the YAML that rule
# files use (block scalars `|`/`>`, plain and quoted scalars); tests/manifests/dashboards_test.cc
# checks that its output equals what a full YAML parser finds. Exit 1 on unreadable input.
set -euo pipefail

usage() {
  echo "usage: $0 [--origin] [--only rules|dashboards] [MONITORING_DIR]" >&2
  exit 2
}

origin=0
only=all
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --origin) origin=1 ;;
    --only)
      [ $# -ge 2 ] || usage
      only="$2"
      shift
      ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      [ -z "$dir" ] || usage
      dir="$1"
      ;;
  esac
  shift
done
case "$only" in all | rules | dashboards) ;; *) usage ;; esac
if [ -z "$dir" ]; then
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/manifests/monitoring"
fi
if [ ! -d "$dir" ]; then
  echo "promql-exprs: $dir is not a directory" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "promql-exprs: python3 not found; run scripts/install-deps.sh" >&2
  exit 1
fi

exec python3 - "$dir" "$only" "$origin" <<'PY'
import glob
import json
import os
import re
import sys

root, only, with_origin = sys.argv[1], sys.argv[2], sys.argv[3] == "1"


class InputError(Exception):
    pass


# Grafana variables, most specific first.
SUBSTITUTIONS = [
    (re.compile(r"\$__rate_interval\b|\$\{__rate_interval\}"), "5m"),
    (re.compile(r"\$__interval\b|\$\{__interval\}"), "1m"),
    (re.compile(r"\$__range\b|\$\{__range\}"), "1d"),
    (re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::[^}]*)?\}"), ".*"),
    (re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*"), ".*"),
    (re.compile(r"\[\[[A-Za-z_][A-Za-z0-9_]*(?::[^\]]*)?\]\]"), ".*"),
]


def substitute(expr):
    for pattern, value in SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    return expr


def collapse(expr):
    """Collapses whitespace runs outside '...', "..." and `...` literals to one space."""
    out = []
    quote = None
    pending_space = False
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            out.append(c)
            if c == "\\" and quote != "`" and i + 1 < len(expr):
                out.append(expr[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c.isspace():
            pending_space = True
        else:
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(c)
            if c in "'\"`":
                quote = c
        i += 1
    return "".join(out)


# ------------------------------------------------------------------------------------------
# Rule files.

KEY = re.compile(r"^(\s*)(- )?([A-Za-z_][A-Za-z0-9_]*):(?:\s+(.*))?$")
BLOCK = re.compile(r"^[|>][+-]?[0-9]?\s*(#.*)?$")


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def scalar(lines, i, key_indent, rest, where):
    """Reads the scalar value of a key at lines[i]; returns (value, next line index)."""
    rest = (rest or "").rstrip()
    if BLOCK.match(rest):
        body = []
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or indent_of(lines[j]) > key_indent):
            body.append(lines[j])
            j += 1
        content = [line for line in body if line.strip()]
        if not content:
            raise InputError(f"{where}: empty block scalar")
        strip = min(indent_of(line) for line in content)
        return "\n".join(line[strip:] for line in body), j
    if rest.startswith('"'):
        if len(rest) < 2 or not rest.endswith('"'):
            raise InputError(f"{where}: multi-line double-quoted scalars are not supported")
        return json.loads(rest), i + 1
    if rest.startswith("'"):
        if len(rest) < 2 or not rest.endswith("'"):
            raise InputError(f"{where}: multi-line single-quoted scalars are not supported")
        return rest[1:-1].replace("''", "'"), i + 1
    # A plain scalar, possibly continued on more indented lines; ` #` starts a comment.
    parts = [re.sub(r"\s+#.*$", "", rest)]
    j = i + 1
    while j < len(lines) and lines[j].strip() and indent_of(lines[j]) > key_indent:
        parts.append(re.sub(r"\s+#.*$", "", lines[j].strip()))
        j += 1
    value = " ".join(p for p in parts if p)
    if not value:
        raise InputError(f"{where}: expr has no value")
    return value, j


RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


def rule_exprs(path, name):
    lines = open(path, encoding="utf-8").read().splitlines()
    rules = []  # [{"name": ..., "expr": ..., "line": ...}]
    item_indent = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        m = KEY.match(line)
        if not m:
            i += 1
            continue
        indent, dash, key, rest = len(m.group(1)), m.group(2), m.group(3), m.group(4)
        if dash and key in RULE_KEYS:
            rules.append({"line": i + 1})
            item_indent = indent + 2
        elif item_indent is not None and indent < item_indent:
            item_indent = None  # left the rules list
        key_indent = indent + (2 if dash else 0)
        if item_indent is not None and key_indent == item_indent and key in ("alert", "record",
                                                                             "expr"):
            where = f"{name}:{i + 1}"
            value, i = scalar(lines, i, key_indent, rest, where)
            rules[-1][key] = value
            continue
        i += 1
    out = []
    for rule in rules:
        if "expr" not in rule:
            raise InputError(f"{name}:{rule['line']}: rule without expr")
        if "alert" in rule:
            label = "alert=" + rule["alert"].strip()
        elif "record" in rule:
            label = "record=" + rule["record"].strip()
        else:
            raise InputError(f"{name}:{rule['line']}: rule without alert or record")
        out.append((f"{name}#{label}", rule["expr"]))
    return out


# ------------------------------------------------------------------------------------------
# Dashboards.

LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$",
                          re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\(\s*(.+)\s*\)\s*$", re.S)


def panels_of(panels):
    for panel in panels or []:
        yield panel
        yield from panels_of(panel.get("panels"))


def dashboard_exprs(path, name):
    try:
        board = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        raise InputError(f"{name}: {e}")
    out = []
    for var in board.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        m = LABEL_VALUES.match(query or "")
        q = QUERY_RESULT.match(query or "")
        if m:
            out.append((f"{name}#var={var.get('name')}",
                        f"group by ({m.group(2)}) ({m.group(1).strip()})"))
        elif q:
            out.append((f"{name}#var={var.get('name')}", q.group(1).strip()))
    for panel in panels_of(board.get("panels")):
        for target in panel.get("targets") or []:
            expr = target.get("expr")
            if isinstance(expr, str) and expr.strip():
                out.append((f"{name}#panel={panel.get('id')},ref={target.get('refId')}", expr))
    return out


def main():
    found = []
    if only in ("all", "rules"):
        for path in sorted(glob.glob(os.path.join(root, "rules", "*.yml")) +
                           glob.glob(os.path.join(root, "rules", "*.yaml"))):
            if re.search(r"\.test\.ya?ml$", path):
                continue
            found += rule_exprs(path, os.path.relpath(path, root))
    if only in ("all", "dashboards"):
        for path in sorted(glob.glob(os.path.join(root, "dashboards", "*.json"))):
            found += dashboard_exprs(path, os.path.relpath(path, root))
    for where, expr in found:
        line = collapse(substitute(expr)).strip()
        print(f"{where}\t{line}" if with_origin else line)


try:
    main()
except (InputError, OSError) as e:
    print(f"promql-exprs: {e}", file=sys.stderr)
    sys.exit(1)
PY
