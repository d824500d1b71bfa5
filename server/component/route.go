package component

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// route is the router's remote handler: it takes every stanza for the domain of a
// connected or configured component, and leaves other domains to the next handler.
func (s *Server) route(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	domain := to.Domainpart()
	if c := s.link(domain); c != nil {
		if err := c.Send(st); err == nil {
			return true
		}
		// Closing, or cut off for not reading: as good as not connected.
		s.unavailable(ctx, st, domain)
		return true
	}
	_, err := s.cfg.Secrets.ComponentSecret(ctx, domain)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false
	case err != nil:
		s.log.LogAttrs(ctx, slog.LevelError, "component lookup failed", slog.String("domain", domain), slog.Any("err", err))
	}
	s.unavailable(ctx, st, domain)
	return true
}

// unavailable answers a stanza for a component that is not connected. IQ requests and
// messages must learn so (they never vanish), with a wait-type error since the component
// may come back; presence is dropped, as for an offline contact, and responses and
// errors are never answered (RFC 6120 §8.3.1).
func (s *Server) unavailable(ctx context.Context, st *stanza.Element, domain string) {
	switch st.Name.Local {
	case "iq":
		if typ := st.Get("type"); typ != "get" && typ != "set" {
			return
		}
	case "message":
	default:
		return
	}
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "component not connected", slog.String("domain", domain), slog.String("stanza", st.Name.Local))
	}
	s.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Wait, Condition: stanza.ServiceUnavailable, Text: "the component " + domain + " is not connected"})
}
