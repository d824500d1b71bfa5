package server

import (
	"context"
	"fmt"
	"net"

	"xmppbox/server/s2s"
)

// newFederation sets up the server-to-server links when an s2s listener is configured,
// and routes stanzas for other domains to them. Registered after every module and the
// components, it is the router's last resort for remote domains.
func (s *Server) newFederation() error {
	if s.cfg.S2SAddr == "" {
		return nil
	}
	c := s.cfg.S2S
	if c.Policy == "" {
		c.Policy = s2s.RequireValidCert
	}
	if c.Federation == "" {
		c.Federation = s2s.PeersOnly
	}
	peers := c.Peers
	if peers == nil {
		peers = s2s.StoredPeers{Log: s.log}
	}
	domains := []string{s.domain.String()}
	for _, svc := range s.router.Services() {
		domains = append(domains, svc.Domain)
	}
	m, err := s2s.New(s2s.Config{
		Domains:    domains,
		TLS:        s.cfg.TLS,
		Roots:      c.Roots,
		Peers:      peers,
		Policy:     c.Policy,
		Federation: c.Federation,
		Deny:       c.Deny,
		Router:     s.router,
		Logger:     s.log.With("listener", "s2s"),
		Limits: s2s.Limits{
			MaxStanzaBytes:     s.cfg.Limits.MaxStanzaBytes,
			MaxConnections:     c.MaxConnections,
			IdleTimeout:        c.IdleTimeout,
			NegotiationTimeout: s.cfg.Limits.NegotiationTimeout,
		},
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.s2s = m
	s.router.RegisterRemote(m.Route)
	return nil
}

// serveFederation accepts server-to-server connections on ln until ctx is done.
func (s *Server) serveFederation(ctx context.Context, ln net.Listener) error {
	return s.s2s.Serve(ctx, ln)
}

// Federating reports whether the server links with other servers (an s2s listener is set).
func (s *Server) Federating() bool { return s.s2s != nil }

// Links lists the links with other servers, or nil when federation is off.
func (s *Server) Links() []s2s.LinkInfo {
	if s.s2s == nil {
		return nil
	}
	return s.s2s.Links()
}

// Unlink closes the links with domain and its subdomains and returns how many there were.
func (s *Server) Unlink(domain string) int {
	if s.s2s == nil {
		return 0
	}
	return s.s2s.Unlink(domain)
}
