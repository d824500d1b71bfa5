package component

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// conn is one component connection.
type conn struct {
	srv *Server
	nc  net.Conn
	id  uint64
	ip  string
	log *slog.Logger

	// Owned by the reader goroutine; domain is set once, before the component is bound.
	r      *xmlstream.Reader
	domain string

	wmu             sync.Mutex
	out             []byte      // queued bytes; guarded by wmu
	writing         bool        // a writer goroutine runs; guarded by wmu
	closing         bool        // no more stanzas accepted; guarded by wmu
	closeAfterFlush bool        // guarded by wmu
	headerSent      bool        // our stream header went out; guarded by wmu
	streamID        string      // guarded by wmu
	why             CloseReason // guarded by wmu
}

func newConn(s *Server, nc net.Conn, id uint64) *conn {
	return &conn{
		srv: s,
		nc:  nc,
		id:  id,
		ip:  hostOf(nc.RemoteAddr()),
		log: s.log.With("conn", id, "remote", nc.RemoteAddr().String()),
	}
}

// serve runs the connection from accept to close.
func (c *conn) serve(ctx context.Context) {
	defer c.srv.forget(c)
	c.r = xmlstream.NewReader(c.nc, xmlstream.Limits{MaxStanzaBytes: c.srv.cfg.Limits.MaxStanzaBytes})
	c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.Limits.NegotiationTimeout))
	err := c.negotiate(ctx)
	if err == nil {
		c.nc.SetReadDeadline(time.Time{})
		c.log.LogAttrs(ctx, slog.LevelInfo, "component connected", slog.String("domain", c.domain))
		err = c.readStanzas(ctx)
	}
	c.finish(ctx, err)
}

// finish closes the stream after the read loop ended with err.
func (c *conn) finish(ctx context.Context, err error) {
	var (
		ce *closeError
		se *stanza.StreamError
	)
	switch {
	case errors.As(err, &ce):
		c.closeReason(ce.se, ce.why)
	case errors.As(err, &se):
		c.closeReason(se, CloseStreamError)
	case errors.Is(err, errStreamClosed):
		c.closeReason(nil, CloseComponentEnded)
	case errors.Is(err, context.Canceled):
		c.closeReason(&stanza.StreamError{Condition: stanza.SystemShutdown}, CloseShutdown)
	case isTimeout(err):
		c.closeReason(&stanza.StreamError{Condition: stanza.ConnectionTimeout}, CloseTimeout)
	default:
		c.closeReason(nil, CloseReadError)
		// The peer is gone or the stream is broken: do not wait on a dead socket.
		c.nc.Close()
	}
	c.wmu.Lock()
	why := c.why
	c.wmu.Unlock()
	c.log.LogAttrs(ctx, slog.LevelInfo, "stream closed", slog.String("domain", c.domain), slog.String("reason", string(why)), errAttr(err))
}

// next reads the next top-level element; the component's </stream:stream> becomes
// errStreamClosed.
func (c *conn) next() (*stanza.Element, error) {
	el, err := c.r.Next()
	if errors.Is(err, io.EOF) {
		return nil, errStreamClosed
	}
	return el, err
}

func errAttr(err error) slog.Attr {
	if err == nil || errors.Is(err, errStreamClosed) {
		return slog.Attr{}
	}
	return slog.Any("err", err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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
