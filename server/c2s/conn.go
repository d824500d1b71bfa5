package c2s

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// conn is one client connection.
type conn struct {
	srv *Server
	nc  net.Conn // the TCP connection
	id  uint64
	ip  string
	log *slog.Logger

	// Owned by the reader goroutine.
	r       *xmlstream.Reader
	tlsConn *tls.Conn
	user    string // authenticated localpart
	res     *session.Resource

	lastRead  atomic.Int64               // see activityReader
	keepalive atomic.Pointer[time.Timer] // the ping timer of startKeepalive

	wmu sync.Mutex
	// w is the transport writes go to: nc, then the TLS connection. Guarded by wmu.
	w               net.Conn
	out             []byte // queued bytes; guarded by wmu
	writing         bool   // a writer goroutine runs; guarded by wmu
	closing         bool   // no more stanzas accepted; guarded by wmu
	closeAfterFlush bool   // guarded by wmu
	headerSent      bool   // our stream header for the current stream went out; guarded by wmu
	streamID        string // guarded by wmu
	// sm is the stream-management session once enabled or resumed. It is set by the
	// reader with wmu held, so the reader may read it without the lock.
	sm  *smSession
	why CloseReason // guarded by wmu
	// inactive is the XEP-0352 client state; held is what it keeps back. Guarded by wmu.
	inactive bool
	held     held
}

func newConn(s *Server, nc net.Conn, id uint64, ip string) *conn {
	return &conn{
		srv: s,
		nc:  nc,
		w:   nc,
		id:  id,
		ip:  ip,
		log: s.log.With("conn", id, "remote", nc.RemoteAddr().String()),
	}
}

// RemoteAddr implements session.Conn.
func (c *conn) RemoteAddr() string { return c.nc.RemoteAddr().String() }

func (c *conn) jidString() string {
	if c.res != nil {
		return c.res.Full()
	}
	return c.user
}

// serve runs the connection from accept to close.
func (c *conn) serve(ctx context.Context, directTLS bool) {
	c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.Limits.NegotiationTimeout))
	if err := c.negotiate(ctx, directTLS); err != nil {
		c.finish(ctx, err)
		c.srv.forget(c)
		return
	}
	c.nc.SetReadDeadline(time.Time{})
	// The TLS handshake and SASL grew this goroutine's stack to 16 KiB or more, and Go
	// keeps it while more than a quarter is in use. The session's read loop, which parks
	// for hours, runs on a fresh goroutine whose stack only grows to what reading needs:
	// measured, this halved the stack memory of an idle connection.
	c.srv.wg.Go(func() {
		defer c.srv.forget(c)
		c.startKeepalive()
		err := c.readStanzas(ctx)
		c.keepalive.Load().Stop()
		c.finish(ctx, err)
	})
}

// finish closes the stream after the read loop ended with err and unbinds the resource.
func (c *conn) finish(ctx context.Context, err error) {
	var se *stanza.StreamError
	switch {
	case errors.As(err, &se):
		c.closeReason(se, CloseStreamError)
	case errors.Is(err, errStreamClosed):
		c.closeReason(nil, CloseClientEnded)
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
	// Ending a session writes state (presence broadcasts, redelivery) that must happen
	// even while the server shuts down and its context is already cancelled.
	ctx = context.WithoutCancel(ctx)
	c.endSession(ctx, why)
	c.log.LogAttrs(ctx, slog.LevelInfo, "stream closed", slog.String("jid", c.jidString()), slog.String("reason", string(why)), errAttr(err))
}

// endSession unbinds the resource, or keeps it for resumption when the connection broke
// under a resumable stream-management session (XEP-0198 §5).
func (c *conn) endSession(ctx context.Context, why CloseReason) {
	if c.res == nil {
		return
	}
	sm := c.sm
	if sm == nil {
		c.srv.cfg.Router.Unbind(ctx, c.res)
		return
	}
	sm.mu.Lock()
	owned := sm.owner == c
	sm.mu.Unlock()
	if !owned {
		return // resumed on another connection, which owns the resource now
	}
	switch why {
	case CloseReadError, CloseWriteError, CloseTimeout:
		if c.detach() {
			c.log.LogAttrs(ctx, slog.LevelInfo, "stream detached", slog.String("jid", c.res.Full()), slog.Duration("dur", sm.timeout))
			return
		}
	}
	c.srv.smEnd(sm)
	c.srv.cfg.Router.Unbind(ctx, c.res)
	c.srv.redeliver(ctx, sm.takeUnacked())
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

// next reads the next top-level element; the client's </stream:stream> becomes errStreamClosed.
func (c *conn) next() (*stanza.Element, error) {
	el, err := c.r.Next()
	if errors.Is(err, io.EOF) {
		return nil, errStreamClosed
	}
	return el, err
}

// resetReader starts a new XML stream on the current transport (after TLS or SASL).
func (c *conn) resetReader() {
	var src io.Reader = c.nc
	if c.tlsConn != nil {
		src = c.tlsConn
	}
	c.r = xmlstream.NewReader(activityReader{src, &c.lastRead}, xmlstream.Limits{MaxStanzaBytes: c.srv.cfg.Limits.MaxStanzaBytes})
	c.wmu.Lock()
	c.headerSent = false
	c.wmu.Unlock()
}

// openStream reads the client's stream header, checks it, and answers with our header
// and features.
func (c *conn) openStream(features *stanza.Element) error {
	h, err := c.r.Header()
	if err != nil {
		return err
	}
	if h.NS != stanza.NSClient {
		return &stanza.StreamError{Condition: stanza.InvalidNamespace}
	}
	if h.Version != "1.0" {
		// RFC 6120 §4.7.5: we speak only 1.0; a pre-XMPP client cannot negotiate TLS anyway.
		return &stanza.StreamError{Condition: stanza.UnsupportedVersion}
	}
	if h.To != "" && h.To != c.srv.cfg.Domain.String() {
		return &stanza.StreamError{Condition: stanza.HostUnknown}
	}
	c.wmu.Lock()
	c.streamID = newID()
	buf := c.appendHeader(nil)
	c.headerSent = true
	c.wmu.Unlock()
	buf = features.AppendXML(buf, stanza.NSClient)
	return c.writeNow(buf)
}

// appendHeader writes our stream header. Call with wmu held.
func (c *conn) appendHeader(dst []byte) []byte {
	if c.streamID == "" {
		c.streamID = newID()
	}
	return xmlstream.AppendHeader(dst, xmlstream.Header{
		From:    c.srv.cfg.Domain.String(),
		ID:      c.streamID,
		Version: "1.0",
		Lang:    "en",
		NS:      stanza.NSClient,
	})
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
