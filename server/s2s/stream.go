package s2s

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// writeTimeout bounds one write to a remote server.
const writeTimeout = 30 * time.Second

// stream is one TCP connection with another server, in either direction: the XML reader
// of the current stream (renewed after STARTTLS and SASL) and serialized writes.
type stream struct {
	nc     net.Conn // TCP, or TLS once negotiated
	tls    *tls.Conn
	r      *xmlstream.Reader
	limit  int64
	id     string // our stream id (incoming) or the peer's (outgoing)
	wmu    sync.Mutex
	closed bool // guarded by wmu
	// headerSent: our header for the current stream went out (guarded by wmu); a stream
	// error before it needs a header first (RFC 6120 §4.9.1.1).
	headerSent bool
	lastUse    time.Time
}

func newStream(nc net.Conn, limit int64) *stream {
	s := &stream{nc: nc, limit: limit, lastUse: time.Now()}
	s.reset()
	return s
}

// reset starts reading a new stream on the current transport.
func (s *stream) reset() {
	s.r = xmlstream.NewReader(s.nc, xmlstream.Limits{MaxStanzaBytes: s.limit})
	s.wmu.Lock()
	s.headerSent = false
	s.wmu.Unlock()
}

// startTLS replaces the transport with tc, whose handshake the caller runs.
func (s *stream) startTLS(tc *tls.Conn) {
	s.nc, s.tls = tc, tc
	s.reset()
}

// next reads the next element, with jabber:server renamed to jabber:client. The peer's
// </stream:stream> is io.EOF.
func (s *stream) next(deadline time.Time) (*stanza.Element, error) {
	s.nc.SetReadDeadline(deadline)
	el, err := s.r.Next()
	if err != nil {
		return nil, err
	}
	el.Rename(NSServer, stanza.NSClient)
	return el, nil
}

// write sends b; it is safe for concurrent use.
func (s *stream) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	s.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := s.nc.Write(b)
	return err
}

// send writes a stanza.
func (s *stream) send(el *stanza.Element) error {
	// Written as if jabber:client were the parent namespace, our stanzas come out
	// unqualified and so in the stream's default namespace, jabber:server.
	return s.write(el.AppendXML(nil, stanza.NSClient))
}

// header writes our stream header. It declares the dialback prefix too: XEP-0220 §2.1
// servers of old expect <db:result/> under that prefix declared on the stream.
func (s *stream) header(from, to, id string) error {
	s.wmu.Lock()
	s.headerSent = true
	s.wmu.Unlock()
	return s.write(appendHeader(nil, from, to, id))
}

func appendHeader(dst []byte, from, to, id string) []byte {
	h := xmlstream.AppendHeader(dst, xmlstream.Header{From: from, To: to, ID: id, Version: "1.0", NS: NSServer})
	return append(h[:len(h)-1], " xmlns:db='"+nsDialback+"'>"...)
}

// close ends the stream with an optional stream error and closes the connection.
func (s *stream) close(e *stanza.StreamError) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	var b []byte
	if e != nil {
		if !s.headerSent {
			b = appendHeader(b, "", "", newStreamID())
		}
		b = e.AppendXML(b)
	}
	b = append(b, xmlstream.Close...)
	s.nc.SetWriteDeadline(time.Now().Add(time.Second))
	s.nc.Write(b)
	s.nc.Close()
}

// readHeader reads the peer's stream header and checks that it is a 1.0 server stream.
func (s *stream) readHeader(deadline time.Time) (xmlstream.Header, error) {
	s.nc.SetReadDeadline(deadline)
	h, err := s.r.Header()
	if err != nil {
		return h, err
	}
	if h.NS != NSServer {
		return h, &stanza.StreamError{Condition: stanza.InvalidNamespace, Text: "expected " + NSServer}
	}
	if h.Version != "1.0" {
		return h, &stanza.StreamError{Condition: stanza.UnsupportedVersion}
	}
	return h, nil
}

func newStreamID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isEOF reports the peer ending its stream or connection.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
