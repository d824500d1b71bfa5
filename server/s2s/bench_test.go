package s2s

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// countingRouter counts what arrives and signals when want stanzas did.
type countingRouter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (r *countingRouter) Route(context.Context, *stanza.Element) {
	if r.n.Add(1) == r.want {
		close(r.done)
	}
}
func (r *countingRouter) Bounce(context.Context, *stanza.Element, stanza.Error) {}

// BenchmarkLink measures messages over one authenticated link between two Managers on
// loopback: encoding, TLS, parsing and the checks of the receiving side.
func BenchmarkLink(b *testing.B) {
	ca := newTestCA(b)
	routerB := &countingRouter{want: int64(b.N), done: make(chan struct{})}
	start := func(domain string, r Router, peers peerMap) (*Manager, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		m, err := New(Config{Domains: []string{domain},
			TLS:   &tls.Config{Certificates: []tls.Certificate{ca.leaf(b, domain)}, MinVersion: tls.VersionTLS12},
			Roots: ca.pool, Peers: peers, Policy: RequireValidCert, Federation: PeersOnly, Router: r,
			Logger: slog.New(slog.DiscardHandler), Limits: Limits{MaxQueue: 1 << 20}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go m.Serve(ctx, ln)
		b.Cleanup(cancel)
		return m, ln.Addr().String()
	}
	peersA, peersB := peerMap{}, peerMap{}
	ma, addrA := start("a.test", &countingRouter{done: make(chan struct{})}, peersA)
	_, addrB := start("b.test", routerB, peersB)
	peersA["b.test"] = Peer{Domain: "b.test", Addr: addrB}
	peersB["a.test"] = Peer{Domain: "a.test", Addr: addrA}
	to, _ := jid.Parse("bob@b.test")
	msg := message("alice@a.test/phone", "bob@b.test", "a message of a usual size, about the length of a chat line")
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	for range b.N {
		ma.Route(context.Background(), msg, to)
	}
	select {
	case <-routerB.done:
	case <-time.After(time.Minute):
		b.Fatalf("%d of %d messages arrived", routerB.n.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msgs/s")
}
