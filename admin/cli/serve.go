package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/config"
	"xmppbox/admin/metrics"
	"xmppbox/embeddb"
	"xmppbox/server"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/register"
	"xmppbox/server/s2s"
	"xmppbox/server/tlsconf"
	"xmppbox/webadmin"
)

func newServeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [--data DIR] [listener flags]",
		Short: "Run the server",
		Long: `Run the XMPP server until SIGINT or SIGTERM.

With no setup in the data directory it first creates one for the domain "localhost", as
"xmppbox init --yes --domain localhost" would, and prints the admin password on stderr.

Listener addresses come from the config file; a flag or environment variable overrides
them (flag > environment > file > default). An empty address disables a listener.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := make(map[string]string)
			cmd.Flags().Visit(func(f *pflag.Flag) { flags[f.Name] = f.Value.String() })
			return e.serve(cmd, config.Overrides{Flags: flags, LookupEnv: e.lookupEnv})
		},
	}
	for _, s := range config.Overridable() {
		// The flag's own default stays empty: only a flag given on the command line
		// overrides the file (see config.Overrides).
		cmd.Flags().String(s.Flag, "", s.Usage+" [env "+s.Env+"]")
	}
	return cmd
}

func (e *env) serve(cmd *cobra.Command, o config.Overrides) (err error) {
	dir, err := e.data()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, config.FileName)); errors.Is(err, fs.ErrNotExist) {
		// Set up only a missing or empty directory: anything else is a broken setup or
		// not ours, and the operator decides (init refuses both without --force).
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return fmt.Errorf("data dir %s has no %s but is not empty: run \"xmppbox init\" "+
				"(with --force to replace a broken setup), or give another --data DIR", dir, config.FileName)
		}
		res, err := setup(cmd.Context(), setupOptions{dataDir: dir, domain: "localhost", admin: "admin", logger: cliLogger(cmd)})
		if err != nil {
			return fmt.Errorf("no setup in %s, and creating one failed: %w", dir, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "No setup found in %s: created one for the domain \"localhost\".\n"+
			"Run \"xmppbox init --force\" to serve a real domain.\n\n", dir)
		printSetup(cmd.ErrOrStderr(), res)
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	cfg, err := loadConfig(dir, o)
	if err != nil {
		return err
	}
	level, _ := config.ParseLevel(cfg.LogLevel) // validated by Load
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))

	if _, set := e.lookupEnv("GOGC"); !set {
		// Idle connections dominate a small box's memory; a heap goal of 1.5× the live
		// heap instead of 2× cut the measured RSS per idle connection by about 15%, and
		// the message path has the CPU to spare.
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Resources are released in reverse order of acquisition by the defers below.
	db, err := openStore(dir, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	var acme *tlsconf.ACME
	if cfg.ACME != nil {
		acme = &tlsconf.ACME{DirectoryURL: cfg.ACME.DirectoryURL, Email: cfg.ACME.Email,
			TrustedRootsFile: cfg.ACME.TrustedRootsFile}
	}
	// The service domains get certificates too: servers that federate with this one
	// (XEP-0045 rooms joined from elsewhere) authenticate them with TLS.
	domains := []string{cfg.Domain}
	if cfg.MUC.Enabled {
		mucDomain := cfg.MUC.Domain
		if mucDomain == "" {
			mucDomain = "conference." + cfg.Domain
		}
		domains = append(domains, mucDomain)
	}
	certs, err := tlsconf.New(ctx, tlsconf.Config{
		DataDir: dir,
		Domains: domains,
		ACME:    acme,
		Logger:  log,
	})
	if err != nil {
		return err
	}
	defer certs.Close()

	// Settings changed in the web page override the file's.
	if st, ok, err := admin.StoredSettings(ctx, db); err != nil {
		return err
	} else if ok {
		cfg.Register.Enabled = st.Registration != admin.RegistrationClosed
		cfg.Register.InviteOnly = st.Registration == admin.RegistrationInvite
		cfg.MAM.Retention = st.MAMRetention
		log.Info("settings from the web page override the config file", "registration", st.Registration, "mam_retention", st.MAMRetention)
	}
	ca, err := tlsconf.LoadCA(dir)
	if err != nil {
		return err
	}
	staticPeers, err := cfg.PeerConfigs(dir)
	if err != nil {
		return err
	}
	caInfo := &admin.CAInfo{PEM: ca.PEM(), DER: ca.Certificate().Raw, Fingerprint: ca.Fingerprint(),
		Subject: ca.Certificate().Subject.String(), NotAfter: ca.Certificate().NotAfter}

	srv, err := server.New(server.Config{
		Domain:     cfg.Domain,
		C2SAddr:    cfg.Listeners.C2S,
		C2STLSAddr: cfg.Listeners.C2STLS,
		TLS:        certs.TLSConfig(),
		Leaf:       certs.Leaf,
		Accounts:   db.Accounts(),
		Rosters:    db.Rosters(),
		Offline:    db.Offline(),
		Invites:    db.Invites(),
		VCards:     db.VCards(),
		Private:    db.Private(),
		PEP:        db.PEP(),
		Blocklists: db.Blocklists(),
		Archive:    archiveIf(cfg.MAM.Enabled, db),
		// External components (XEP-0114) log in with the secrets "component add" stores.
		ComponentAddr: cfg.Listeners.Component,
		Components:    db.Components(),
		MUC: server.MUC{Enabled: cfg.MUC.Enabled, Options: muc.Options{Domain: cfg.MUC.Domain,
			MaxOccupants: cfg.MUC.MaxOccupants, MaxRoomsPerUser: cfg.MUC.MaxRoomsPerUser,
			MessagesPerSec: cfg.MUC.MessagesPerSecond, MessageBurst: cfg.MUC.MessageBurst}},
		Rooms:      db.Rooms(),
		S2SAddr:    cfg.Listeners.S2S,
		S2STLSAddr: cfg.Listeners.S2STLS,
		S2S: server.S2S{
			Peers:          s2s.StoredPeers{Store: db.Peers(), Static: staticPeers, Log: log},
			Policy:         s2s.Policy(cfg.S2S.Policy),
			Federation:     s2s.Federation(cfg.S2S.Federation),
			Deny:           cfg.S2S.Deny,
			Roots:          federationRoots(ca, log),
			MaxConnections: cfg.S2S.MaxConnections,
			IdleTimeout:    cfg.S2S.IdleTimeout,
		},
		Logger: log,
		Limits: server.Limits{
			MaxStanzaBytes:      cfg.Limits.MaxStanzaBytes,
			MaxConnections:      cfg.Limits.MaxConnections,
			MaxConnectionsPerIP: cfg.Limits.MaxConnectionsPerIP,
			AuthFailuresPerIP:   cfg.Limits.AuthFailuresPerIP,
			NegotiationTimeout:  cfg.Limits.NegotiationTimeout,
			ResumeTimeout:       cfg.Limits.ResumeTimeout,
			PingInterval:        cfg.Limits.PingInterval,
			PingTimeout:         cfg.Limits.PingTimeout,
			MaxOfflineMessages:  cfg.Limits.MaxOfflineMessages,
			MaxVCardBytes:       cfg.Limits.MaxVCardBytes,
			ArchiveRetention:    cfg.MAM.Retention,
		},
		Register: register.Options{
			Enabled:      cfg.Register.Enabled,
			InviteOnly:   cfg.Register.InviteOnly,
			PerIPPerHour: cfg.Register.MaxPerIPPerHour,
			Iterations:   cfg.Auth.SCRAMIterations,
		},
	})
	if err != nil {
		return err
	}
	svc, err := admin.New(admin.Config{
		Peers:       db.Peers(),
		StaticPeers: staticPeers,
		Federation:  federationOf(srv),
		Domain:      cfg.Domain,
		Accounts:    db.Accounts(),
		Invites:     db.Invites(),
		Sessions:    serverSessions{srv},
		Rooms:       roomsOf(srv),
		Settings:    db,
		Live:        liveSettings{srv},
		StoreSize:   db.Size,
		CertExpiry: func() (time.Time, error) {
			leaf, err := certs.Leaf(cfg.Domain)
			if err != nil {
				return time.Time{}, err
			}
			return leaf.NotAfter, nil
		},
		CA:         caInfo,
		Components: db.Components(),
		Iterations: cfg.Auth.SCRAMIterations,
		Logger:     log,
		// The running server tells which components are connected, and ends the stream
		// of one that is deleted.
		ComponentLinks: serverComponents{srv},
		MUCDomain:      mucDomainOf(cfg),
	})
	if err != nil {
		return err
	}
	webs, err := openHTTP(cfg, svc, srv, db, certs, log)
	if err != nil {
		return err
	}
	sock := filepath.Join(dir, api.SocketName)
	ln, err := api.Listen(sock)
	if err != nil {
		for _, w := range webs {
			w.ln.Close()
		}
		return err
	}

	// The admin API, the HTTP listeners and the server run side by side; whichever stops
	// first (ctx done, or a failure) stops the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(webs)+1)
	wg.Go(func() {
		errs <- api.NewServer(svc, log.With("listener", "admin")).Serve(ctx, ln)
		cancel()
	})
	log.LogAttrs(ctx, slog.LevelInfo, "listening", slog.String("listener", "admin"), slog.String("addr", sock))
	for _, l := range webs {
		wg.Go(func() {
			errs <- l.serve(ctx, log)
			cancel()
		})
	}
	wg.Go(func() { svc.Run(ctx) })
	warnNoAdmin(ctx, db.Accounts(), log)
	runErr := srv.Run(ctx) // logs "listening" per listener, "ready" and "stopped"
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// openHTTP opens the HTTP services serve runs besides the XMPP ones, as configured: the
// web page over HTTPS, plain HTTP redirecting to it, and metrics. On failure nothing
// stays open.
func openHTTP(cfg *config.Config, svc *admin.Service, srv *server.Server, db *embeddb.DB, certs *tlsconf.Manager, log *slog.Logger) (_ []*httpListener, err error) {
	var open []*httpListener
	defer func() {
		if err != nil {
			for _, l := range open {
				l.ln.Close()
			}
		}
	}()
	add := func(l *httpListener) error {
		if err := l.listen(); err != nil {
			return err
		}
		open = append(open, l)
		return nil
	}
	httpsPort := ""
	if cfg.Listeners.HTTPS != "" {
		web, err := webadmin.New(webadmin.Options{Backend: svc, Logger: log.With("listener", "https"), Domain: cfg.Domain})
		if err != nil {
			return nil, err
		}
		// The XMPP listeners' TLS settings, with HTTP's ALPN instead of XMPP's.
		tc := certs.TLSConfig().Clone()
		tc.NextProtos = []string{"http/1.1"}
		l := &httpListener{name: "https", addr: cfg.Listeners.HTTPS, handler: web, tls: tc}
		if err := add(l); err != nil {
			return nil, err
		}
		_, httpsPort, _ = net.SplitHostPort(l.ln.Addr().String()) // the real port, also for ":0"
	}
	if cfg.Listeners.HTTP != "" {
		var h http.Handler = http.NotFoundHandler()
		if httpsPort != "" {
			h = webadmin.Redirect(httpsPort)
		}
		if err := add(&httpListener{name: "http", addr: cfg.Listeners.HTTP, handler: h}); err != nil {
			return nil, err
		}
	}
	if cfg.Listeners.Metrics != "" {
		h := metrics.Handler(metrics.Options{Source: serverSessions{srv}, StoreSize: db.Size, Version: admin.Version()})
		if err := add(&httpListener{name: "metrics", addr: cfg.Listeners.Metrics, handler: h}); err != nil {
			return nil, err
		}
	}
	return open, nil
}

// archiveIf is the message archive, or nil (archiving off) when [mam] enabled = false. A
// nil *embeddb.Archive would make a non-nil interface, hence the function.
func archiveIf(enabled bool, db *embeddb.DB) mam.Archive {
	if !enabled {
		return nil
	}
	return db.Archive()
}

// serverSessions adapts *server.Server to admin.Sessions.
type serverSessions struct{ s *server.Server }

func (a serverSessions) Sessions() []admin.Session {
	in := a.s.Sessions()
	out := make([]admin.Session, 0, len(in))
	for _, si := range in {
		out = append(out, admin.Session{JID: si.JID, Remote: si.Remote, Since: si.Since})
	}
	return out
}

func (a serverSessions) Disconnect(bareJID string) int { return a.s.Disconnect(bareJID) }

func (a serverSessions) Kick(fullJID string) bool { return a.s.Kick(fullJID) }

func (a serverSessions) MakeContacts(ctx context.Context, x, y string) error {
	return a.s.MakeContacts(ctx, x, y)
}

func (a serverSessions) Stats() admin.ServerStats {
	st := a.s.Stats()
	return admin.ServerStats{Started: st.Started, Connections: st.Connections, Sessions: st.Sessions,
		StanzasIn: st.StanzasIn, StanzasOut: st.StanzasOut, AuthSuccesses: st.AuthSuccesses, AuthFailures: st.AuthFailures}
}

// liveSettings adapts *server.Server to admin.LiveSettings.
type liveSettings struct{ s *server.Server }

func (l liveSettings) Registration() string {
	p := l.s.RegistrationPolicy()
	switch {
	case !p.Enabled:
		return admin.RegistrationClosed
	case p.InviteOnly:
		return admin.RegistrationInvite
	}
	return admin.RegistrationOpen
}

func (l liveSettings) SetRegistration(mode string) {
	l.s.SetRegistrationPolicy(register.Policy{Enabled: mode != admin.RegistrationClosed, InviteOnly: mode == admin.RegistrationInvite})
}

func (l liveSettings) ArchiveRetention() time.Duration     { return l.s.ArchiveRetention() }
func (l liveSettings) SetArchiveRetention(d time.Duration) { l.s.SetArchiveRetention(d) }

// roomsOf is the server's chat room service for admin.Config, or nil (room operations
// fail with admin.ErrNoRooms) when MUC is off. A nil *muc.Module would make a non-nil
// interface, hence the function.
func roomsOf(s *server.Server) admin.Rooms {
	m := s.Rooms()
	if m == nil {
		return nil
	}
	return serverRooms{m}
}

// serverRooms adapts *muc.Module to admin.Rooms: its types, and its errors to admin's kinds.
type serverRooms struct{ m *muc.Module }

func (a serverRooms) Rooms(ctx context.Context) ([]admin.Room, error) {
	in, err := a.m.Rooms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.Room, 0, len(in))
	for _, r := range in {
		out = append(out, adminRoom(r))
	}
	return out, nil
}

func (a serverRooms) CreateRoom(ctx context.Context, name, owner string) (admin.Room, error) {
	r, err := a.m.CreateRoom(ctx, name, owner, nil)
	return adminRoom(r), mucError(err)
}

func (a serverRooms) DestroyRoom(ctx context.Context, name, reason string) error {
	return mucError(a.m.DestroyRoom(ctx, name, reason))
}

func (a serverRooms) SetAffiliation(ctx context.Context, name, bareJID, affiliation string) error {
	return mucError(a.m.SetAffiliation(ctx, name, bareJID, affiliation))
}

func adminRoom(r muc.RoomInfo) admin.Room {
	return admin.Room{JID: r.JID, Name: r.Name, Persistent: r.Persistent, Public: r.Public, Occupants: r.Occupants}
}

// mucError maps the MUC module's error kinds to admin's.
func mucError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, muc.ErrNotFound):
		return fmt.Errorf("%w: %w", admin.ErrNoRoom, err)
	case errors.Is(err, muc.ErrRoomExists):
		return fmt.Errorf("%w: %w", admin.ErrRoomExists, err)
	case errors.Is(err, muc.ErrInvalid):
		return fmt.Errorf("%w: %w", admin.ErrInvalid, err)
	}
	return err
}

// warnNoAdmin tells the operator how to reach the web page's admin pages when no
// account may: a box set up before accounts had an admin flag has none.
func warnNoAdmin(ctx context.Context, accounts *embeddb.Accounts, log *slog.Logger) {
	all, err := accounts.ListAccounts(ctx)
	if err != nil {
		return // the store's trouble shows elsewhere
	}
	for _, j := range all {
		if isAdmin, _, err := accounts.AccountFlags(ctx, j); err == nil && isAdmin {
			return
		}
	}
	log.Warn("no account is an administrator: make one with \"xmppbox user promote NAME\" to use the admin web page")
}

// federationRoots are the roots other servers' certificates are checked against when a
// peer has no CA of its own: the system's, and this box's CA, which other xmppbox boxes
// of the same operator may share.
func federationRoots(ca *tlsconf.CA, log *slog.Logger) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil {
		log.Warn("no system certificate roots: only configured peer CAs and this box's CA are trusted", "err", err)
		pool = x509.NewCertPool()
	}
	pool.AddCert(ca.Certificate())
	return pool
}

// serverComponents adapts *server.Server to admin.ComponentLinks.
type serverComponents struct{ s *server.Server }

func (a serverComponents) ComponentConnected(d string) bool  { return a.s.ComponentConnected(d) }
func (a serverComponents) DisconnectComponent(d string) bool { return a.s.DisconnectComponent(d) }

// federationOf is the server's federation links for admin.Config, or nil when federation
// is off: a nil *server.Server method value would make a non-nil interface.
func federationOf(s *server.Server) admin.Federation {
	if !s.Federating() {
		return nil
	}
	return s
}
