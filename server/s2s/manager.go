package s2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// Manager runs this server's links with other servers.
type Manager struct {
	cfg   Config
	log   *slog.Logger
	keys  dialbackKeys
	local map[string]bool
	res   Resolver

	mu       sync.Mutex
	out      map[linkKey]*outLink   // guarded by mu
	in       map[*inStream]struct{} // guarded by mu
	failures map[string]failure     // by remote domain; guarded by mu
	conns    int                    // open connections, both directions; guarded by mu
	perIP    map[string]int         // open incoming connections by source address; guarded by mu
	stopping bool                   // guarded by mu
	ctx      context.Context        // the server's, set by Serve; guarded by mu
	wg       sync.WaitGroup
}

type linkKey struct{ from, to string }

// failure remembers a link that could not be set up, so that stanzas sent right after are
// bounced at once instead of each waiting for another timeout.
type failure struct {
	err   error
	until time.Time
}

// failureMemory is how long a failed link bounces stanzas before it is tried again.
const failureMemory = 5 * time.Second

// New returns a Manager for cfg; nothing is linked until stanzas ask for it or Serve
// accepts connections.
func New(cfg Config) (*Manager, error) {
	switch {
	case len(cfg.Domains) == 0 || cfg.TLS == nil || cfg.Router == nil || cfg.Logger == nil || cfg.Peers == nil:
		return nil, errors.New("s2s: Config needs Domains, TLS, Peers, Router and Logger")
	case cfg.Policy != RequireValidCert && cfg.Policy != DialbackOK:
		return nil, fmt.Errorf("s2s: unknown policy %q", cfg.Policy)
	case cfg.Federation != PeersOnly && cfg.Federation != Open:
		return nil, fmt.Errorf("s2s: unknown federation mode %q", cfg.Federation)
	}
	cfg.Limits.setDefaults()
	m := &Manager{
		cfg:      cfg,
		log:      cfg.Logger,
		keys:     newDialbackKeys(),
		local:    make(map[string]bool),
		res:      cfg.Resolver,
		out:      make(map[linkKey]*outLink),
		in:       make(map[*inStream]struct{}),
		failures: make(map[string]failure),
		perIP:    make(map[string]int),
		ctx:      context.Background(),
	}
	if m.res == nil {
		m.res = net.DefaultResolver
	}
	for _, d := range cfg.Domains {
		m.local[d] = true
	}
	return m, nil
}

// peer returns how to reach and trust domain, or an error when this server does not
// federate with it.
func (m *Manager) peer(domain string) (Peer, bool, error) {
	if slices.Contains(m.cfg.Deny, domain) {
		return Peer{}, false, fmt.Errorf("federation with %s is denied", domain)
	}
	p, pinned := m.lookupPeer(domain)
	if !pinned {
		if m.cfg.Federation == PeersOnly {
			return Peer{}, false, fmt.Errorf("%s is not a configured peer of this server", domain)
		}
		p = Peer{Domain: domain}
	}
	if p.Roots == nil {
		p.Roots = m.cfg.Roots
	}
	if p.Policy == "" {
		p.Policy = m.cfg.Policy
	}
	return p, pinned, nil
}

// lookupPeer finds the peer configured for domain or, failing that, for the closest parent
// domain: a peer "example.org" covers its services such as conference.example.org, which
// run on the same server and present certificates from the same CA.
func (m *Manager) lookupPeer(domain string) (Peer, bool) {
	for d := domain; ; {
		if p, ok := m.cfg.Peers.Peer(d); ok {
			p.Domain = domain
			return p, true
		}
		_, parent, found := strings.Cut(d, ".")
		if !found || !strings.Contains(parent, ".") && parent != "localhost" {
			return Peer{}, false
		}
		d = parent
	}
}

// Route is the router's handler for remote domains: it queues st on the link from st's
// sender's domain to to's domain, setting the link up if needed. Stanzas that cannot be
// sent are bounced to their sender. It takes every stanza it is given.
func (m *Manager) Route(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	from, err := jid.Parse(st.Get("from"))
	if err != nil || !m.local[from.Domainpart()] {
		// Such as a component's stanza: its domain has no certificate of ours, so no
		// other server could authenticate it.
		m.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.RemoteServerNotFound,
			Text: "only this server's own domains are linked with other servers"})
		return true
	}
	remote := to.Domainpart()
	if _, _, err := m.peer(remote); err != nil {
		m.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.RemoteServerNotFound, Text: err.Error()})
		return true
	}
	key := linkKey{from.Domainpart(), remote}
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		m.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Wait, Condition: stanza.RemoteServerTimeout, Text: "the server is shutting down"})
		return true
	}
	if f, ok := m.failures[remote]; ok && time.Now().Before(f.until) {
		m.mu.Unlock()
		m.bounceFailed(ctx, st, f.err)
		return true
	}
	l := m.out[key]
	if l == nil {
		l = newOutLink(m, key)
		m.out[key] = l
		runCtx := m.ctx
		m.wg.Go(func() { l.run(runCtx) })
	}
	m.mu.Unlock()
	// Callers reuse st once Route returns (the presence broadcast re-addresses one element
	// to each contact), and the link encodes it later: it keeps its own copy.
	l.enqueue(ctx, st.Copy())
	return true
}

// bounceFailed bounces st with the condition err calls for.
func (m *Manager) bounceFailed(ctx context.Context, st *stanza.Element, err error) {
	cond := stanza.RemoteServerNotFound
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTimeout) || (errors.As(err, &ne) && ne.Timeout()) {
		cond = stanza.RemoteServerTimeout
	}
	m.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: cond, Text: err.Error()})
}

var errTimeout = errors.New("timed out")

// linkFailed records a failed link and forgets it, so the next stanza tries again once
// failureMemory has passed.
func (m *Manager) linkFailed(l *outLink, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.out[l.key] == l {
		delete(m.out, l.key)
	}
	m.failures[l.key.to] = failure{err: err, until: time.Now().Add(failureMemory)}
}

func (m *Manager) linkDone(l *outLink) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.out[l.key] == l {
		delete(m.out, l.key)
	}
}

// admit counts a new connection against MaxConnections and, for an incoming one (ip not
// ""), against MaxConnectionsPerIP: one address cannot take every slot with streams that
// never authenticate.
func (m *Manager) admit(ip string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping || m.conns >= m.cfg.Limits.MaxConnections {
		return false
	}
	if ip != "" {
		if m.perIP[ip] >= m.cfg.Limits.MaxConnectionsPerIP {
			return false
		}
		m.perIP[ip]++
	}
	m.conns++
	return true
}

func (m *Manager) release(ip string) {
	m.mu.Lock()
	m.conns--
	if ip != "" {
		if m.perIP[ip]--; m.perIP[ip] <= 0 {
			delete(m.perIP, ip)
		}
	}
	m.mu.Unlock()
}

// Serve accepts incoming links on ln (STARTTLS) until ctx is done; then it closes every
// link with <system-shutdown/> and returns once they are gone.
func (m *Manager) Serve(ctx context.Context, ln net.Listener) error { return m.serve(ctx, ln, false) }

// ServeDirectTLS accepts incoming links on ln with TLS from the first byte (XEP-0368, the
// _xmpps-server._tcp service); it must run alongside Serve and stops with it.
func (m *Manager) ServeDirectTLS(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	return m.accept(ctx, ln, true)
}

func (m *Manager) serve(ctx context.Context, ln net.Listener, directTLS bool) error {
	m.mu.Lock()
	m.ctx = ctx
	m.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	err := m.accept(ctx, ln, directTLS)
	m.shutdown()
	return err
}

// accept accepts connections on ln until it is closed.
func (m *Manager) accept(ctx context.Context, ln net.Listener, directTLS bool) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("s2s: accept: %w", err)
		}
		ip, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
		if !m.admit(ip) {
			m.log.Warn("s2s connection refused: too many", "remote", nc.RemoteAddr().String())
			nc.Close()
			continue
		}
		s := newInStream(m, nc)
		m.wg.Go(func() {
			defer m.release(ip)
			s.serve(ctx, directTLS)
		})
	}
}

// shutdown closes every link and waits for their goroutines.
func (m *Manager) shutdown() {
	m.mu.Lock()
	m.stopping = true
	outs := make([]*outLink, 0, len(m.out))
	for _, l := range m.out {
		outs = append(outs, l)
	}
	ins := make([]*inStream, 0, len(m.in))
	for s := range m.in {
		ins = append(ins, s)
	}
	m.mu.Unlock()
	shut := &stanza.StreamError{Condition: stanza.SystemShutdown}
	for _, l := range outs {
		l.close(shut)
	}
	for _, s := range ins {
		s.st.close(shut)
	}
	m.wg.Wait()
}

// clientTLS is the TLS configuration of an outgoing link from local to remote: the
// remote certificate is checked by verifyDomain after the handshake (so that a bad one
// can still lead to dialback where the policy allows), and ours is presented as a client
// certificate (XEP-0178).
func (m *Manager) clientTLS(local, remote string) *tls.Config {
	return &tls.Config{
		ServerName:         remote,
		InsecureSkipVerify: true, // verified by verifyDomain against the peer's roots
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"xmpp-server"},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if m.cfg.TLS.GetCertificate != nil { // certmagic
				return m.cfg.TLS.GetCertificate(&tls.ClientHelloInfo{ServerName: local})
			}
			if len(m.cfg.TLS.Certificates) > 0 {
				return &m.cfg.TLS.Certificates[0], nil
			}
			return &tls.Certificate{}, nil // none: the remote server may still allow dialback
		},
	}
}

// serverTLS is the TLS configuration of incoming links: our certificates, and a request
// for the remote server's, which is verified once its stream says which domain it is.
func (m *Manager) serverTLS() *tls.Config {
	c := m.cfg.TLS.Clone()
	c.ClientAuth = tls.RequestClientCert
	c.NextProtos = []string{"xmpp-server"}
	return c
}

// LinkInfo describes one link, for the admin tools.
type LinkInfo struct {
	Local, Remote string
	Incoming      bool
	TLSVersion    string
	Auth          string // "sasl-external" or "dialback"
	CertExpiry    time.Time
	Since         time.Time
	LastError     string // the last failure to link with Remote, if recent
}

// Links lists the open links and the recent failures.
func (m *Manager) Links() []LinkInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []LinkInfo
	for _, l := range m.out {
		if info, ok := l.info(); ok {
			out = append(out, info)
		}
	}
	for s := range m.in {
		out = append(out, s.info()...)
	}
	now := time.Now()
	for d, f := range m.failures {
		if now.Before(f.until.Add(time.Hour)) {
			out = append(out, LinkInfo{Remote: d, LastError: f.err.Error()})
		}
	}
	slices.SortFunc(out, func(a, b LinkInfo) int {
		if a.Remote != b.Remote {
			if a.Remote < b.Remote {
				return -1
			}
			return 1
		}
		if a.Incoming == b.Incoming {
			return 0
		}
		if a.Incoming {
			return 1
		}
		return -1
	})
	return out
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLS 1.3"
	case tls.VersionTLS12:
		return "TLS 1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}

// adoptLink installs a link from local to remote on an incoming bidirectional stream and
// returns the channel that ends it, or nil when a link already exists.
func (m *Manager) adoptLink(local, remote, how string, st *stream, cert *x509.Certificate) chan error {
	key := linkKey{local, remote}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping || m.out[key] != nil {
		return nil
	}
	l := newOutLink(m, key)
	l.auth, l.bidi, l.adopted = how, true, true
	if cert != nil {
		l.expiry = cert.NotAfter
	}
	l.up(st)
	m.out[key] = l
	delete(m.failures, remote)
	done := make(chan error, 1)
	ctx := m.ctx
	m.wg.Go(func() { l.serve(ctx, st, done, false) })
	return done
}

// Unlink closes the links with domain and its subdomains, in both directions, and forgets
// their failures; stanzas for them make new links under the peer configuration of the
// time. It returns how many links it closed.
func (m *Manager) Unlink(domain string) int {
	covered := func(d string) bool { return d == domain || strings.HasSuffix(d, "."+domain) }
	m.mu.Lock()
	var outs []*outLink
	for k, l := range m.out {
		if covered(k.to) {
			outs = append(outs, l)
		}
	}
	var ins []*inStream
	for s := range m.in {
		for _, li := range s.info() {
			if covered(li.Remote) {
				ins = append(ins, s)
				break
			}
		}
	}
	for d := range m.failures {
		if covered(d) {
			delete(m.failures, d)
		}
	}
	m.mu.Unlock()
	reason := &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "the configuration of this link changed"}
	for _, l := range outs {
		l.close(reason)
	}
	for _, s := range ins {
		s.st.close(reason)
	}
	return len(outs) + len(ins)
}
