#!/usr/bin/env bash
# Pushes a tiny image (one config blob, one layer) to a registry over the distribution HTTP API,
# using curl only. Every tag gets distinct content, so every tag has its own digest.
#   scripts/registry-push.sh http://127.0.0.1:5000 demo/app v1.2.3
set -euo pipefail
base=$1 repo=$2 tag=$3

push_blob() {
  local data=$1 digest loc sep
  digest="sha256:$(printf '%s' "$data" | sha256sum | cut -d' ' -f1)"
  loc=$(curl -fsS -X POST -D - -o /dev/null "$base/v2/$repo/blobs/uploads/" |
        awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  sep='?'; case "$loc" in *\?*) sep='&' ;; esac
  printf '%s' "$data" | curl -fsS -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary @- "$loc${sep}digest=$digest" -o /dev/null
  echo "$digest"
}

created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"$created\",\"config\":{\"Labels\":{\"tag\":\"$tag\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
layer="layer of $repo:$tag $created $RANDOM"
config_digest=$(push_blob "$config")
layer_digest=$(push_blob "$layer")
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":${#config},\"digest\":\"$config_digest\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":${#layer},\"digest\":\"$layer_digest\"}]}"
printf '%s' "$manifest" | curl -fsS -X PUT \
  -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
  --data-binary @- -D - -o /dev/null "$base/v2/$repo/manifests/$tag" |
  awk 'tolower($1)=="docker-content-digest:" {print $2}' | tr -d '\r'
