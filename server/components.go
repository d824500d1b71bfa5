package server

import (
	"context"
	"net"

	"xmppbox/server/component"
	"xmppbox/server/router"
)

// registerComponents sets up external components (XEP-0114) when the server has a secret
// store for them, and makes r route their domains to them. It must run before federation
// registers with r: a component's domain is served here, never looked up remotely.
func (s *Server) registerComponents(r *router.Router) {
	if s.cfg.Components == nil {
		return
	}
	s.components = component.NewServer(component.Config{
		Domain:  s.domain,
		Secrets: s.cfg.Components,
		Router:  r,
		Logger:  s.log.With("listener", "component"),
		Limits: component.Limits{
			MaxStanzaBytes:     s.cfg.Limits.MaxStanzaBytes,
			NegotiationTimeout: s.cfg.Limits.NegotiationTimeout,
		},
	})
	s.components.Register(r)
}

// serveComponents accepts components on ln until ctx ends; then they get
// <system-shutdown/>.
func (s *Server) serveComponents(ctx context.Context, ln net.Listener) error {
	return s.components.Serve(ctx, ln)
}

// ComponentConnected reports whether the component serving domain is connected.
func (s *Server) ComponentConnected(domain string) bool {
	return s.components != nil && s.components.IsConnected(domain)
}

// DisconnectComponent ends the stream of the component serving domain (after its
// secret was removed) and reports whether it was connected.
func (s *Server) DisconnectComponent(domain string) bool {
	return s.components != nil && s.components.Disconnect(domain)
}
