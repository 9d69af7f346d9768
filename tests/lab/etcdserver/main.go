// etcdserver is the lab's etcd member: etcd's own main (go.etcd.io/etcd/server/v3's main.go)
// at the version pinned in go.mod, the one the lab's Kubernetes release is tested with.
//
// Debian's etcd 3.4 serves gRPC inside net/http on a TLS client port and, stopping, ends the
// gRPC server hard (grpc.Server.Stop, etcd #8916): a request in flight at that moment gets a
// bare HTTP 200 ("malformed header: missing HTTP content-type"). From 3.5 on, with
// --listen-client-http-urls set, the client URL serves gRPC alone and a stopping member drains
// it with GracefulStop (GOAWAY; in-flight RPCs finish).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
