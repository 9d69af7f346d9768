#!/bin/sh
# Build the lab's etcd member (etcdserver/: etcd's own main at the go.etcd.io/etcd/server/v3
# release pinned in etcdserver/go.mod, the one the lab's Kubernetes is tested with); cached.
# `--path` prints where it goes without building.
exec "$(dirname "$0")/build_go_binary.sh" etcdserver etcd go.etcd.io/etcd/server/v3 "$@"
