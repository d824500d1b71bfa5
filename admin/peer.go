package admin

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/s2s"
)

// PeerStore is the federation peer storage the Service needs; embeddb implements it. The
// running server reads the same store (s2s.StoredPeers), so a change applies to the next
// link made with that peer.
type PeerStore interface {
	// PutPeer stores c under c.Domain, replacing the peer of that domain if there is one.
	PutPeer(ctx context.Context, c s2s.PeerConfig) error
	// Peer returns the peer of domain; an error wrapping fs.ErrNotExist if there is none.
	Peer(ctx context.Context, domain string) (s2s.PeerConfig, error)
	// ListPeers returns every peer, sorted by domain; never nil.
	ListPeers(ctx context.Context) ([]s2s.PeerConfig, error)
	// DeletePeer forgets the peer of domain; fs.ErrNotExist if there is none.
	DeletePeer(ctx context.Context, domain string) error
}

// Federation is the running server's server-to-server manager, as the Service sees it.
// *s2s.Manager implements it. Leave Config.Federation nil, rather than passing a nil
// *s2s.Manager, when the server is stopped or federation is off.
type Federation interface {
	// Links lists the open links and the recent failures to link.
	Links() []s2s.LinkInfo
	// Unlink closes the links with domain and its subdomains, which were authenticated
	// under a configuration that changed, and returns how many there were.
	Unlink(domain string) int
}

// ErrNoPeer is wrapped when a federation peer is not configured; it wraps fs.ErrNotExist.
var ErrNoPeer error = &kindError{"no such peer", fs.ErrNotExist}

// PeerStatus is a configured peer with the live links to its domain. A domain the server
// has links with but no configuration for (open federation) has only Domain set, and
// Configured false.
type PeerStatus struct {
	s2s.PeerConfig
	Configured bool // in the peer store
	// FromFile: from the config file's [[peers]], not overridden by the store; such a
	// peer is changed in the file, not with DeletePeer.
	FromFile bool
	// Links are the open links with the domain, outgoing first, and the last failure to
	// link with it if it is recent; empty while the server is stopped.
	Links []s2s.LinkInfo
}

func (s *Service) peerStore() (PeerStore, error) {
	if s.peers == nil {
		return nil, errors.New("admin: this service has no peer store")
	}
	return s.peers, nil
}

// peerDomain normalises a peer's domain as the store is keyed on it (RFC 7622 §3.2: IDNA,
// lower case, no trailing dot). Errors wrap ErrInvalid: not a bare domain, or this
// server's own domain.
func (s *Service) peerDomain(domain string) (string, error) {
	if domain == "" {
		return "", fmt.Errorf("%w peer: give its domain, such as other.example.org", ErrInvalid)
	}
	j, err := jid.Parse(domain)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w peer domain %q: %v", ErrInvalid, domain, err)
	case j.Localpart() != "" || j.Resourcepart() != "":
		return "", fmt.Errorf("%w peer domain %q: give a domain only, without user@ or /resource", ErrInvalid, domain)
	case j.Domainpart() == s.domain:
		return "", fmt.Errorf("%w peer %s: it is this server's own domain", ErrInvalid, j.Domainpart())
	}
	return j.Domainpart(), nil
}

// checkCAPEM accepts PEM text holding certificates and nothing else: a private key given
// by mistake must not end up in the store, and a file of no certificates would pin none.
// Text outside the PEM blocks (openssl's subject lines) is allowed.
func checkCAPEM(text string) error {
	rest := []byte(text)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case strings.Contains(b.Type, "PRIVATE KEY"):
			return fmt.Errorf("%w peer CA: it holds a private key; give only the CA certificate (\"xmppbox cert ca\" on the peer prints it)", ErrInvalid)
		case b.Type != "CERTIFICATE":
			return fmt.Errorf("%w peer CA: it holds a PEM block of type %q; give only certificates", ErrInvalid, b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("%w peer CA: certificate %d: %v", ErrInvalid, n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w peer CA: no PEM certificate in it (\"xmppbox cert ca\" on the peer prints one)", ErrInvalid)
	}
	return nil
}

// AddPeer configures a federation peer, or replaces the configuration of its domain, and
// returns it as stored, with its domain normalised. Admins only. Errors wrap ErrInvalid
// for a bad domain (or this server's own), address, CA or policy.
//
// The running server looks peers up when it links with them, so the change applies to
// the next link; a link already open keeps the trust it was made with.
func (s *Service) AddPeer(ctx context.Context, c s2s.PeerConfig) (s2s.PeerConfig, error) {
	by, err := s.authorize(ctx, "add peer")
	if err != nil {
		return s2s.PeerConfig{}, err
	}
	store, err := s.peerStore()
	if err != nil {
		return s2s.PeerConfig{}, err
	}
	if c.Domain, err = s.peerDomain(c.Domain); err != nil {
		return s2s.PeerConfig{}, err
	}
	if c.Addr != "" {
		if err := s2s.CheckAddr(c.Addr); err != nil {
			return s2s.PeerConfig{}, fmt.Errorf("%w peer %w", ErrInvalid, err)
		}
	}
	if c.CAPEM != "" {
		if err := checkCAPEM(c.CAPEM); err != nil {
			return s2s.PeerConfig{}, err
		}
	}
	if _, err := c.Peer(); err != nil { // the policy, and whatever the server checks besides
		return s2s.PeerConfig{}, fmt.Errorf("%w %v", ErrInvalid, err)
	}
	_, err = store.Peer(ctx, c.Domain)
	replaced := err == nil
	if err != nil && !isNotExist(err) {
		return s2s.PeerConfig{}, fmt.Errorf("adding peer %s: %w", c.Domain, err)
	}
	if err := store.PutPeer(ctx, c); err != nil {
		return s2s.PeerConfig{}, fmt.Errorf("adding peer %s: %w", c.Domain, err)
	}
	msg := "peer added"
	if replaced {
		msg = "peer updated"
	}
	// Links made under the old address, CA or policy end; the next stanza makes a new one
	// under the new configuration.
	n := s.unlink(c.Domain)
	s.log.LogAttrs(ctx, slog.LevelInfo, msg, slog.String("domain", c.Domain), slog.String("addr", c.Addr),
		slog.Bool("pinned_ca", c.CAPEM != ""), slog.String("policy", string(c.Policy)), slog.Int("links_closed", n), by)
	return c, nil
}

// ListPeers returns the configured peers with their live links, and the domains the
// server has links with but no configuration for, sorted by domain. Without a peer store
// it lists only the latter. Admins only.
func (s *Service) ListPeers(ctx context.Context) ([]PeerStatus, error) {
	if _, err := s.authorize(ctx, "list peers"); err != nil {
		return nil, err
	}
	var configured []s2s.PeerConfig
	if s.peers != nil {
		var err error
		if configured, err = s.peers.ListPeers(ctx); err != nil {
			return nil, fmt.Errorf("listing peers: %w", err)
		}
	}
	links := map[string][]s2s.LinkInfo{}
	if s.federation != nil {
		for _, l := range s.federation.Links() {
			links[l.Remote] = append(links[l.Remote], l)
		}
	}
	out := make([]PeerStatus, 0, len(configured)+len(s.staticPeers)+len(links))
	for _, c := range configured {
		out = append(out, PeerStatus{PeerConfig: c, Configured: true})
	}
	for _, c := range s.staticPeers {
		if !slices.ContainsFunc(configured, func(p s2s.PeerConfig) bool { return p.Domain == c.Domain }) {
			out = append(out, PeerStatus{PeerConfig: c, FromFile: true})
		}
	}
	// A peer covers its subdomains (its chat room service links as conference.DOMAIN):
	// their links are listed under it, the closest one when peers nest.
	for d, l := range links {
		best := -1
		for i, p := range out {
			if (d == p.Domain || strings.HasSuffix(d, "."+p.Domain)) && (best < 0 || len(p.Domain) > len(out[best].Domain)) {
				best = i
			}
		}
		if best >= 0 {
			out[best].Links = append(out[best].Links, l...)
			continue
		}
		out = append(out, PeerStatus{PeerConfig: s2s.PeerConfig{Domain: d}, Links: l})
	}
	slices.SortFunc(out, func(a, b PeerStatus) int { return strings.Compare(a.Domain, b.Domain) })
	for _, p := range out {
		slices.SortFunc(p.Links, compareLinks)
	}
	return out, nil
}

// compareLinks orders a domain's links: outgoing first, then by local domain, oldest first.
func compareLinks(a, b s2s.LinkInfo) int {
	if a.Incoming != b.Incoming {
		if a.Incoming {
			return 1
		}
		return -1
	}
	return cmp.Or(strings.Compare(a.Local, b.Local), a.Since.Compare(b.Since), strings.Compare(a.LastError, b.LastError))
}

// DeletePeer removes a configured peer. Admins only. Errors wrap ErrNoPeer, or ErrInvalid
// for a malformed domain. Links open with the peer are closed; no new one is made unless
// federation is open or the config file lists the peer.
func (s *Service) DeletePeer(ctx context.Context, domain string) error {
	by, err := s.authorize(ctx, "delete peer")
	if err != nil {
		return err
	}
	store, err := s.peerStore()
	if err != nil {
		return err
	}
	d, err := s.peerDomain(domain)
	if err != nil {
		return err
	}
	if err := store.DeletePeer(ctx, d); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("%s: %w", d, ErrNoPeer)
		}
		return fmt.Errorf("deleting peer %s: %w", d, err)
	}
	n := s.unlink(d)
	s.log.LogAttrs(ctx, slog.LevelInfo, "peer deleted", slog.String("domain", d), slog.Int("links_closed", n), by)
	return nil
}

func (s *Service) unlink(domain string) int {
	if s.federation == nil {
		return 0
	}
	return s.federation.Unlink(domain)
}
