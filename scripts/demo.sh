#!/usr/bin/env bash
# The imgauto demo: a real local registry (Debian's docker-registry) with a few example tags,
# then `imgauto scan`, `imgauto policy` and `imgauto digest` choosing and pinning a tag, then the
# whole loop in standalone mode: a local git server (lighttpd + git http-backend) holding a
# docker-compose repo, `imgauto run --once` committing the update, a new tag, another commit.
set -euo pipefail
cd "$(dirname "$0")/.."
IMGAUTO=${IMGAUTO:-build/dev/cmd/imgauto}
WORK=$(mktemp -d /tmp/imgauto-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG="127.0.0.1:$PORT"
HOOK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOOK_TOKEN=demo-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Flux's receiver path: sha256(token + Receiver name + namespace).
HOOK_PATH=/hook/$(printf '%s' "${HOOK_TOKEN}registryflux-system" | sha256sum | cut -d' ' -f1)

cleanup() {
  [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null
  [ -n "${GIT_PID:-}" ] && kill "$GIT_PID" 2>/dev/null
  [ -n "${RUN_PID:-}" ] && kill "$RUN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Starting a local registry (docker-registry) on $REG"
cat > "$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry}, delete: {enabled: true}}
http: {addr: $REG, secret: imgauto-demo}
# Push notifications for imgauto's webhook receiver (used at the end of the demo; until imgauto
# listens the registry keeps them queued and retries).
notifications:
  endpoints:
    - name: imgauto
      url: http://127.0.0.1:$HOOK_PORT$HOOK_PATH
      timeout: 2s
      threshold: 3
      backoff: 1s
      ignore: {actions: [pull]}
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

step "Starting a local git server (lighttpd + git http-backend) with a docker-compose repo"
GPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/git" "$WORK/seed" "$WORK/manifests"
git init -q --bare -b main "$WORK/git/fleet.git"
git -C "$WORK/git/fleet.git" config http.receivepack true
cat > "$WORK/seed/docker-compose.yml" <<YAML
services:
  app:
    image: $REG/demo/app:v1.0.0 # {"\$imagepolicy": "flux-system:app"}
    restart: unless-stopped
    ports: ["8080:8080"]
YAML
git -C "$WORK/seed" init -q -b main
git -C "$WORK/seed" add -A
git -C "$WORK/seed" -c user.name=demo -c user.email=demo@example.com commit -q -m "app on v1.0.0"
git -C "$WORK/seed" push -q "$WORK/git/fleet.git" main
cat > "$WORK/lighttpd.conf" <<CONF
server.document-root = "$WORK/git"
server.bind = "127.0.0.1"
server.port = $GPORT
server.errorlog = "$WORK/lighttpd.log"
server.modules = ("mod_alias", "mod_setenv", "mod_cgi")
alias.url = ("/git" => "/usr/lib/git-core/git-http-backend")
\$HTTP["url"] =~ "^/git" {
  cgi.assign = ("" => "")
  setenv.set-environment = ("GIT_PROJECT_ROOT" => "$WORK/git", "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
lighttpd -D -f "$WORK/lighttpd.conf" &
GIT_PID=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$GPORT/git/fleet.git/info/refs?service=git-upload-pack" >/dev/null 2>&1 && break; sleep 0.2; done
echo "  http://127.0.0.1:$GPORT/git/fleet.git"

step "The manifests imgauto runs from (the same YAML a Flux cluster would hold)"
cat > "$WORK/manifests/image.yaml" <<YAML
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec:
  image: $REG/demo/app
  interval: 1m
  insecure: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy:
    semver: {range: ">=1.0.0"}
YAML
cat > "$WORK/manifests/automation.yaml" <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: flux-system}
spec:
  interval: 1m
  url: http://127.0.0.1:$GPORT/git/fleet.git
  ref: {branch: main}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: flux-system}
spec:
  interval: 1m
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit:
      author: {name: imgauto, email: imgauto@example.com}
      messageTemplate: |-
        Update images
        {{ range .Changed.Changes }}
        - {{ .OldValue }} -> {{ .NewValue }}{{ end }}
    push: {branch: main}
  update: {path: ./, strategy: Setters}
YAML
cat "$WORK/manifests/image.yaml" "$WORK/manifests/automation.yaml"

step "imgauto run --once: scan, select, update docker-compose.yml, commit, push"
run "$IMGAUTO" run --manifests "$WORK/manifests" --state-dir "$WORK/run-state" --once
run git -C "$WORK/git/fleet.git" log -1 --stat --format='%h %an%n%n%B' main
run git -C "$WORK/git/fleet.git" show main:docker-compose.yml

step "A new release is pushed to the registry"
printf '  %-26s %s\n' v1.3.0 "$(scripts/registry-push.sh "http://$REG" demo/app v1.3.0)"

step "imgauto run --once again: the new tag becomes a new commit"
run "$IMGAUTO" run --manifests "$WORK/manifests" --state-dir "$WORK/run-state" --once
run git -C "$WORK/git/fleet.git" log --oneline main
run git -C "$WORK/git/fleet.git" show main:docker-compose.yml
echo
echo "Status files (what 'kubectl get -o yaml' would show):"
run cat "$WORK/run-state/status/imageupdateautomation/flux-system/fleet.yaml"

step "Long-running mode with a registry webhook: a push reaches git without waiting for the poll"
cat > "$WORK/manifests/receiver.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: webhook-token, namespace: flux-system}
stringData: {token: $HOOK_TOKEN}
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: registry, namespace: flux-system}
spec:
  type: distribution
  secretRef: {name: webhook-token}
  resources:
    - {kind: ImageRepository, name: app}
YAML
sed -i 's/interval: 1m/interval: 1h/' "$WORK/manifests/image.yaml"
cat "$WORK/manifests/receiver.yaml"
echo "(the ImageRepository now scans hourly; the registry notifies 127.0.0.1:$HOOK_PORT$HOOK_PATH)"
"$IMGAUTO" run --manifests "$WORK/manifests" --state-dir "$WORK/run-state" \
  --webhook-addr "127.0.0.1:$HOOK_PORT" --metrics-addr "127.0.0.1:$METRICS_PORT" \
  --health-addr "" --log-level error &
RUN_PID=$!
# Ready once the receiver answers (an unknown path is a 404) and the backlog of earlier
# notifications drained.
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$HOOK_PORT/hook/x")" = 404 ] && break
  sleep 0.1
done
sleep 3
before=$(git -C "$WORK/git/fleet.git" rev-parse main)
start=$(date +%s.%N)
printf '  %-26s %s\n' v1.4.0 "$(scripts/registry-push.sh "http://$REG" demo/app v1.4.0)"
for _ in $(seq 1 200); do
  [ "$(git -C "$WORK/git/fleet.git" rev-parse main)" != "$before" ] && break
  sleep 0.05
done
end=$(date +%s.%N)
printf 'registry push -> commit pushed to git: %.2f s\n' "$(python3 -c "print($end - $start)")"
run git -C "$WORK/git/fleet.git" log --oneline -3 main
echo "Delivery metrics on /metrics (lead time by source, webhook events):"
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
  grep -E '^(imgauto_lead_time_seconds_count|imgauto_webhook_events_total|imgauto_git_pushes_total|imgauto_image_policy_info)' || true
kill "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null || true; RUN_PID=

step "Done. The registry and git server are stopped and $WORK removed on exit."
