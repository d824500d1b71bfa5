package server

import (
	"context"
	"time"

	"xmppbox/server/mod/blocking"
	"xmppbox/server/mod/carbons"
	"xmppbox/server/mod/disco"
	"xmppbox/server/mod/entitytime"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/offline"
	"xmppbox/server/mod/pep"
	"xmppbox/server/mod/ping"
	"xmppbox/server/mod/presence"
	"xmppbox/server/mod/private"
	"xmppbox/server/mod/register"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/vcard"
	"xmppbox/server/mod/version"
	"xmppbox/server/router"
)

// registerModules wires every feature module into r. Order matters where hooks stack:
// presence must know the roster module (subscriptions push roster changes), and the
// offline module's initial-presence hook runs after presence has marked the resource
// available, so it must be registered as a hook rather than called by presence itself.
// Blocking filters before carbons copies (and before archiving), so nothing blocked is copied.
func (s *Server) registerModules(r *router.Router) {
	rosters := roster.New(s.cfg.Rosters, r, s.log.With("module", "roster"))
	regOpts := s.cfg.Register
	regOpts.MakeContacts = s.MakeContacts
	reg := register.New(s.cfg.Accounts, s.cfg.Invites, r, regOpts, s.log.With("module", "register"))
	s.preAuth = registration{reg}
	archive := mam.New(mam.Config{Archive: s.cfg.Archive, Rosters: s.cfg.Rosters, Retention: s.cfg.Limits.ArchiveRetention, Logger: s.log.With("module", "mam")})
	s.rosters, s.register, s.archive = rosters, reg, archive
	priv := private.New(s.cfg.Private, private.DefaultMaxEntries, s.log.With("module", "private")) // PEP mirrors bookmarks with it
	modules := []interface{ Register(*router.Router) }{
		disco.New(r, s.cfg.Rosters),
		rosters,
		presence.New(r, rosters, s.log.With("module", "presence")),
		offline.New(s.cfg.Offline, r.Domain(), s.cfg.Limits.MaxOfflineMessages, s.log.With("module", "offline")),
		blocking.New(s.cfg.Blocklists, s.cfg.Rosters, r, s.log.With("module", "blocking")),
		carbons.New(r, s.log.With("module", "carbons")),
		archive, // after blocking: nothing refused is archived
		ping.Module{},
		version.Module{Version: buildVersion()},
		entitytime.Module{Now: time.Now},
		vcard.New(s.cfg.VCards, s.cfg.Limits.MaxVCardBytes, s.log.With("module", "vcard")),
		priv,
		pep.New(s.cfg.PEP, r, s.cfg.Rosters, pep.Options{Private: priv}, s.log.With("module", "pep")), // after blocking: a blocked contact's presence never joins an audience
		reg,
	}
	if s.cfg.MUC.Enabled {
		opts := s.cfg.MUC.Options
		opts.Archive = s.cfg.Archive // persistent rooms share the accounts' archive store (XEP-0313)
		s.muc = muc.New(r, s.cfg.Rooms, opts, s.log.With("module", "muc"))
		modules = append(modules, s.muc) // after presence: its unavailable reaches rooms first
	}
	for _, m := range modules {
		m.Register(r)
		// A module with background work (such as expiring records) runs while the server does.
		if runner, ok := m.(interface{ Run(context.Context) }); ok {
			s.runners = append(s.runners, runner)
		}
	}
}
