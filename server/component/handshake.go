package component

import (
	"context"
	"crypto/rand"
	"crypto/sha1" // #nosec G505: XEP-0114 fixes SHA-1 for the handshake
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// negotiate runs XEP-0114 §3 up to the server's empty <handshake/>: the component's
// stream header names its domain, we answer with a stream id, and the component proves
// it knows the shared secret. On success c.domain is set and the component is bound.
func (c *conn) negotiate(ctx context.Context) error {
	h, err := c.r.Header()
	if err != nil {
		return err
	}
	if h.NS != NS {
		return &stanza.StreamError{Condition: stanza.InvalidNamespace, Text: "expected " + NS}
	}
	if h.To == "" {
		return &stanza.StreamError{Condition: stanza.ImproperAddressing, Text: "the stream header needs to='component domain'"}
	}
	domain, ok := componentDomain(h.To)
	c.wmu.Lock()
	c.streamID = newID()
	id := c.streamID
	if ok {
		// The header answers from the name the component asked for, before we know
		// whether we serve it: an unknown name fails like a wrong secret (see doc.go).
		c.appendHeaderLocked(domain)
	}
	c.wmu.Unlock()
	if !ok {
		return &stanza.StreamError{Condition: stanza.HostUnknown, Text: "a component serves a domain: give to='domain'"}
	}
	el, err := c.next()
	if err != nil {
		return err
	}
	if el.Name.Space != NS || el.Name.Local != "handshake" {
		return fail(CloseAuthFailed, stanza.StreamNotAuthorized, "send <handshake/> first")
	}
	if err := c.checkHandshake(ctx, domain, id, el.Text()); err != nil {
		return err
	}
	c.domain = domain
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return ErrClosed
	}
	// Bound and acknowledged under wmu, so no stanza routed to the new component can be
	// queued before the <handshake/> that tells it the stream is ready.
	if err := c.srv.bind(domain, c); err != nil {
		if errors.Is(err, &stanza.StreamError{Condition: stanza.StreamConflict}) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "component refused", slog.String("domain", domain), slog.String("reason", string(CloseConflict)))
		}
		return err
	}
	c.appendLocked([]byte("<handshake/>"))
	return nil
}

// checkHandshake compares the component's digest with hex(SHA-1(id + secret)) in
// constant time. An unknown domain and a wrong secret give the same stream error; the
// log tells them apart. Failures count against the source address: once it made too
// many in a window, its handshakes are refused unchecked and unlogged, so neither
// guessing nor the log it would fill can go on at speed.
func (c *conn) checkHandshake(ctx context.Context, domain, id, digest string) error {
	now := time.Now()
	if c.srv.throttle.blocked(c.ip, now) {
		return fail(CloseAuthFailed, stanza.StreamNotAuthorized, "too many failed handshakes; try again later")
	}
	secret, err := c.srv.cfg.Secrets.ComponentSecret(ctx, domain)
	known := err == nil
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Compare with a secret nobody knows, so an unknown domain costs what a known one does.
		secret = rand.Text()
	case err != nil:
		c.log.LogAttrs(ctx, slog.LevelError, "component secret lookup failed", slog.Any("err", err))
		return fail(CloseAuthFailed, stanza.StreamInternalServerError, "")
	}
	want := handshakeDigest(id, secret)
	got := strings.ToLower(strings.TrimSpace(digest))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 && known {
		return nil
	}
	reason := "wrong secret"
	if !known {
		reason = "unknown domain"
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "component handshake failed", slog.String("domain", domain), slog.String("reason", reason))
	if c.srv.throttle.fail(c.ip, now) {
		// Logged once per window: from here on this source's attempts are not logged.
		c.log.LogAttrs(ctx, slog.LevelWarn, "component handshakes throttled", slog.Duration("dur", c.srv.throttle.window))
	}
	return fail(CloseAuthFailed, stanza.StreamNotAuthorized, "")
}

// handshakeDigest is the handshake's content for a stream id and a secret (XEP-0114 §3):
// SHA-1 of their concatenation, in lower-case hex.
func handshakeDigest(id, secret string) string {
	sum := sha1.Sum([]byte(id + secret)) // #nosec G401: fixed by XEP-0114
	return hex.EncodeToString(sum[:])
}

// componentDomain normalises the domain a component asks for in its stream header. It
// must be a bare domain: a component serves a whole domain.
func componentDomain(to string) (string, bool) {
	j, err := jid.Parse(to)
	if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
		return "", false
	}
	return j.Domainpart(), true
}

// appendHeaderLocked queues our stream header answering for domain. XEP-0114 streams
// carry no version: a 'version' attribute would promise stream features, which
// components neither expect nor get. Call with wmu held.
func (c *conn) appendHeaderLocked(from string) {
	if c.out == nil {
		c.out = make([]byte, 0, 256)
	}
	c.out = appendHeader(c.out, from, c.streamID)
	c.headerSent = true
	c.startWriterLocked()
}

func appendHeader(dst []byte, from, id string) []byte {
	dst = append(dst, "<?xml version='1.0'?><stream:stream xmlns='"+NS+"' xmlns:stream='"+stanza.NSStream+"' id='"...)
	dst = stanza.AppendEscapedAttr(dst, id)
	dst = append(dst, "' from='"...)
	dst = stanza.AppendEscapedAttr(dst, from)
	return append(dst, "'>"...)
}

// newID returns a stream id: 128 random bits, so that a handshake digest seen once
// (the stream is not encrypted) cannot be replayed on another stream.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
