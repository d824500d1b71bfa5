package component

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// Config is what the component listener needs.
type Config struct {
	Domain  jid.JID        // the server's own domain: the 'from' of stream errors before a handshake
	Secrets Secrets        // required
	Router  *router.Router // required: where the components' stanzas go
	Logger  *slog.Logger   // required
	Limits  Limits
}

// Limits bound what one component connection can make the server do. Zero values take
// the defaults.
type Limits struct {
	MaxStanzaBytes     int64         // one stanza from the component; default 256 KiB
	NegotiationTimeout time.Duration // TCP accept to a successful handshake; default 30 s
	// MaxQueueBytes is how much may wait for a component that does not read before it is
	// cut off; default 4 MiB, more than a client's, since one component carries the
	// traffic of many users.
	MaxQueueBytes int
	WriteTimeout  time.Duration // one write to the component; default 30 s
	// MaxConnections bounds open connections, authenticated or not; default 64. A box
	// has a handful of components: more connections are someone knocking.
	MaxConnections int
	// HandshakeFailuresPerIP is how many failed handshakes a source address may make in
	// a minute before its handshakes are refused unchecked (and unlogged); default 10.
	HandshakeFailuresPerIP int
}

func (l *Limits) setDefaults() {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = 256 << 10
	}
	if l.NegotiationTimeout <= 0 {
		l.NegotiationTimeout = 30 * time.Second
	}
	if l.MaxQueueBytes <= 0 {
		l.MaxQueueBytes = 4 << 20
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 30 * time.Second
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = 64
	}
	if l.HandshakeFailuresPerIP <= 0 {
		l.HandshakeFailuresPerIP = 10
	}
}

// Server accepts component connections and routes stanzas between them and the router.
// Its methods are safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	throttle *throttle
	nextID   atomic.Uint64

	mu       sync.Mutex
	conns    map[*conn]struct{} // every open connection; guarded by mu
	links    map[string]*conn   // authenticated components by domain; guarded by mu
	stopping bool               // guarded by mu
	wg       sync.WaitGroup     // the connections' goroutines
}

// NewServer returns a Server. It routes nothing until Register and accepts nothing until
// Serve.
func NewServer(cfg Config) *Server {
	cfg.Limits.setDefaults()
	return &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		throttle: newThrottle(cfg.Limits.HandshakeFailuresPerIP, time.Minute),
		conns:    make(map[*conn]struct{}),
		links:    make(map[string]*conn),
	}
}

// Register makes r hand stanzas for component domains to s, and list the connected
// components among its services (disco#items). Call it once, before r routes anything,
// and before any federation handler: a component's domain is local to this box.
func (s *Server) Register(r *router.Router) {
	r.RegisterRemote(s.route)
	r.RegisterServiceDirectory(s.directory)
}

// Serve accepts connections on ln until ctx is cancelled, then closes ln, ends every
// stream with <system-shutdown/> and returns once they are gone. A nil error means ctx
// ended; anything else is the listener's failure.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.shutdown()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.shutdown()
			return err
		}
		c, ok := s.admit(nc)
		if !ok {
			continue
		}
		s.wg.Go(func() { c.serve(ctx) })
	}
}

// admit applies the connection limit and registers a new connection.
func (s *Server) admit(nc net.Conn) (*conn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || len(s.conns) >= s.cfg.Limits.MaxConnections {
		s.log.Warn("connection refused", "remote", nc.RemoteAddr().String(), "reason", CloseTooManyConns)
		nc.Close()
		return nil, false
	}
	c := newConn(s, nc, s.nextID.Add(1))
	s.conns[c] = struct{}{}
	return c, true
}

// forget removes a closed connection, and its domain if it had bound one.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.domain != "" && s.links[c.domain] == c {
		delete(s.links, c.domain)
	}
}

// bind makes c the connection of domain. It fails with a stream error when another
// connection has the domain, or when the server is stopping.
func (s *Server) bind(domain string, c *conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return fail(CloseShutdown, stanza.SystemShutdown, "")
	}
	if _, taken := s.links[domain]; taken {
		return fail(CloseConflict, stanza.StreamConflict, "a component for "+domain+" is already connected")
	}
	s.links[domain] = c
	return nil
}

// link returns the connection serving domain, or nil.
func (s *Server) link(domain string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.links[domain]
}

// shutdown ends every open stream with <system-shutdown/> and waits for them.
func (s *Server) shutdown() {
	s.mu.Lock()
	s.stopping = true
	open := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.closeReason(&stanza.StreamError{Condition: stanza.SystemShutdown}, CloseShutdown)
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		// A component that does not read: its socket is closed under it.
		for _, c := range open {
			c.nc.Close()
		}
		<-done
	}
}

// Connected lists the domains of the authenticated components, sorted.
func (s *Server) Connected() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.links))
	for d := range s.links {
		out = append(out, d)
	}
	s.mu.Unlock()
	slices.Sort(out)
	return out
}

// IsConnected reports whether a component serving domain is connected.
func (s *Server) IsConnected(domain string) bool { return s.link(domain) != nil }

// Disconnect ends the stream of the component serving domain with not-authorized (its
// secret was removed) and reports whether one was connected.
func (s *Server) Disconnect(domain string) bool {
	c := s.link(domain)
	if c == nil {
		return false
	}
	c.closeReason(&stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "component removed by the administrator"}, CloseRemoved)
	return true
}

// directory lists the connected components for disco#items.
func (s *Server) directory() []router.Service {
	domains := s.Connected()
	out := make([]router.Service, len(domains))
	for i, d := range domains {
		out[i] = router.Service{Domain: d}
	}
	return out
}
