#!/bin/sh
# Build the lab's etcd client loop (etcdloop/: one long-lived clientv3 client, the version
# kube-apiserver uses). Cached under $K8S_LAB_CACHE (default ~/.cache/k8s-cert-wizard-lab),
# keyed by a hash of go.mod + go.sum + main.go; `--path` prints where it goes without building.
# Prints the binary's path. Exits 0 without building when Go is missing (the tests then skip).
set -eu
here=$(cd "$(dirname "$0")/etcdloop" && pwd)
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
bin=${K8S_LAB_CACHE:-$HOME/.cache/k8s-cert-wizard-lab}/etcdloop-$key/etcdloop
if [ "${1:-}" = "--path" ]; then
    echo "$bin"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "build_etcdloop: go not found; the lab's etcd loop is not built" >&2
    exit 0
fi
if [ ! -x "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    echo "build_etcdloop: building into $(dirname "$bin")" >&2
    (cd "$here" && nice -n 19 go build -trimpath -ldflags="-s -w" -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
fi
echo "$bin"
