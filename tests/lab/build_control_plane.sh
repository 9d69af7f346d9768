#!/bin/sh
# Build the lab's control plane (kube-apiserver, kube-controller-manager, kube-scheduler
# in one binary) from the k8s.io/kubernetes release pinned in controlplane/go.mod.
# The binary is cached under $K8S_LAB_CACHE (default ~/.cache/k8s-cert-wizard-lab),
# keyed by the pinned version and a hash of go.mod + go.sum + main.go, so it is rebuilt only
# when the pin changes (`--path` prints where it goes without building). Prints the binary's path. Exits 0 without building when Go is
# missing (the lab tests then skip with the reason).
set -eu
here=$(cd "$(dirname "$0")/controlplane" && pwd)
if ! command -v go >/dev/null 2>&1; then
    echo "build_control_plane: go not found; lab tests will skip" >&2
    exit 0
fi
version=$(awk '{ if ($1 == "require") $1 = ""; $0 = $0 } $1 == "k8s.io/kubernetes" {print $2; exit}' "$here/go.mod")
[ -n "$version" ] || { echo "build_control_plane: no k8s.io/kubernetes pin in $here/go.mod" >&2; exit 1; }
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
cache=${K8S_LAB_CACHE:-$HOME/.cache/k8s-cert-wizard-lab}/$version-$key
bin=$cache/controlplane
if [ "${1:-}" = "--path" ]; then
    echo "$bin"  # where the binary is (or would be); nothing is built
    exit 0
fi
if [ ! -x "$bin" ]; then
    mkdir -p "$cache"
    echo "build_control_plane: building $version into $cache (takes a while cold)" >&2
    start=$(date +%s)
    (cd "$here" && nice -n 19 go build -trimpath -ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$(echo "$version" | cut -d. -f1 | tr -d v) -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)" -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
    echo "build_control_plane: built in $(( $(date +%s) - start ))s" >&2
fi
for name in kube-apiserver kube-controller-manager kube-scheduler; do
    ln -sf controlplane "$cache/$name"
done
echo "$bin"
