package c2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// Config is what the c2s server needs.
type Config struct {
	Domain   jid.JID
	TLS      *tls.Config
	Leaf     func(serverName string) (*x509.Certificate, error) // for tls-server-end-point
	Accounts Accounts
	Router   *router.Router
	PreAuth  PreAuth // requests served before authentication (registration); nil: none
	Logger   *slog.Logger
	Limits   Limits
}

// Limits bound what one client can make the server do.
type Limits struct {
	MaxStanzaBytes      int64
	MaxConnections      int
	MaxConnectionsPerIP int
	AuthFailuresPerIP   int           // per minute
	AuthFailuresPerUser int           // per minute
	NegotiationTimeout  time.Duration // accept to bound resource
	MaxQueueBytes       int           // outbound bytes queued for a slow client before it is cut off
	WriteTimeout        time.Duration
	ResumeTimeout       time.Duration // how long a broken XEP-0198 session waits for the client
	PingInterval        time.Duration // quiet time before the server pings a client
	PingTimeout         time.Duration // how long a pinged client may stay quiet
	MaxUnackedBytes     int           // stanzas kept for a client that does not acknowledge them
}

func (l *Limits) setDefaults() {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = 256 << 10
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = 10000
	}
	if l.MaxConnectionsPerIP <= 0 {
		l.MaxConnectionsPerIP = 100
	}
	if l.AuthFailuresPerIP <= 0 {
		l.AuthFailuresPerIP = 10
	}
	if l.AuthFailuresPerUser <= 0 {
		l.AuthFailuresPerUser = 5
	}
	if l.NegotiationTimeout <= 0 {
		l.NegotiationTimeout = 60 * time.Second
	}
	if l.MaxQueueBytes <= 0 {
		l.MaxQueueBytes = 1 << 20
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 30 * time.Second
	}
	if l.PingInterval <= 0 {
		l.PingInterval = 5 * time.Minute
	}
	if l.PingTimeout <= 0 {
		l.PingTimeout = time.Minute
	}
	if l.ResumeTimeout <= 0 {
		l.ResumeTimeout = 5 * time.Minute
	}
	if l.MaxUnackedBytes <= 0 {
		l.MaxUnackedBytes = 4 << 20
	}
}

// Server accepts client connections on any number of listeners.
type Server struct {
	cfg      Config
	log      *slog.Logger
	throttle *throttle
	nextID   atomic.Uint64
	bufs     bufPool
	stats    counters

	smMu       sync.Mutex
	smSessions map[string]*smSession // resumable sessions by id; guarded by smMu

	mu       sync.Mutex
	conns    map[*conn]struct{} // guarded by mu
	perIP    map[string]int     // open connections per source address; guarded by mu
	stopping bool               // guarded by mu
	wg       sync.WaitGroup
}

// NewServer returns a Server; it serves nothing until Serve is called.
func NewServer(cfg Config) *Server {
	cfg.Limits.setDefaults()
	return &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		throttle:   newThrottle(cfg.Limits.AuthFailuresPerIP, cfg.Limits.AuthFailuresPerUser, time.Minute),
		conns:      make(map[*conn]struct{}),
		smSessions: make(map[string]*smSession),
		perIP:      make(map[string]int),
	}
}

// Serve accepts connections on ln until ctx is cancelled, then closes ln, ends every
// stream it accepted with <system-shutdown/> and returns once they are gone. directTLS
// selects XEP-0368 (TLS from the first byte) instead of STARTTLS.
func (s *Server) Serve(ctx context.Context, ln net.Listener, directTLS bool) error {
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
			return err
		}
		c, ok := s.admit(nc)
		if !ok {
			continue
		}
		s.wg.Go(func() { c.serve(ctx, directTLS) })
	}
}

// admit applies the connection limits and registers a new connection.
func (s *Server) admit(nc net.Conn) (*conn, bool) {
	ip := hostOf(nc.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || len(s.conns) >= s.cfg.Limits.MaxConnections || s.perIP[ip] >= s.cfg.Limits.MaxConnectionsPerIP {
		s.log.Warn("connection refused", "remote", nc.RemoteAddr().String(), "reason", CloseTooManyConns)
		nc.Close()
		return nil, false
	}
	c := newConn(s, nc, s.nextID.Add(1), ip)
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	return c, true
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
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
		// A client that does not read: its socket is closed under it.
		for _, c := range open {
			c.nc.Close()
		}
		<-done
	}
}

// Count returns the number of open client connections.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
