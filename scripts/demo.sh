#!/usr/bin/env bash
# The imgauto demo: a real local registry (Debian's docker-registry) with a few example tags,
# then `imgauto scan`, `imgauto policy` and `imgauto digest` choosing and pinning a tag.
set -euo pipefail
cd "$(dirname "$0")/.."
IMGAUTO=${IMGAUTO:-build/dev/cmd/imgauto}
WORK=$(mktemp -d /tmp/imgauto-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG="127.0.0.1:$PORT"

cleanup() { [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Starting a local registry (docker-registry) on $REG"
cat > "$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry}, delete: {enabled: true}}
http: {addr: $REG, secret: imgauto-demo}
YAML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 1 50); do curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && break; sleep 0.2; done

step "Pushing example tags to $REG/demo/app"
for tag in v1.0.0 v1.1.0 v1.1.1 v1.2.0-rc.1 v2.0.0-beta.1 \
           main-3f2a9c1-1700000000 main-b71e04d-1700003600 main-0c9d2e8-1699990000 \
           latest sha256-abc123.sig; do
  printf '  %-26s %s\n' "$tag" "$(scripts/registry-push.sh "http://$REG" demo/app "$tag")"
done

step "Scanning the repository (the .sig tag is excluded by default, tags stored newest-bytes first)"
run "$IMGAUTO" scan "$REG/demo/app" --insecure --state-dir "$WORK/state"
run "$IMGAUTO" scan "$REG/demo/app" --insecure --state-dir "$WORK/state" --json

step "Selecting the latest stable release with a semver policy"
cat examples/demo/semver-policy.yaml
"$IMGAUTO" scan "$REG/demo/app" --insecure --state-dir "$WORK/state" > "$WORK/tags.txt"
run "$IMGAUTO" policy --policy examples/demo/semver-policy.yaml --tags "$WORK/tags.txt"

step "Selecting the newest main-branch build by its timestamp (filterTags + extract + numerical)"
cat examples/demo/main-branch-policy.yaml
run "$IMGAUTO" policy --policy examples/demo/main-branch-policy.yaml --tags "$WORK/tags.txt"

step "Pinning the selected tag to its digest"
run "$IMGAUTO" digest "$REG/demo/app:v1.1.1" --insecure

step "Done. The registry is stopped and $WORK removed on exit."
