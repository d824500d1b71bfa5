package server

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"

	"xmppbox/server/component"
	"xmppbox/server/mod/blocking"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/offline"
	"xmppbox/server/mod/pep"
	"xmppbox/server/mod/private"
	"xmppbox/server/mod/register"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/vcard"
	"xmppbox/server/s2s"
)

// Config is everything a Server needs; the caller owns the stores and the TLS manager.
type Config struct {
	Domain     string // the one XMPP domain this box serves
	C2SAddr    string // client listener with STARTTLS; "" disables it
	C2STLSAddr string // client listener with direct TLS (XEP-0368); "" disables it
	// ComponentAddr is the listener for external components (XEP-0114); "" disables it.
	// Components holds their shared secrets; nil turns components off altogether.
	ComponentAddr string
	Components    component.Secrets

	TLS *tls.Config
	// Leaf returns the certificate served for a name, for tls-server-end-point channel binding.
	Leaf func(serverName string) (*x509.Certificate, error)

	Accounts Accounts
	Invites  register.Invites
	// Register says who may register in-band (XEP-0077); the zero value: nobody.
	Register register.Options
	Rosters  roster.Store
	Offline  offline.Store
	VCards   vcard.Store
	Private  private.Store
	PEP      pep.Store // XEP-0163 nodes and items

	// Blocklists keeps XEP-0191 block lists.
	Blocklists blocking.Store
	// Archive keeps message archives (XEP-0313), of accounts and of persistent MUC rooms;
	// nil turns archiving off.
	Archive mam.Archive
	// MUC configures the XEP-0045 chat room service; Rooms keeps its persistent rooms
	// and must be set when MUC.Enabled.
	MUC   MUC
	Rooms muc.Store

	// S2SAddr is the server-to-server listener; "" turns federation off (stanzas to other
	// domains bounce with remote-server-not-found).
	S2SAddr string
	// S2STLSAddr takes server-to-server streams with direct TLS (XEP-0368); "" = off.
	S2STLSAddr string
	S2S        S2S

	Logger *slog.Logger
	Limits Limits
}

// S2S configures federation with other servers (RFC 6120 server-to-server).
type S2S struct {
	Peers      s2s.Peers
	Policy     s2s.Policy     // "" means require-valid-cert
	Federation s2s.Federation // "" means peers only
	Deny       []string
	// Roots verify other servers' certificates when a peer has no CA of its own.
	Roots          *x509.CertPool
	MaxConnections int           // default 200
	IdleTimeout    time.Duration // default 10 min
}

// MUC configures the multi-user chat service (XEP-0045).
type MUC struct {
	Enabled bool
	Options muc.Options // Domain "" = "conference."+Domain; zero limits take the defaults
}

// Limits bound what one peer can make the server do. Zero values take the defaults.
type Limits struct {
	MaxStanzaBytes      int64         // default 256 KiB
	MaxConnections      int           // default 10,000
	MaxConnectionsPerIP int           // default 100
	AuthFailuresPerIP   int           // failures per minute before a source is throttled; default 10
	NegotiationTimeout  time.Duration // from TCP accept to a bound resource; default 60 s
	MaxOfflineMessages  int           // per account; default 1,000
	ResumeTimeout       time.Duration // XEP-0198 resumption window; default 5 min
	PingInterval        time.Duration // quiet time before a client is pinged; default 5 min
	PingTimeout         time.Duration // how long a pinged client may stay quiet; default 1 min
	MaxVCardBytes       int           // XML of one vCard (XEP-0054); default 256 KiB
	ArchiveRetention    time.Duration // how long archived messages are kept (XEP-0313); default 1 year
}
