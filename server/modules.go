package server

import (
	"time"

	"xmppbox/server/mod/disco"
	"xmppbox/server/mod/entitytime"
	"xmppbox/server/mod/offline"
	"xmppbox/server/mod/ping"
	"xmppbox/server/mod/presence"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/version"
	"xmppbox/server/router"
)

// registerModules wires every feature module into r. Order matters where hooks stack:
// presence must know the roster module (subscriptions push roster changes), and the
// offline module's initial-presence hook runs after presence has marked the resource
// available, so it must be registered as a hook rather than called by presence itself.
func (s *Server) registerModules(r *router.Router) {
	rosters := roster.New(s.cfg.Rosters, r, s.log.With("module", "roster"))
	modules := []interface{ Register(*router.Router) }{
		disco.New(r, s.cfg.Rosters),
		rosters,
		presence.New(r, rosters, s.log.With("module", "presence")),
		offline.New(s.cfg.Offline, r.Domain(), s.cfg.Limits.MaxOfflineMessages, s.log.With("module", "offline")),
		ping.Module{},
		version.Module{Version: buildVersion()},
		entitytime.Module{Now: time.Now},
	}
	for _, m := range modules {
		m.Register(r)
	}
}
