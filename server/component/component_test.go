package component_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/component"
	"xmppbox/server/component/componenttest"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// Every wait in these tests is bounded by this; it is never asserted as a timing.
const wait = 10 * time.Second

const (
	gwDomain = "gw.example.test"
	gwSecret = "gw-secret-0123456789"
)

// fixture is a router for modtest.Domain with the component listener registered and
// serving on a loopback port, a configured component gw.example.test, and a local
// service svc.example.test that records what reaches it.
type fixture struct {
	*modtest.Fixture
	srv     *component.Server
	secrets *componenttest.MemSecrets
	addr    string
	svc     chan *stanza.Element
	cancel  context.CancelFunc
	done    chan error
}

func newFixture(t *testing.T, lim component.Limits) *fixture {
	t.Helper()
	f := &fixture{secrets: componenttest.NewMemSecrets(), svc: make(chan *stanza.Element, 16), done: make(chan error, 1)}
	if err := f.secrets.AddComponent(t.Context(), gwDomain, gwSecret); err != nil {
		t.Fatal(err)
	}
	f.Fixture = modtest.New(t, []string{"alice"}, func(r *router.Router) {
		f.srv = component.NewServer(component.Config{
			Domain:  jid.MustParse(modtest.Domain),
			Secrets: f.secrets,
			Router:  r,
			Logger:  slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Limits:  lim,
		})
		f.srv.Register(r)
		r.RegisterService("svc.example.test", "Service", func(_ context.Context, st *stanza.Element, _, _ jid.JID) {
			f.svc <- st.Copy()
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.done <- f.srv.Serve(ctx, ln) }()
	t.Cleanup(func() { f.stop(t) })
	return f
}

// stop cancels Serve and checks that it returns nil; later calls do nothing.
func (f *fixture) stop(t *testing.T) {
	t.Helper()
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.cancel = nil
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(wait):
		t.Error("Serve did not return after cancel")
	}
}

// testWriter sends the server's log to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// peer is the component's side of a connection: raw XML out, parsed elements in.
type peer struct {
	t  *testing.T
	nc net.Conn
	r  *xmlstream.Reader
	id string // the stream id from the server's header
}

// open connects and sends a stream header in namespace ns to 'to' (none if empty). It
// reads the server's header and returns the peer; a stream error instead of a header is
// left for the caller to read.
func (f *fixture) open(t *testing.T, ns, to string) *peer {
	t.Helper()
	nc, err := net.DialTimeout("tcp", f.addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(wait))
	p := &peer{t: t, nc: nc, r: xmlstream.NewReader(nc, xmlstream.Limits{MaxStanzaBytes: 1 << 20})}
	hdr := "<stream:stream xmlns='" + ns + "' xmlns:stream='http://etherx.jabber.org/streams'"
	if to != "" {
		hdr += " to='" + to + "'"
	}
	p.write(hdr + ">")
	h, err := p.r.Header()
	if err != nil {
		t.Fatalf("server stream header: %v", err)
	}
	if h.NS != component.NS || h.ID == "" || h.Version != "" {
		t.Fatalf("server stream header %+v: want xmlns %s, an id and no version", h, component.NS)
	}
	p.id = h.ID
	return p
}

// connect opens a stream for domain and completes the handshake with secret.
func (f *fixture) connect(t *testing.T, domain, secret string) *peer {
	t.Helper()
	p := f.open(t, component.NS, domain)
	p.handshake(secret)
	if el := p.next(); el.Name.Local != "handshake" || len(el.Children) != 0 {
		t.Fatalf("after the handshake got %s, want an empty <handshake/>", el)
	}
	return p
}

func (p *peer) handshake(secret string) {
	sum := sha1.Sum([]byte(p.id + secret))
	p.write("<handshake>" + hex.EncodeToString(sum[:]) + "</handshake>")
}

func (p *peer) write(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.nc, s); err != nil {
		p.t.Fatalf("write %s: %v", s, err)
	}
}

// next returns the next element the server sent, failing the test at the end of the stream.
func (p *peer) next() *stanza.Element {
	p.t.Helper()
	el, err := p.r.Next()
	if err != nil {
		p.t.Fatalf("reading from the server: %v", err)
	}
	return el
}

// streamError reads up to the server's stream error and the end of its stream, and
// returns the error's condition.
func (p *peer) streamError() string {
	p.t.Helper()
	for {
		el, err := p.r.Next()
		if err != nil {
			p.t.Fatalf("no stream error before %v", err)
		}
		if el.Name.Space != stanza.NSStream || el.Name.Local != "error" {
			continue
		}
		condition := ""
		for _, c := range el.ChildElements() {
			if c.Name.Space == stanza.NSStreams && c.Name.Local != "text" {
				condition = c.Name.Local
			}
		}
		if _, err := p.r.Next(); !errors.Is(err, io.EOF) {
			p.t.Errorf("after the stream error: %v, want the end of the stream", err)
		}
		return condition
	}
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		name      string
		ns, to    string
		secret    string // "" sends no handshake but a message
		wantError string // stream error condition; "" for success
	}{
		{name: "good secret", ns: component.NS, to: gwDomain, secret: gwSecret},
		{name: "domain normalised", ns: component.NS, to: "GW.Example.Test", secret: gwSecret},
		{name: "bad secret", ns: component.NS, to: gwDomain, secret: gwSecret + "x", wantError: stanza.StreamNotAuthorized},
		{name: "unknown domain", ns: component.NS, to: "other.example.test", secret: gwSecret, wantError: stanza.StreamNotAuthorized},
		{name: "stanza before handshake", ns: component.NS, to: gwDomain, wantError: stanza.StreamNotAuthorized},
		{name: "no to", ns: component.NS, secret: gwSecret, wantError: stanza.ImproperAddressing},
		{name: "user JID as to", ns: component.NS, to: "bot@" + gwDomain, secret: gwSecret, wantError: stanza.HostUnknown},
		{name: "client namespace", ns: stanza.NSClient, to: gwDomain, secret: gwSecret, wantError: stanza.InvalidNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, component.Limits{})
			p := f.open(t, tt.ns, tt.to)
			if tt.secret == "" {
				p.write("<message to='alice@example.test' from='" + gwDomain + "'/>")
			} else {
				p.handshake(tt.secret)
			}
			if tt.wantError != "" {
				if got := p.streamError(); got != tt.wantError {
					t.Errorf("stream error %q, want %q", got, tt.wantError)
				}
				if f.srv.IsConnected(gwDomain) {
					t.Error("the refused component counts as connected")
				}
				return
			}
			if el := p.next(); el.Name != (xml.Name{Space: component.NS, Local: "handshake"}) || len(el.Children) != 0 {
				t.Fatalf("got %s, want an empty <handshake/>", el)
			}
			if !f.srv.IsConnected(gwDomain) {
				t.Error("IsConnected = false after a good handshake")
			}
		})
	}
}

func TestHandshakeDigestUpperCase(t *testing.T) {
	f := newFixture(t, component.Limits{})
	p := f.open(t, component.NS, gwDomain)
	sum := sha1.Sum([]byte(p.id + gwSecret))
	p.write("<handshake> " + strings.ToUpper(hex.EncodeToString(sum[:])) + "\n</handshake>")
	if el := p.next(); el.Name.Local != "handshake" {
		t.Fatalf("got %s, want <handshake/>", el)
	}
}

func TestStreamIDsDiffer(t *testing.T) {
	f := newFixture(t, component.Limits{})
	a, b := f.open(t, component.NS, gwDomain), f.open(t, component.NS, gwDomain)
	if a.id == b.id || len(a.id) < 32 {
		t.Errorf("stream ids %q and %q: want distinct ids of 128 bits", a.id, b.id)
	}
}

func TestSecondConnectionConflicts(t *testing.T) {
	f := newFixture(t, component.Limits{})
	first := f.connect(t, gwDomain, gwSecret)
	second := f.open(t, component.NS, gwDomain)
	second.handshake(gwSecret)
	if got := second.streamError(); got != stanza.StreamConflict {
		t.Errorf("second connection: stream error %q, want conflict", got)
	}
	// The first one still serves the domain.
	f.Router.Route(t.Context(), stanza.New(stanza.NSClient, "message", "from", "alice@example.test/a", "to", gwDomain, "id", "m1"))
	if el := first.next(); el.Get("id") != "m1" {
		t.Errorf("first connection got %s, want message m1", el)
	}
}

func TestHandshakeThrottle(t *testing.T) {
	f := newFixture(t, component.Limits{HandshakeFailuresPerIP: 2})
	for range 2 {
		p := f.open(t, component.NS, gwDomain)
		p.handshake("wrong-secret-0123456789")
		if got := p.streamError(); got != stanza.StreamNotAuthorized {
			t.Fatalf("wrong secret: %q", got)
		}
	}
	p := f.open(t, component.NS, gwDomain)
	p.handshake(gwSecret)
	if got := p.streamError(); got != stanza.StreamNotAuthorized {
		t.Errorf("right secret after too many failures: %q, want not-authorized", got)
	}
}

func TestNegotiationTimeout(t *testing.T) {
	f := newFixture(t, component.Limits{NegotiationTimeout: 200 * time.Millisecond})
	p := f.open(t, component.NS, gwDomain)
	if got := p.streamError(); got != stanza.ConnectionTimeout {
		t.Errorf("silent component: stream error %q, want connection-timeout", got)
	}
}
