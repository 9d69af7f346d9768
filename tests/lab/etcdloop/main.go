// etcdloop is the lab's etcd client loop: one long-lived clientv3 client over every member
// (its balancer, as kube-apiserver holds one), a Put every --every with a --timeout deadline,
// one line per request on stdout:
//
//	<unix ms> <n> ok <latency ms>
//	<unix ms> <n> error <latency ms> <error text>
//
// The CA file and the client certificate/key are read again whenever they change, the way a
// client given a trust bundle that is rewritten keeps working through a CA rotation: new
// connections verify against the file's current CAs and present the current certificate.
// A line "<unix ms> - reload <what>" says when a file change was taken. SIGTERM ends the loop.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// files holds the CA pool and client key pair, reloaded when their bytes change.
type files struct {
	ca, cert, key string

	mu       sync.Mutex
	caData   []byte
	pool     *x509.CertPool
	pairData []byte
	pair     *tls.Certificate
}

func say(format string, args ...any) {
	fmt.Printf("%d %s\n", time.Now().UnixMilli(), fmt.Sprintf(format, args...))
}

// refresh reads the files; a half-written or unparsable file keeps what was loaded before.
func (f *files) refresh() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if data, err := os.ReadFile(f.ca); err == nil && !bytes.Equal(data, f.caData) {
		pool := x509.NewCertPool()
		if pool.AppendCertsFromPEM(data) {
			f.caData, f.pool = data, pool
			say("- reload ca %s (%d certificates)", f.ca, bytes.Count(data, []byte("BEGIN CERTIFICATE")))
		}
	}
	cert, errCert := os.ReadFile(f.cert)
	key, errKey := os.ReadFile(f.key)
	if errCert == nil && errKey == nil {
		joined := append(append([]byte{}, cert...), key...)
		if !bytes.Equal(joined, f.pairData) {
			if pair, err := tls.X509KeyPair(cert, key); err == nil {
				f.pairData, f.pair = joined, &pair
				say("- reload cert %s", f.cert)
			}
		}
	}
}

func (f *files) current() (*x509.CertPool, *tls.Certificate) {
	f.refresh()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pool, f.pair
}

// reloading is gRPC TLS whose configuration is made afresh for each connection: the roots and
// the client certificate are the files' contents at that handshake, verified the standard way
// (server name from the endpoint, as grpc's TLS does).
type reloading struct {
	credentials.TransportCredentials
	f *files
}

func (r reloading) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	pool, pair := r.f.current()
	config := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{*pair}}
	return credentials.NewTLS(config).ClientHandshake(ctx, authority, conn)
}

func (r reloading) Clone() credentials.TransportCredentials {
	return reloading{r.TransportCredentials.Clone(), r.f}
}

func main() {
	endpoints := flag.String("endpoints", "", "comma-separated https://host:2379 URLs")
	ca := flag.String("cacert", "", "the CA (bundle) file, reread when it changes")
	cert := flag.String("cert", "", "client certificate, reread when it changes")
	key := flag.String("key", "", "client key, reread when it changes")
	name := flag.String("key-name", "/rotate/loop", "the key written")
	every := flag.Duration("every", 100*time.Millisecond, "pause between requests")
	timeout := flag.Duration("timeout", 5*time.Second, "deadline of one request")
	flag.Parse()
	if *endpoints == "" || *ca == "" || *cert == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "etcdloop: --endpoints, --cacert, --cert and --key are required")
		os.Exit(2)
	}
	f := &files{ca: *ca, cert: *cert, key: *key}
	if pool, pair := f.current(); pool == nil || pair == nil {
		fmt.Fprintf(os.Stderr, "etcdloop: cannot load %s or %s/%s\n", *ca, *cert, *key)
		os.Exit(2)
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints: strings.Split(*endpoints, ","),
		// Over clientv3's own TLS credentials (made when Config.TLS is set): these reload.
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(reloading{credentials.NewTLS(&tls.Config{}), f})},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcdloop: %v\n", err)
		os.Exit(1)
	}
	defer client.Close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		started := time.Now()
		_, err := client.Put(ctx, *name, fmt.Sprint(n))
		cancel()
		took := time.Since(started).Milliseconds()
		if err != nil {
			say("%d error %d %s", n, took, strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			say("%d ok %d", n, took)
		}
		select {
		case <-stop:
			return
		case <-time.After(*every):
		}
	}
}
