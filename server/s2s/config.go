package s2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"

	"xmppbox/server/stanza"
)

// Namespaces of server-to-server streams.
const (
	NSServer   = "jabber:server"
	nsDialback = "jabber:server:dialback"
	nsDBFeat   = "urn:xmpp:features:dialback"
	nsTLS      = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBidi     = "urn:xmpp:bidi"          // XEP-0288
	nsBidiFeat = "urn:xmpp:features:bidi" // XEP-0288
)

// Policy says how a remote server must prove its identity.
type Policy string

const (
	// RequireValidCert: the remote server's certificate must be valid for its domain
	// (chain to a trusted root, name match); authentication is SASL EXTERNAL, or dialback
	// over such a verified connection.
	RequireValidCert Policy = "require-valid-cert"
	// DialbackOK additionally accepts servers whose certificate cannot be verified, when
	// Server Dialback (XEP-0220) proves them, through DNS, to speak for their domain.
	DialbackOK Policy = "dialback-ok"
)

// Federation says which remote domains this server talks to at all.
type Federation string

const (
	// PeersOnly: only domains configured as peers (xmppbox peer add), the default of a box
	// on a private network.
	PeersOnly Federation = "peers"
	// Open: any domain, found through DNS SRV and A/AAAA records, except those denied.
	Open Federation = "open"
)

// Peer is a remote domain the operator configured: where it is and whom to trust for it.
type Peer struct {
	Domain string
	Addr   string         // host:port; "" to look it up in DNS
	Roots  *x509.CertPool // roots to verify its certificate with; nil: the server's roots
	Policy Policy         // "" means the server's policy
}

// Peers looks up configured peers; the store behind it may change while the server runs.
type Peers interface {
	Peer(domain string) (Peer, bool)
}

// Router is what the links need from the server: delivery of stanzas that arrive, and
// bounces of those that cannot leave.
type Router interface {
	Route(ctx context.Context, st *stanza.Element)
	Bounce(ctx context.Context, st *stanza.Element, e stanza.Error)
}

// Config is what a Manager needs.
type Config struct {
	// Domains are the local domains streams may be opened for and from: the server's
	// domain and its service domains.
	Domains []string
	// TLS is the server's TLS configuration with certificates for Domains; the Manager
	// clones it for each direction.
	TLS *tls.Config
	// Roots verify remote certificates when the peer has no roots of its own: the
	// system's roots plus the box's own CA.
	Roots      *x509.CertPool
	Peers      Peers
	Policy     Policy
	Federation Federation
	Deny       []string // domains never linked with, whatever Federation says
	Router     Router
	Logger     *slog.Logger
	Limits     Limits
	// Resolver finds remote servers; nil means net.DefaultResolver.
	Resolver Resolver
}

// Limits bound what remote servers can make this one do. Zero values mean the defaults.
type Limits struct {
	MaxStanzaBytes      int64         // 256 KiB
	MaxConnections      int           // incoming and outgoing together; 200
	MaxConnectionsPerIP int           // incoming from one address; 20
	IdleTimeout         time.Duration // a link with no traffic is closed; 10 min
	ConnectTimeout      time.Duration // DNS, TCP, TLS and authentication of a new link; 20 s
	NegotiationTimeout  time.Duration // an incoming stream must authenticate within; 30 s
	MaxQueue            int           // stanzas waiting for a link being set up; 1000
}

func (l *Limits) setDefaults() {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = 256 << 10
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = 200
	}
	if l.MaxConnectionsPerIP <= 0 {
		l.MaxConnectionsPerIP = 20
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 10 * time.Minute
	}
	if l.ConnectTimeout <= 0 {
		l.ConnectTimeout = 20 * time.Second
	}
	if l.NegotiationTimeout <= 0 {
		l.NegotiationTimeout = 30 * time.Second
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = 1000
	}
}
