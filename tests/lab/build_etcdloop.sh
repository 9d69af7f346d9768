#!/bin/sh
# Build the lab's etcd client loop (etcdloop/: one long-lived clientv3 client, the version
# kube-apiserver uses); cached. `--path` prints where it goes without building.
exec "$(dirname "$0")/build_go_binary.sh" etcdloop etcdloop "$@"
