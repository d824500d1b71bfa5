package s2s

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// testCA issues certificates for test domains.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert, key, pool}
}

func (ca *testCA) leaf(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// fakeRouter records routed and bounced stanzas.
type fakeRouter struct {
	mu      sync.Mutex
	routed  []*stanza.Element
	bounced []string // conditions
	changed chan struct{}
}

func newFakeRouter() *fakeRouter { return &fakeRouter{changed: make(chan struct{}, 100)} }

func (r *fakeRouter) Route(_ context.Context, st *stanza.Element) {
	r.mu.Lock()
	r.routed = append(r.routed, st)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *fakeRouter) Bounce(_ context.Context, st *stanza.Element, e stanza.Error) {
	r.mu.Lock()
	r.bounced = append(r.bounced, e.Condition)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *fakeRouter) wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		done := ok()
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s (routed %d, bounced %v)", what, len(r.routed), r.bounced)
		}
	}
}

type peerMap map[string]Peer

func (p peerMap) Peer(d string) (Peer, bool) { v, ok := p[d]; return v, ok }

// box is one Manager listening on loopback.
type box struct {
	domain string
	m      *Manager
	router *fakeRouter
	addr   string
	peers  peerMap
}

func newBox(t *testing.T, domain string, cert tls.Certificate, roots *x509.CertPool, policy Policy) *box {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &box{domain: domain, router: newFakeRouter(), addr: ln.Addr().String(), peers: peerMap{}}
	b.m, err = New(Config{
		Domains:    []string{domain},
		TLS:        &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Roots:      roots,
		Peers:      b.peers,
		Policy:     policy,
		Federation: PeersOnly,
		Router:     b.router,
		Logger:     slog.New(slog.DiscardHandler),
		Limits:     Limits{ConnectTimeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.m.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

func peerWith(a, b *box) {
	a.peers[b.domain] = Peer{Domain: b.domain, Addr: b.addr}
	b.peers[a.domain] = Peer{Domain: a.domain, Addr: a.addr}
}

func message(from, to, body string) *stanza.Element {
	return stanza.New(stanza.NSClient, "message", "from", from, "to", to, "type", "chat", "id", body).
		Append(stanza.New(stanza.NSClient, "body").AppendText(body))
}

func send(a *box, st *stanza.Element) {
	to, _ := jid.Parse(st.Get("to"))
	a.m.Route(context.Background(), st, to)
}

func TestLink(t *testing.T) {
	caA, caB, stranger := newTestCA(t), newTestCA(t), newTestCA(t)
	both := x509.NewCertPool()
	both.AddCert(caA.cert)
	both.AddCert(caB.cert)
	goodA := func() tls.Certificate { return caA.leaf(t, "a.test") }
	goodB := func() tls.Certificate { return caB.leaf(t, "b.test") }
	tests := []struct {
		name       string
		certA      func() tls.Certificate
		certB      func() tls.Certificate
		policy     Policy
		wantAuth   string // on A's outgoing link; "" means the stanza bounces
		wantBounce string
	}{
		{"certificates both ways", goodA, goodB, RequireValidCert, "sasl-external+bidi", ""},
		{"untrusted certificate refused", goodA, func() tls.Certificate { return stranger.leaf(t, "b.test") }, RequireValidCert, "", stanza.RemoteServerNotFound},
		{"wrong name refused", goodA, func() tls.Certificate { return caB.leaf(t, "other.test") }, RequireValidCert, "", stanza.RemoteServerNotFound},
		// b cannot verify a's certificate, so it offers no EXTERNAL; dialback through a's
		// listener proves a.
		{"dialback when allowed", func() tls.Certificate { return stranger.leaf(t, "a.test") }, goodB, DialbackOK, "dialback+bidi", ""},
		{"no dialback without a valid certificate", func() tls.Certificate { return stranger.leaf(t, "a.test") }, goodB, RequireValidCert, "", stanza.RemoteServerNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newBox(t, "a.test", tt.certA(), both, tt.policy)
			b := newBox(t, "b.test", tt.certB(), both, tt.policy)
			peerWith(a, b)
			send(a, message("alice@a.test/phone", "bob@b.test", "hello"))
			if tt.wantAuth == "" {
				a.router.wait(t, "a bounce", func() bool { return len(a.router.bounced) == 1 })
				if a.router.bounced[0] != tt.wantBounce {
					t.Errorf("bounced with %s, want %s", a.router.bounced[0], tt.wantBounce)
				}
				return
			}
			b.router.wait(t, "the message at b", func() bool { return len(b.router.routed) == 1 })
			got := b.router.routed[0]
			if got.Get("from") != "alice@a.test/phone" || got.Child(stanza.NSClient, "body").Text() != "hello" {
				t.Errorf("routed %s", got)
			}
			links := a.m.Links()
			if len(links) != 1 || links[0].Auth != tt.wantAuth || links[0].Remote != "b.test" || links[0].TLSVersion != "TLS 1.3" {
				t.Errorf("a's links = %+v, want one to b.test by %s", links, tt.wantAuth)
			}
			// And back, on the same connection (XEP-0288): b opens no link of its own.
			send(b, message("bob@b.test", "alice@a.test", "hi back"))
			a.router.wait(t, "the answer at a", func() bool { return len(a.router.routed) == 1 })
			if l := b.m.Links(); len(l) != 1 || !l[0].Incoming || !strings.HasSuffix(l[0].Auth, "+bidi") {
				t.Errorf("b's links = %+v, want only the incoming bidirectional one", l)
			}
		})
	}
}

func TestFederationPolicy(t *testing.T) {
	ca := newTestCA(t)
	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	send(a, message("alice@a.test", "bob@unknown.test", "x"))
	a.router.wait(t, "a bounce", func() bool { return len(a.router.bounced) == 1 })
	if a.router.bounced[0] != stanza.RemoteServerNotFound {
		t.Errorf("not a peer: bounced with %s", a.router.bounced[0])
	}
}

func TestUnreachablePeerBounces(t *testing.T) {
	ca := newTestCA(t)
	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	a.peers["down.test"] = Peer{Domain: "down.test", Addr: dead}
	for i := range 3 {
		send(a, message("alice@a.test", "bob@down.test", strings.Repeat("x", i+1)))
	}
	a.router.wait(t, "three bounces", func() bool { return len(a.router.bounced) == 3 })
	for _, c := range a.router.bounced {
		if c != stanza.RemoteServerNotFound {
			t.Errorf("bounced with %s, want remote-server-not-found", c)
		}
	}
	if l := a.m.Links(); len(l) != 1 || l[0].LastError == "" {
		t.Errorf("links = %+v, want the failure recorded", l)
	}
}

func TestInboundChecks(t *testing.T) {
	// A stanza whose from is not the authenticated domain ends the stream.
	ca := newTestCA(t)
	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	b := newBox(t, "b.test", ca.leaf(t, "b.test"), ca.pool, RequireValidCert)
	peerWith(a, b)
	b.peers["c.test"] = Peer{Domain: "c.test", Addr: a.addr}
	send(a, message("alice@a.test", "bob@b.test", "first"))
	b.router.wait(t, "first", func() bool { return len(b.router.routed) == 1 })
	// a's link is authenticated for a.test only; a stanza from c.test on it must not pass.
	a.m.mu.Lock()
	var l *outLink
	for _, v := range a.m.out {
		l = v
	}
	a.m.mu.Unlock()
	if l == nil {
		t.Fatal("no link")
	}
	l.st.send(message("mallory@c.test", "bob@b.test", "forged"))
	time.Sleep(200 * time.Millisecond)
	b.router.mu.Lock()
	defer b.router.mu.Unlock()
	for _, st := range b.router.routed {
		if st.Get("id") == "forged" {
			t.Error("a stanza from an unauthenticated domain was routed")
		}
	}
}

func TestPeerCoversSubdomains(t *testing.T) {
	m := &Manager{cfg: Config{Peers: peerMap{"example.org": {Domain: "example.org", Addr: "127.0.0.1:1"}}}}
	tests := []struct {
		domain string
		want   bool
	}{
		{"example.org", true},
		{"conference.example.org", true},
		{"a.b.example.org", true},
		{"org", false},
		{"example.com", false},
		{"notexample.org", false},
	}
	for _, tt := range tests {
		p, ok := m.lookupPeer(tt.domain)
		if ok != tt.want || (ok && (p.Domain != tt.domain || p.Addr != "127.0.0.1:1")) {
			t.Errorf("lookupPeer(%q) = %+v, %v; want found %v", tt.domain, p, ok, tt.want)
		}
	}
}

// srvResolver answers SRV lookups from a table: "service domain" -> records.
type srvResolver map[string][]*net.SRV

func (r srvResolver) LookupSRV(_ context.Context, service, _, name string) (string, []*net.SRV, error) {
	if recs, ok := r[service+" "+name]; ok {
		return "", recs, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// TestDirectTLSViaSRV: a's only way to b is the _xmpps-server SRV record pointing at b's
// direct-TLS listener (XEP-0368).
func TestDirectTLSViaSRV(t *testing.T) {
	ca := newTestCA(t)
	b := newBox(t, "b.test", ca.leaf(t, "b.test"), ca.pool, RequireValidCert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.m.ServeDirectTLS(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	port := uint16(ln.Addr().(*net.TCPAddr).Port)

	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	a.m.res = srvResolver{"xmpps-server b.test": {{Target: "127.0.0.1", Port: port}}}
	a.peers["b.test"] = Peer{Domain: "b.test"} // no address: DNS says where
	b.peers["a.test"] = Peer{Domain: "a.test", Addr: a.addr}

	send(a, message("alice@a.test", "bob@b.test", "direct"))
	b.router.wait(t, "the message over direct TLS", func() bool { return len(b.router.routed) == 1 })
}

func TestTargets(t *testing.T) {
	r := srvResolver{
		"xmpps-server d.test":   {{Target: "tls.d.test", Port: 5270, Priority: 10}},
		"xmpp-server d.test":    {{Target: "plain.d.test", Port: 5269, Priority: 5}, {Target: "tls2.d.test", Port: 5269, Priority: 10}},
		"xmpp-server none.test": {{Target: ".", Port: 0}},
	}
	tests := []struct {
		domain string
		peer   Peer
		pinned bool
		want   []target
		err    bool
	}{
		{"d.test", Peer{}, false, []target{{"plain.d.test:5269", false}, {"tls.d.test:5270", true}, {"tls2.d.test:5269", false}}, false},
		{"d.test", Peer{Addr: "10.0.0.1:5269"}, true, []target{{"10.0.0.1:5269", false}}, false},
		{"nosrv.test", Peer{}, false, []target{{"nosrv.test:5269", false}}, false},
		{"none.test", Peer{}, false, nil, true},
	}
	for _, tt := range tests {
		got, err := targets(context.Background(), r, tt.domain, tt.peer, tt.pinned)
		if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("targets(%s) = %v, %v; want %v", tt.domain, got, err, tt.want)
		}
	}
}

func TestUnlink(t *testing.T) {
	ca := newTestCA(t)
	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	b := newBox(t, "b.test", ca.leaf(t, "b.test"), ca.pool, RequireValidCert)
	peerWith(a, b)
	send(a, message("alice@a.test", "bob@b.test", "one"))
	b.router.wait(t, "the first message", func() bool { return len(b.router.routed) == 1 })
	if n := a.m.Unlink("b.test"); n != 1 {
		t.Errorf("Unlink closed %d links, want 1", n)
	}
	if n := a.m.Unlink("c.test"); n != 0 {
		t.Errorf("Unlink of an unknown domain closed %d links", n)
	}
	// The next stanza makes a new link.
	deadline := time.Now().Add(5 * time.Second)
	for len(a.m.Links()) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	send(a, message("alice@a.test", "bob@b.test", "two"))
	b.router.wait(t, "the second message", func() bool { return len(b.router.routed) == 2 })
}

func TestIncomingLimitPerIP(t *testing.T) {
	ca := newTestCA(t)
	b := newBox(t, "b.test", ca.leaf(t, "b.test"), ca.pool, RequireValidCert)
	b.m.mu.Lock() // admit reads the limit under mu
	b.m.cfg.Limits.MaxConnectionsPerIP = 2
	b.m.mu.Unlock()
	for range 2 {
		c, err := net.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	// The third from the same address is closed at once, before any byte.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		if errors.Is(err, io.EOF) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("third connection not refused: %v", err)
		}
	}
}

// TestStalledPeerTimesOut: a peer that accepts the connection and then says nothing makes
// the link time out, and the queued stanzas bounce with remote-server-timeout.
func TestStalledPeerTimesOut(t *testing.T) {
	ca := newTestCA(t)
	a := newBox(t, "a.test", ca.leaf(t, "a.test"), ca.pool, RequireValidCert)
	a.m.mu.Lock()
	a.m.cfg.Limits.ConnectTimeout = 300 * time.Millisecond
	a.m.mu.Unlock()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	a.peers["mute.test"] = Peer{Domain: "mute.test", Addr: ln.Addr().String()}
	send(a, message("alice@a.test", "bob@mute.test", "hello?"))
	a.router.wait(t, "the bounce", func() bool { return len(a.router.bounced) == 1 })
	if c := a.router.bounced[0]; c != stanza.RemoteServerTimeout {
		t.Errorf("bounced with %s, want remote-server-timeout", c)
	}
}
