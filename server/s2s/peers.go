package s2s

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
)

// PeerConfig is a configured peer as the operator gives it (xmppbox peer add, [[peers]]
// in the config file): plain values, stored as they are.
type PeerConfig struct {
	Domain string `json:"domain"`
	Addr   string `json:"addr,omitempty"`   // host:port; "" to look it up in DNS
	CAPEM  string `json:"ca_pem,omitempty"` // PEM certificates to trust for this peer only
	Policy Policy `json:"policy,omitempty"` // "" means the server's policy
}

// Peer parses c: its CA certificates become the peer's roots.
func (c PeerConfig) Peer() (Peer, error) {
	p := Peer{Domain: c.Domain, Addr: c.Addr, Policy: c.Policy}
	switch c.Policy {
	case "", RequireValidCert, DialbackOK:
	default:
		return Peer{}, fmt.Errorf("peer %s: unknown policy %q (give %s or %s)", c.Domain, c.Policy, RequireValidCert, DialbackOK)
	}
	if c.CAPEM != "" {
		p.Roots = x509.NewCertPool()
		if !p.Roots.AppendCertsFromPEM([]byte(c.CAPEM)) {
			return Peer{}, fmt.Errorf("peer %s: the CA file holds no PEM certificate", c.Domain)
		}
	}
	return p, nil
}

// PeerStore is where peers added while the server runs are kept; embeddb implements it.
type PeerStore interface {
	// Peer returns the peer for domain; an error wrapping fs.ErrNotExist if there is none.
	Peer(ctx context.Context, domain string) (PeerConfig, error)
}

// StoredPeers looks peers up in the store, then in the config file's list: a peer added
// with the CLI takes precedence over the file's entry for the same domain.
type StoredPeers struct {
	Store  PeerStore
	Static []PeerConfig
	Log    *slog.Logger
}

// Peer implements Peers. A stored peer that cannot be parsed is logged and treated as
// absent, which refuses federation with it rather than trusting the wrong roots.
func (s StoredPeers) Peer(domain string) (Peer, bool) {
	if s.Store != nil {
		c, err := s.Store.Peer(context.Background(), domain)
		switch {
		case err == nil:
			p, err := c.Peer()
			if err != nil {
				s.Log.Error("stored peer unusable", "domain", domain, "err", err)
				return Peer{}, false
			}
			return p, true
		case !errors.Is(err, fs.ErrNotExist):
			s.Log.Error("peer lookup failed", "domain", domain, "err", err)
			return Peer{}, false
		}
	}
	for _, c := range s.Static {
		if c.Domain == domain {
			p, err := c.Peer()
			if err != nil {
				s.Log.Error("configured peer unusable", "domain", domain, "err", err)
				return Peer{}, false
			}
			return p, true
		}
	}
	return Peer{}, false
}

// CheckAddr checks a peer's address: host:port with a host and a port from 1 to 65535,
// an address to dial (unlike a listener's, which may leave the host out).
func CheckAddr(addr string) error {
	const hint = "give host:port, such as 10.0.0.2:5269 or [fd00::2]:5269"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = ae.Err // without the address repeated
		}
		return fmt.Errorf("address %q: %s (%s)", addr, msg, hint)
	}
	if host == "" {
		return fmt.Errorf("address %q: the host is missing (%s)", addr, hint)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("address %q: the port must be a number from 1 to 65535", addr)
	}
	return nil
}
