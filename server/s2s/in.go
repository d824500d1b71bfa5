package s2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// inStream is a stream another server opened to us. It may carry stanzas from every
// remote domain it authenticated, to any of our domains (RFC 6120 §6.4.x; XEP-0220
// allows more than one domain per stream).
type inStream struct {
	m   *Manager
	st  *stream
	log *slog.Logger

	local  string // the domain the stream is to
	remote string // the 'from' of its header

	mu     sync.Mutex
	authed map[string]string // remote domain -> how it authenticated; guarded by mu
	since  time.Time

	// bidi is set when the remote server asked for a bidirectional stream (XEP-0288);
	// links then carries our links to its authenticated domains, ended with the stream.
	bidi  bool
	links []chan error
}

func newInStream(m *Manager, nc net.Conn) *inStream {
	return &inStream{m: m, st: newStream(nc, m.cfg.Limits.MaxStanzaBytes), authed: make(map[string]string),
		log: m.log.With("s2s", "in", "addr", nc.RemoteAddr().String()), since: time.Now()}
}

func (s *inStream) serve(ctx context.Context, directTLS bool) {
	s.m.mu.Lock()
	s.m.in[s] = struct{}{}
	s.m.mu.Unlock()
	defer func() {
		s.m.mu.Lock()
		delete(s.m.in, s)
		s.m.mu.Unlock()
	}()
	err := s.run(ctx, directTLS)
	defer func() {
		for _, done := range s.links {
			done <- err
		}
	}()
	var se *stanza.StreamError
	switch {
	case errors.As(err, &se):
		s.log.LogAttrs(ctx, slog.LevelInfo, "s2s stream error", slog.String("condition", se.Condition), slog.String("text", se.Text))
		s.st.close(se)
	case err == nil || isEOF(err):
		s.st.close(nil)
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.st.close(&stanza.StreamError{Condition: stanza.ConnectionTimeout})
		} else {
			s.log.LogAttrs(ctx, slog.LevelInfo, "s2s stream ended", slog.Any("err", err))
			s.st.close(nil)
		}
	}
}

func (s *inStream) authenticated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.authed) > 0
}

// run negotiates TLS and authentication, then routes stanzas until the stream ends.
func (s *inStream) run(ctx context.Context, directTLS bool) error {
	lim := s.m.cfg.Limits
	negotiateBy := time.Now().Add(lim.NegotiationTimeout)
	if directTLS {
		if err := s.handshake(ctx, negotiateBy); err != nil {
			return err
		}
	}
	if err := s.open(negotiateBy); err != nil {
		return err
	}
	for {
		deadline := negotiateBy
		if s.authenticated() {
			deadline = time.Now().Add(lim.IdleTimeout)
		}
		el, err := s.st.next(deadline)
		if err != nil {
			return err
		}
		switch {
		case el.Name.Space == nsTLS && el.Name.Local == "starttls":
			if s.st.tls != nil {
				return &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "TLS is already on"}
			}
			if err := s.st.write([]byte("<proceed xmlns='" + nsTLS + "'/>")); err != nil {
				return err
			}
			if err := s.handshake(ctx, negotiateBy); err != nil {
				return err
			}
			if err := s.open(negotiateBy); err != nil {
				return err
			}
		case el.Name.Space == nsSASL && el.Name.Local == "auth":
			restart, err := s.saslExternal(el)
			if err != nil {
				return err
			}
			if restart {
				s.st.reset()
				if err := s.open(negotiateBy); err != nil {
					return err
				}
				// Only now: our stanzas must follow the restarted stream's header.
				s.adopt(s.remote, "sasl-external")
			}
		case el.Name.Space == nsBidi && el.Name.Local == "bidi":
			// XEP-0288 §2.2: before authentication; our stanzas to the remote domain may
			// then use this stream.
			if s.st.tls == nil || s.authenticated() {
				return &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "bidi after TLS and before authentication"}
			}
			s.bidi = true
		case el.Name.Space == nsDialback && el.Name.Local == "verify":
			if err := s.answerVerify(el); err != nil {
				return err
			}
		case el.Name.Space == nsDialback && el.Name.Local == "result":
			if err := s.dialbackResult(ctx, el); err != nil {
				return err
			}
		case el.Name.Space == stanza.NSClient && (el.Name.Local == "message" || el.Name.Local == "presence" || el.Name.Local == "iq"):
			if err := s.stanza(ctx, el); err != nil {
				return err
			}
		case el.Name.Space == stanza.NSStream && el.Name.Local == "error":
			// The remote server ends the stream (such as system-shutdown): nothing to answer.
			s.log.Info("s2s stream ended by the remote server", "error", el.String())
			return nil
		default:
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		}
	}
}

// open reads the remote server's stream header and answers with ours and the features
// for the stream's state (RFC 6120 §4.3).
func (s *inStream) open(deadline time.Time) error {
	h, err := s.st.readHeader(deadline)
	if err != nil {
		return err
	}
	if !s.m.local[h.To] {
		return &stanza.StreamError{Condition: stanza.HostUnknown, Text: "this server does not serve " + h.To}
	}
	if s.local != "" && h.To != s.local {
		return &stanza.StreamError{Condition: stanza.HostUnknown, Text: "the stream restarted for another domain"}
	}
	s.local, s.remote = h.To, h.From
	s.st.id = newStreamID()
	if err := s.st.header(s.local, h.From, s.st.id); err != nil {
		return err
	}
	f := stanza.New(stanza.NSStream, "features")
	switch {
	case s.st.tls == nil:
		f.Append(stanza.New(nsTLS, "starttls").Append(stanza.New(nsTLS, "required")))
	case !s.authenticated():
		f.Append(stanza.New(nsBidiFeat, "bidi"))
		if s.remote != "" && s.certValidFor(s.remote) == nil {
			f.Append(stanza.New(nsSASL, "mechanisms").Append(stanza.New(nsSASL, "mechanism").AppendText("EXTERNAL")))
		}
		f.Append(stanza.New(nsDBFeat, "dialback").Append(stanza.New(nsDBFeat, "errors")))
	}
	return s.st.write(f.AppendXML(nil, NSServer))
}

// certValidFor checks the TLS client certificate the remote server presented for domain,
// against the roots configured for that peer.
func (s *inStream) certValidFor(domain string) error {
	if s.st.tls == nil {
		return errors.New("no TLS")
	}
	p, _, err := s.m.peer(domain)
	if err != nil {
		return err
	}
	return verifyDomain(s.st.tls.ConnectionState().PeerCertificates, domain, p.Roots, time.Now())
}

func (s *inStream) peerCert() *x509.Certificate {
	if s.st.tls == nil {
		return nil
	}
	if pc := s.st.tls.ConnectionState().PeerCertificates; len(pc) > 0 {
		return pc[0]
	}
	return nil
}

// saslExternal authenticates the remote domain by its certificate (XEP-0178 §3). It
// reports whether the stream must restart (after success).
func (s *inStream) saslExternal(auth *stanza.Element) (bool, error) {
	fail := func(cond string) (bool, error) {
		return false, s.st.write([]byte("<failure xmlns='" + nsSASL + "'><" + cond + "/></failure>"))
	}
	if s.st.tls == nil {
		return fail("encryption-required")
	}
	if auth.Get("mechanism") != "EXTERNAL" {
		return fail("invalid-mechanism")
	}
	authz := s.remote
	if txt := auth.Text(); txt != "" && txt != "=" {
		b, err := base64.StdEncoding.DecodeString(txt)
		if err != nil {
			return fail("incorrect-encoding")
		}
		authz = string(b)
	}
	if authz == "" || (s.remote != "" && authz != s.remote) {
		return fail("invalid-authzid")
	}
	s.remote = authz
	if _, _, err := s.m.peer(authz); err != nil {
		s.log.Info("s2s refused", "remote", authz, "err", err)
		return fail("not-authorized")
	}
	if err := s.certValidFor(authz); err != nil {
		s.log.Info("SASL EXTERNAL refused", "remote", authz, "err", err)
		return fail("not-authorized")
	}
	s.mu.Lock()
	s.authed[authz] = "sasl-external"
	s.mu.Unlock()
	s.log.Info("s2s authenticated", "remote", authz, "local", s.local, "auth", "sasl-external", "bidi", s.bidi)
	return true, s.st.write([]byte("<success xmlns='" + nsSASL + "'/>"))
}

// answerVerify answers a receiving server that checks a key we gave out as the
// originating server (XEP-0220 §2.3: we are the authoritative server).
func (s *inStream) answerVerify(v *stanza.Element) error {
	if s.st.tls == nil {
		return &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "TLS first"}
	}
	receiving, originating, id := v.Get("from"), v.Get("to"), v.Get("id")
	typ := "invalid"
	if s.m.local[originating] && s.m.keys.check(receiving, originating, id, v.Text()) {
		typ = "valid"
	}
	reply := stanza.New(nsDialback, "verify", "from", originating, "to", receiving, "id", id, "type", typ)
	return s.st.write(reply.AppendXML(nil, NSServer))
}

// dialbackResult checks that the remote server speaks for the domain it claims, by asking
// that domain's authoritative server about the key (XEP-0220 §2.2), and answers.
func (s *inStream) dialbackResult(ctx context.Context, r *stanza.Element) error {
	originating, receiving := r.Get("from"), r.Get("to")
	answer := func(typ string, e *stanza.Error) error {
		reply := stanza.New(nsDialback, "result", "from", receiving, "to", originating, "type", typ)
		if e != nil {
			// XEP-0220 §2.4: <error/> in the stream's namespace, jabber:server.
			el := e.Element()
			el.Rename(stanza.NSClient, NSServer)
			reply.Append(el)
		}
		return s.st.write(reply.AppendXML(nil, NSServer))
	}
	switch {
	case s.st.tls == nil:
		return &stanza.StreamError{Condition: stanza.StreamPolicyViolation, Text: "TLS first"}
	case !s.m.local[receiving]:
		return answer("error", &stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound, Text: "this server does not serve " + receiving})
	}
	p, _, err := s.m.peer(originating)
	if err != nil {
		s.log.Info("s2s refused", "remote", originating, "err", err)
		return answer("error", &stanza.Error{Type: stanza.Cancel, Condition: stanza.Forbidden, Text: err.Error()})
	}
	certErr := s.certValidFor(originating)
	if certErr != nil && p.Policy == RequireValidCert {
		s.log.Info("dialback refused: the certificate must be valid", "remote", originating, "err", certErr)
		return answer("error", &stanza.Error{Type: stanza.Auth, Condition: stanza.NotAuthorized,
			Text: "this server requires a valid certificate for " + originating})
	}
	vctx, cancel := context.WithTimeout(ctx, s.m.cfg.Limits.ConnectTimeout)
	valid, err := s.m.verifyKey(vctx, receiving, originating, s.st.id, r.Text())
	cancel()
	if err != nil {
		s.log.Info("dialback verification failed", "remote", originating, "err", err)
		return answer("error", &stanza.Error{Type: stanza.Cancel, Condition: stanza.RemoteServerNotFound, Text: "cannot reach the authoritative server"})
	}
	if !valid {
		s.log.Warn("dialback key refused by the authoritative server", "remote", originating)
		return answer("invalid", nil)
	}
	how := "dialback"
	if certErr == nil {
		how = "dialback+cert"
	}
	s.mu.Lock()
	s.authed[originating] = how
	s.mu.Unlock()
	s.log.Info("s2s authenticated", "remote", originating, "local", s.local, "auth", how, "bidi", s.bidi)
	if err := answer("valid", nil); err != nil {
		return err
	}
	s.adopt(originating, how)
	return nil
}

// stanza routes a stanza from an authenticated remote domain to one of ours.
func (s *inStream) stanza(ctx context.Context, el *stanza.Element) error {
	if !s.authenticated() {
		// RFC 6120 §4.9.3.12: stanzas before the stream is authenticated.
		return &stanza.StreamError{Condition: stanza.StreamNotAuthorized, Text: "authenticate first"}
	}
	if se := s.m.inbound(ctx, el, func(d string) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, ok := s.authed[d]
		return ok
	}); se != nil {
		return se
	}
	return nil
}

// inbound routes a stanza that came on a stream, from a domain the stream authenticated
// (authed) to one of ours; anything else is the stream error to end the stream with.
func (m *Manager) inbound(ctx context.Context, el *stanza.Element, authed func(domain string) bool) *stanza.StreamError {
	from, err := jid.Parse(el.Get("from"))
	if err != nil {
		return &stanza.StreamError{Condition: stanza.InvalidFrom}
	}
	to, err := jid.Parse(el.Get("to"))
	if err != nil || el.Get("to") == "" {
		return &stanza.StreamError{Condition: stanza.ImproperAddressing, Text: "a server-to-server stanza needs a valid to"}
	}
	switch {
	case !authed(from.Domainpart()):
		return &stanza.StreamError{Condition: stanza.InvalidFrom, Text: from.Domainpart() + " is not authenticated on this stream"}
	case !m.local[to.Domainpart()]:
		return &stanza.StreamError{Condition: stanza.HostUnknown, Text: "this server does not serve " + to.Domainpart()}
	}
	m.cfg.Router.Route(ctx, el)
	return nil
}

func (s *inStream) info() []LinkInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LinkInfo
	var expiry time.Time
	if c := s.peerCert(); c != nil {
		expiry = c.NotAfter
	}
	for d, how := range s.authed {
		if s.bidi {
			how += "+bidi"
		}
		out = append(out, LinkInfo{Local: s.local, Remote: d, Incoming: true, TLSVersion: tlsVersion(s.st.tls.ConnectionState().Version),
			Auth: how, CertExpiry: expiry, Since: s.since})
	}
	return out
}

// verifyKey asks originating's authoritative server whether key is one it gave out for
// the stream id (XEP-0220 §2.2.1), on a connection of its own.
func (m *Manager) verifyKey(ctx context.Context, receiving, originating, id, key string) (bool, error) {
	p, pinned, err := m.peer(originating)
	if err != nil {
		return false, err
	}
	ts, err := targets(ctx, m.res, originating, p, pinned)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, t := range ts {
		ok, err := m.verifyAt(ctx, t, receiving, originating, id, key)
		if err == nil {
			return ok, nil
		}
		errs = append(errs, err)
	}
	return false, errors.Join(errs...)
}

func (m *Manager) verifyAt(ctx context.Context, t target, receiving, originating, id, key string) (bool, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return false, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	deadline, _ := ctx.Deadline()
	// The verification stream is an outgoing stream like any other, up to TLS; it needs
	// no authentication of its own.
	l := &outLink{m: m, key: linkKey{receiving, originating}, log: m.log}
	st := newStream(nc, m.cfg.Limits.MaxStanzaBytes)
	if t.directTLS {
		if err := l.handshake(ctx, st); err != nil {
			return false, err
		}
	}
	features, err := l.open(st, deadline)
	if err != nil {
		return false, err
	}
	if st.tls == nil && features.Child(nsTLS, "starttls") != nil {
		if err := st.write([]byte("<starttls xmlns='" + nsTLS + "'/>")); err != nil {
			return false, err
		}
		if el, err := st.next(deadline); err != nil || el.Name.Local != "proceed" {
			return false, fmt.Errorf("STARTTLS refused: %v", err)
		}
		if err := l.handshake(ctx, st); err != nil {
			return false, err
		}
		if _, err := l.open(st, deadline); err != nil {
			return false, err
		}
	}
	v := stanza.New(nsDialback, "verify", "from", receiving, "to", originating, "id", id).AppendText(key)
	if err := st.write(v.AppendXML(nil, NSServer)); err != nil {
		return false, err
	}
	for {
		el, err := st.next(deadline)
		if err != nil {
			return false, err
		}
		if el.Name.Space == nsDialback && el.Name.Local == "verify" && el.Get("id") == id {
			st.close(nil)
			return el.Get("type") == "valid", nil
		}
	}
}

// adopt makes this bidirectional stream the link for our stanzas to remote, unless a link
// to it is already up or being set up (XEP-0288 §2.2).
func (s *inStream) adopt(remote, how string) {
	if !s.bidi {
		return
	}
	if done := s.m.adoptLink(s.local, remote, how, s.st, s.peerCert()); done != nil {
		s.links = append(s.links, done)
	}
}

// handshake runs the TLS server handshake, after STARTTLS or at once (XEP-0368).
func (s *inStream) handshake(ctx context.Context, by time.Time) error {
	tc := tls.Server(s.st.nc, s.m.serverTLS())
	hctx, cancel := context.WithDeadline(ctx, by)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("s2s: TLS: %w", err)
	}
	s.st.startTLS(tc)
	return nil
}
