package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/c2s"
	"xmppbox/server/component"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/register"
	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/s2s"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// Server is one running XMPP service for one domain.
type Server struct {
	cfg      Config
	log      *slog.Logger
	domain   jid.JID
	sessions *session.Registry
	router   *router.Router
	c2s      *c2s.Server
	preAuth  c2s.PreAuth // set by registerModules
	// runners are the modules' background work, set by registerModules and run by Run.
	runners []interface{ Run(context.Context) }
	muc     *muc.Module // the chat room service; nil when MUC is off. Set by registerModules.
	// The modules the admin tools reach into, set by registerModules.
	rosters  *roster.Module
	register *register.Module
	archive  *mam.Module
	started  time.Time
	s2s      *s2s.Manager // nil when federation is off; set by newFederation
	// components serves external components (XEP-0114); nil when they are off. Set by
	// registerComponents.
	components *component.Server
}

// SessionInfo describes one bound client resource, for the admin tools.
type SessionInfo struct {
	JID    string
	Remote string
	Since  time.Time
}

// New validates cfg and wires the server; nothing listens until Run.
func New(cfg Config) (*Server, error) {
	domain, err := jid.Parse(cfg.Domain)
	if err != nil || domain.Localpart() != "" || domain.Resourcepart() != "" {
		return nil, fmt.Errorf("server: invalid domain %q", cfg.Domain)
	}
	switch {
	case cfg.TLS == nil:
		return nil, errors.New("server: no TLS configuration")
	case cfg.Accounts == nil || cfg.Rosters == nil || cfg.Offline == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.VCards == nil || cfg.Private == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.Invites == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.Blocklists == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.PEP == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.MUC.Enabled && cfg.Rooms == nil:
		return nil, errors.New("server: a store is missing")
	case cfg.Logger == nil:
		return nil, errors.New("server: no logger")
	}
	if cfg.Limits.MaxOfflineMessages <= 0 {
		cfg.Limits.MaxOfflineMessages = 1000
	}
	s := &Server{cfg: cfg, log: cfg.Logger, domain: domain, sessions: session.NewRegistry(), started: time.Now()}
	s.router = router.New(domain, s.sessions, accountDirectory{cfg.Accounts}, cfg.Logger.With("module", "router"))
	s.registerComponents(s.router) // before federation: see registerComponents
	s.registerModules(s.router)
	s.c2s = c2s.NewServer(c2s.Config{
		Domain:   domain,
		TLS:      cfg.TLS,
		Leaf:     cfg.Leaf,
		Accounts: cfg.Accounts,
		Router:   s.router,
		PreAuth:  s.preAuth,
		Logger:   cfg.Logger.With("listener", "c2s"),
		Limits: c2s.Limits{
			MaxStanzaBytes:      cfg.Limits.MaxStanzaBytes,
			MaxConnections:      cfg.Limits.MaxConnections,
			MaxConnectionsPerIP: cfg.Limits.MaxConnectionsPerIP,
			AuthFailuresPerIP:   cfg.Limits.AuthFailuresPerIP,
			NegotiationTimeout:  cfg.Limits.NegotiationTimeout,
			ResumeTimeout:       cfg.Limits.ResumeTimeout,
			PingInterval:        cfg.Limits.PingInterval,
			PingTimeout:         cfg.Limits.PingTimeout,
		},
	})
	if err := s.newFederation(); err != nil {
		return nil, err
	}
	return s, nil
}

// Run listens on the configured addresses and serves until ctx is cancelled; then every
// stream gets <system-shutdown/> and Run returns once all are closed.
func (s *Server) Run(ctx context.Context) error {
	type listener struct {
		name  string
		addr  string
		serve func(context.Context, net.Listener) error
	}
	all := []listener{
		{"c2s", s.cfg.C2SAddr, func(ctx context.Context, ln net.Listener) error { return s.c2s.Serve(ctx, ln, false) }},
		{"c2s-tls", s.cfg.C2STLSAddr, func(ctx context.Context, ln net.Listener) error { return s.c2s.Serve(ctx, ln, true) }},
	}
	if s.s2s != nil {
		all = append(all, listener{"s2s", s.cfg.S2SAddr, s.serveFederation})
		if s.cfg.S2STLSAddr != "" {
			all = append(all, listener{"s2s-tls", s.cfg.S2STLSAddr, s.s2s.ServeDirectTLS})
		}
	}
	if s.components != nil {
		all = append(all, listener{"component", s.cfg.ComponentAddr, s.serveComponents})
	}
	var lns []net.Listener
	var specs []listener
	for _, l := range all {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, open := range lns {
				open.Close()
			}
			return fmt.Errorf("server: listen %s on %s: %w", l.name, l.addr, err)
		}
		lns = append(lns, ln)
		specs = append(specs, l)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(lns))
	for i, ln := range lns {
		s.log.Info("listening", "listener", specs[i].name, "addr", ln.Addr().String(), "domain", s.domain.String())
		wg.Go(func() {
			if err := specs[i].serve(ctx, ln); err != nil {
				errs <- fmt.Errorf("server: %s: %w", specs[i].name, err)
				cancel()
			}
		})
	}
	wg.Go(func() { trimMemory(ctx) })
	for _, m := range s.runners {
		wg.Go(func() { m.Run(ctx) })
	}
	s.log.Info("ready", "domain", s.domain.String())
	wg.Wait()
	close(errs)
	s.log.Info("stopped")
	return <-errs
}

// Sessions lists the bound client resources.
func (s *Server) Sessions() []SessionInfo {
	all := s.sessions.All()
	out := make([]SessionInfo, 0, len(all))
	for _, r := range all {
		out = append(out, SessionInfo{JID: r.Full(), Remote: r.Conn().RemoteAddr(), Since: r.Since()})
	}
	return out
}

// Rooms returns the chat room service (XEP-0045) for the admin tools, or nil when MUC is off.
func (s *Server) Rooms() *muc.Module { return s.muc }

// Disconnect ends every session of an account (after it was deleted or its password
// changed) and returns how many there were.
func (s *Server) Disconnect(bareJID string) int {
	resources := s.sessions.Resources(bareJID)
	for _, r := range resources {
		r.Conn().Close(&stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "account changed by the administrator"})
	}
	return len(resources)
}

// accountDirectory answers the router's "does this account exist" from the account store.
type accountDirectory struct{ accounts c2s.Accounts }

func (d accountDirectory) UserExists(ctx context.Context, bare string) (bool, error) {
	_, err := d.accounts.Credentials(ctx, bare)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// buildVersion is the module version stamped by the Go toolchain, "devel" from a checkout.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}
