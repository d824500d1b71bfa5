package integration

import (
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// errStreamEnd is what rawConn.Next returns when the server closes its stream
// (</stream:stream>).
var errStreamEnd = errors.New("server sent </stream:stream>")

// rawConn is a client connection that writes bytes as given and reads the server's stream
// element by element: for input no client library would send. Every byte each way is logged.
type rawConn struct {
	t      *testing.T
	srv    *Server
	conn   net.Conn
	dec    *xml.Decoder
	header *Elem // the server's last stream header (attributes only)
}

// dialRaw opens a plain TCP connection to the server's c2s listener.
func dialRaw(t *testing.T, srv *Server) *rawConn {
	t.Helper()
	return dialRawAt(t, srv, srv.C2S)
}

// dialRawAt connects to one of srv's listeners: c2s, or s2s for transcripts that play
// another server.
func dialRawAt(t *testing.T, srv *Server, addr string) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	c := &rawConn{t: t, srv: srv, conn: conn}
	c.reset()
	t.Cleanup(func() { c.conn.Close() })
	return c
}

// streamHeader is the opening a client sends: jabber:client, version 1.0, to the domain.
func streamHeader(domain string) string {
	return "<?xml version='1.0'?><stream:stream to='" + domain +
		"' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
}

// reset starts a new decoder on the connection, for a new stream from the server (after
// STARTTLS or SASL success).
func (c *rawConn) reset() {
	c.dec = xml.NewDecoder(logReader{c: c})
	c.header = nil
}

type logReader struct{ c *rawConn }

func (r logReader) Read(p []byte) (int, error) {
	n, err := r.c.conn.Read(p)
	if n > 0 {
		r.c.t.Logf("raw S: %s", abbreviate(p[:n]))
	}
	return n, err
}

func abbreviate(b []byte) string {
	const max = 600
	if len(b) <= max {
		return string(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", b[:max], len(b))
}

// Write sends s. Big writes go in the background: a server that stops reading at its limit
// must not block the test, which still has to read the server's answer. Write errors are
// logged, not fatal: a server may close the connection before it has read everything, and
// what it answered decides the test.
func (c *rawConn) Write(s string) {
	c.t.Helper()
	c.t.Logf("raw C: %s", abbreviate([]byte(s)))
	if len(s) > 64<<10 {
		conn := c.conn
		go func() {
			// The result is not reported: the test may be over by then.
			conn.SetWriteDeadline(time.Now().Add(stanzaWait))
			io.WriteString(conn, s)
		}()
		return
	}
	c.conn.SetWriteDeadline(time.Now().Add(stanzaWait))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Logf("raw C: write: %v", err)
	}
}

// StartTLS upgrades the connection to TLS, trusting only the server's CA, after the server
// answered <proceed/>.
func (c *rawConn) StartTLS() {
	c.t.Helper()
	tc := tls.Client(c.conn, &tls.Config{ServerName: c.srv.Domain, RootCAs: c.srv.CAPool, MinVersion: tls.VersionTLS12})
	tc.SetDeadline(time.Now().Add(dialTimeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("raw: TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
	c.reset()
}

// Next returns the next top-level element the server sends, skipping its stream header
// (kept in c.header) and whitespace. It returns errStreamEnd at </stream:stream>, and the read
// error (io.EOF, a timeout) otherwise.
func (c *rawConn) Next(timeout time.Duration) (*Elem, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	defer c.conn.SetReadDeadline(time.Time{})
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space == nsStream && tok.Name.Local == "stream" {
				c.header = newElem(tok)
				continue
			}
			return readElem(c.dec, tok)
		case xml.EndElement:
			if tok.Name.Space == nsStream && tok.Name.Local == "stream" {
				return nil, errStreamEnd
			}
			return nil, fmt.Errorf("unexpected %v", tok)
		}
	}
}

// MustNext is Next that fails the test on an error.
func (c *rawConn) MustNext(what string) *Elem {
	c.t.Helper()
	el, err := c.Next(stanzaWait)
	if err != nil {
		c.t.Fatalf("raw: waiting for %s: %v", what, err)
	}
	return el
}

// ExpectClosed checks that the server ends its stream and closes the connection: the next
// read gives </stream:stream> and then end of file. A connection the server leaves open
// fails the test.
func (c *rawConn) ExpectClosed() {
	c.t.Helper()
	el, err := c.Next(stanzaWait)
	switch {
	case errors.Is(err, errStreamEnd):
	case err == nil:
		c.t.Fatalf("raw: expected </stream:stream>, got %s", el)
	default:
		c.t.Fatalf("raw: expected </stream:stream>, got error %v", err)
	}
	c.conn.SetReadDeadline(time.Now().Add(stanzaWait))
	buf := make([]byte, 512)
	for {
		n, err := c.conn.Read(buf)
		if n > 0 {
			c.t.Errorf("raw: data after </stream:stream>: %q", buf[:n])
		}
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("raw: the server did not close the connection within %v of </stream:stream>", stanzaWait)
		}
		// io.EOF, or a reset because the server closed with our bytes unread: closed.
		c.t.Logf("raw: connection closed (%v)", err)
		return
	}
}
