#!/bin/sh
# Build the lab's etcd member (etcdserver/: etcd's own main at the go.etcd.io/etcd/server/v3
# release pinned in etcdserver/go.mod, the one the lab's Kubernetes is tested with). Cached under
# $K8S_LAB_CACHE (default ~/.cache/k8s-cert-wizard-lab), keyed by the pin and a hash of
# go.mod + go.sum + main.go; `--path` prints where it goes without building. Prints the binary's
# path. Exits 0 without building when Go is missing (the lab tests then skip with the reason).
set -eu
here=$(cd "$(dirname "$0")/etcdserver" && pwd)
version=$(awk '{ if ($1 == "require") $1 = ""; $0 = $0 } $1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$here/go.mod")
[ -n "$version" ] || { echo "build_etcd: no go.etcd.io/etcd/server/v3 pin in $here/go.mod" >&2; exit 1; }
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
bin=${K8S_LAB_CACHE:-$HOME/.cache/k8s-cert-wizard-lab}/etcd-$version-$key/etcd
if [ "${1:-}" = "--path" ]; then
    echo "$bin"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "build_etcd: go not found; lab tests will skip" >&2
    exit 0
fi
if [ ! -x "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    echo "build_etcd: building etcd $version into $(dirname "$bin")" >&2
    (cd "$here" && nice -n 19 go build -trimpath -ldflags="-s -w" -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
fi
echo "$bin"
