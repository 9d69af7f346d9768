#!/bin/sh
# Build one of the lab's small Go programs: build_go_binary.sh FOLDER NAME [PINNED_MODULE].
# FOLDER (beside this script) holds go.mod, go.sum and main.go; the binary NAME is cached under
# $K8S_LAB_CACHE (default ~/.cache/k8s-cert-wizard-lab)/NAME[-<pin>]-<hash of those three files>/,
# the pin being PINNED_MODULE's version in go.mod. A last argument `--path` prints where it goes
# without building. Prints the binary's path. Exits 0 without building when Go is missing (the
# lab tests then skip with the reason).
set -eu
folder=$1 name=$2
shift 2
module=""
if [ $# -gt 0 ] && [ "$1" != "--path" ]; then module=$1; shift; fi
here=$(cd "$(dirname "$0")/$folder" && pwd)
tag=$name
if [ -n "$module" ]; then
    version=$(awk -v m="$module" '{ if ($1 == "require") $1 = ""; $0 = $0 } $1 == m {print $2; exit}' "$here/go.mod")
    [ -n "$version" ] || { echo "build $name: no $module pin in $here/go.mod" >&2; exit 1; }
    tag=$name-$version
fi
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
bin=${K8S_LAB_CACHE:-$HOME/.cache/k8s-cert-wizard-lab}/$tag-$key/$name
if [ "${1:-}" = "--path" ]; then
    echo "$bin"
    exit 0
fi
if ! command -v go >/dev/null 2>&1; then
    echo "build $name: go not found; lab tests will skip" >&2
    exit 0
fi
if [ ! -x "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    echo "build $name: building into $(dirname "$bin")" >&2
    (cd "$here" && nice -n 19 go build -trimpath -ldflags="-s -w" -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
fi
echo "$bin"
