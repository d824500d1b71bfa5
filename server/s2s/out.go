package s2s

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"xmppbox/server/stanza"

	"mellium.im/xmpp/jid"
)

// outLink is the stream from a local domain to a remote one. Stanzas queue while it is
// set up; once authenticated, a writer drains the queue.
type outLink struct {
	m   *Manager
	key linkKey
	log *slog.Logger

	mu      sync.Mutex
	queue   []*stanza.Element // guarded by mu
	ready   bool              // authenticated; guarded by mu
	closed  bool              // no more stanzas; guarded by mu
	wake    chan struct{}     // signals the writer that the queue has stanzas
	st      *stream           // set once connected; guarded by mu
	auth    string            // guarded by mu
	bidi    bool              // XEP-0288 negotiated: the stream carries stanzas both ways
	adopted bool              // the link rides on an incoming bidirectional stream
	expiry  time.Time         // remote certificate's NotAfter; guarded by mu
	since   time.Time         // guarded by mu
	lastUse time.Time         // guarded by mu
}

func newOutLink(m *Manager, key linkKey) *outLink {
	return &outLink{m: m, key: key, wake: make(chan struct{}, 1),
		log: m.log.With("s2s", "out", "local", key.from, "remote", key.to)}
}

// enqueue adds st for sending; a full queue bounces it.
func (l *outLink) enqueue(ctx context.Context, st *stanza.Element) {
	l.mu.Lock()
	if l.closed || len(l.queue) >= l.m.cfg.Limits.MaxQueue {
		closed := l.closed
		l.mu.Unlock()
		cond, text := stanza.ResourceConstraint, "too many stanzas waiting for "+l.key.to
		if closed {
			cond, text = stanza.RemoteServerTimeout, "the link to "+l.key.to+" closed"
		}
		l.m.cfg.Router.Bounce(ctx, st, stanza.Error{Type: stanza.Wait, Condition: cond, Text: text})
		return
	}
	l.queue = append(l.queue, st)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run connects, then writes queued stanzas until the link is idle, fails or the server
// stops.
func (l *outLink) run(ctx context.Context) {
	if !l.m.admit("") {
		l.fail(ctx, errors.New("too many server-to-server connections"))
		return
	}
	defer l.m.release("")
	cctx, cancel := context.WithTimeout(ctx, l.m.cfg.Limits.ConnectTimeout)
	st, err := l.connect(cctx)
	timedOut := errors.Is(cctx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if timedOut {
			err = fmt.Errorf("%w: %w", errTimeout, err)
		}
		l.fail(ctx, err)
		return
	}
	l.up(st)
	l.log.LogAttrs(ctx, slog.LevelInfo, "s2s link up", slog.String("auth", l.auth), slog.String("tls", tlsVersion(st.tls.ConnectionState().Version)))
	readDone := make(chan error, 1)
	go func() { readDone <- l.readLoop(ctx, st) }()
	l.serve(ctx, st, readDone, true)
}

// up marks the link ready on st.
func (l *outLink) up(st *stream) {
	l.mu.Lock()
	l.st, l.ready, l.since, l.lastUse = st, true, time.Now(), time.Now()
	l.mu.Unlock()
}

// serve writes queued stanzas to st until readDone says the stream ended, the link is idle
// (when idleClose) or the server stops.
func (l *outLink) serve(ctx context.Context, st *stream, readDone <-chan error, idleClose bool) {
	idleAfter := l.m.cfg.Limits.IdleTimeout
	if !idleClose {
		// A link that rides on an incoming stream (XEP-0288) ends with that stream.
		idleAfter = 1<<63 - 1
	}
	idle := time.NewTimer(idleAfter)
	defer idle.Stop()
	for {
		if err := l.flush(ctx, st); err != nil {
			l.fail(ctx, err)
			st.close(nil)
			<-readDone
			return
		}
		select {
		case <-l.wake:
			idle.Reset(idleAfter)
		case <-idle.C:
			l.finish(ctx, st, nil, "idle")
			<-readDone
			return
		case err := <-readDone:
			// The remote server ended the stream (or broke it): stanzas still queued go
			// on a new link.
			l.finish(ctx, st, nil, fmt.Sprint("closed by the remote server: ", err))
			return
		case <-ctx.Done():
			l.finish(ctx, st, &stanza.StreamError{Condition: stanza.SystemShutdown}, "shutdown")
			<-readDone
			return
		}
	}
}

// flush writes everything queued. A stanza that cannot be written is bounced, with the
// rest of the queue.
func (l *outLink) flush(ctx context.Context, st *stream) error {
	for {
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		l.lastUse = time.Now()
		l.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		for i, el := range batch {
			if err := st.send(el); err != nil {
				for _, b := range batch[i:] {
					l.m.bounceFailed(ctx, b, fmt.Errorf("sending to %s: %w", l.key.to, err))
				}
				return err
			}
		}
	}
}

// finish closes the link after it served; stanzas that arrived meanwhile are handed back
// to the manager, which opens a new link for them.
func (l *outLink) finish(ctx context.Context, st *stream, e *stanza.StreamError, why string) {
	l.mu.Lock()
	l.closed = true
	left := l.queue
	l.queue = nil
	l.mu.Unlock()
	l.m.linkDone(l)
	st.close(e)
	l.log.LogAttrs(ctx, slog.LevelInfo, "s2s link closed", slog.String("why", why))
	for _, el := range left {
		to, err := jid.Parse(el.Get("to"))
		if err != nil {
			continue
		}
		l.m.Route(ctx, el, to)
	}
}

// fail bounces everything queued and remembers the failure.
func (l *outLink) fail(ctx context.Context, err error) {
	l.mu.Lock()
	l.closed = true
	left := l.queue
	l.queue = nil
	l.mu.Unlock()
	l.m.linkFailed(l, err)
	l.log.LogAttrs(ctx, slog.LevelWarn, "s2s link failed", slog.Any("err", err), slog.Int("bounced", len(left)))
	for _, el := range left {
		l.m.bounceFailed(ctx, el, err)
	}
}

func (l *outLink) close(e *stanza.StreamError) {
	l.mu.Lock()
	st := l.st
	l.mu.Unlock()
	if st != nil {
		st.close(e)
	}
}

// readLoop reads what the remote server sends on our outgoing stream: stream errors, the
// end of the stream and, on a bidirectional stream (XEP-0288), its stanzas to us.
func (l *outLink) readLoop(ctx context.Context, st *stream) error {
	for {
		el, err := st.next(time.Time{})
		if err != nil {
			return err
		}
		switch {
		case el.Name.Space == stanza.NSStream && el.Name.Local == "error":
			return fmt.Errorf("stream error from %s: %s", l.key.to, el.String())
		case el.Name.Space == stanza.NSClient && l.bidi:
			if se := l.m.inbound(ctx, el, func(d string) bool { return d == l.key.to }); se != nil {
				st.close(se)
				return se
			}
		default:
			st.close(&stanza.StreamError{Condition: stanza.UnsupportedStanzaType})
			return fmt.Errorf("unexpected %s from %s", el.Name.Local, l.key.to)
		}
	}
}

func (l *outLink) info() (LinkInfo, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ready || l.st == nil || l.adopted {
		// An adopted link is listed with the incoming stream it rides on.
		return LinkInfo{}, false
	}
	auth := l.auth
	if l.bidi {
		auth += "+bidi"
	}
	return LinkInfo{Local: l.key.from, Remote: l.key.to, TLSVersion: tlsVersion(l.st.tls.ConnectionState().Version),
		Auth: auth, CertExpiry: l.expiry, Since: l.since}, true
}

// connect opens and authenticates the stream: TCP (or direct TLS), STARTTLS, then SASL
// EXTERNAL or dialback (RFC 6120 §5, §6; XEP-0178; XEP-0220).
func (l *outLink) connect(ctx context.Context) (*stream, error) {
	p, pinned, err := l.m.peer(l.key.to)
	if err != nil {
		return nil, err
	}
	ts, err := targets(ctx, l.m.res, l.key.to, p, pinned)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, t := range ts {
		st, err := l.dial(ctx, t, p)
		if err == nil {
			return st, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", t.addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("cannot reach %s: %w", l.key.to, errors.Join(errs...))
}

func (l *outLink) dial(ctx context.Context, t target, p Peer) (*stream, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	st, err := l.negotiate(ctx, nc, t.directTLS, p)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return st, nil
}

func (l *outLink) negotiate(ctx context.Context, nc net.Conn, directTLS bool, p Peer) (*stream, error) {
	deadline, _ := ctx.Deadline()
	st := newStream(nc, l.m.cfg.Limits.MaxStanzaBytes)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	if directTLS {
		if err := l.handshake(ctx, st); err != nil {
			return nil, err
		}
	}
	features, err := l.open(st, deadline)
	if err != nil {
		return nil, err
	}
	if st.tls == nil {
		if features.Child(nsTLS, "starttls") == nil {
			return nil, errors.New("the remote server does not offer TLS")
		}
		if err := st.write([]byte("<starttls xmlns='" + nsTLS + "'/>")); err != nil {
			return nil, err
		}
		el, err := st.next(deadline)
		if err != nil {
			return nil, err
		}
		if el.Name.Space != nsTLS || el.Name.Local != "proceed" {
			return nil, fmt.Errorf("STARTTLS refused: %s", el.String())
		}
		if err := l.handshake(ctx, st); err != nil {
			return nil, err
		}
		if features, err = l.open(st, deadline); err != nil {
			return nil, err
		}
	}
	cs := st.tls.ConnectionState()
	certErr := verifyDomain(cs.PeerCertificates, l.key.to, p.Roots, time.Now())
	if certErr != nil && p.Policy == RequireValidCert {
		return nil, certErr
	}
	if certErr == nil {
		l.expiry = cs.PeerCertificates[0].NotAfter
		// XEP-0288: stanzas may come back on this stream, which needs the remote server's
		// identity proven by its certificate; dialback proves only ours.
		if features.Child(nsBidiFeat, "bidi") != nil {
			if err := st.write([]byte("<bidi xmlns='" + nsBidi + "'/>")); err != nil {
				return nil, err
			}
			l.bidi = true
		}
	}
	if mechs := features.Child(nsSASL, "mechanisms"); mechs != nil && hasMechanism(mechs, "EXTERNAL") {
		ok, err := l.saslExternal(st, deadline)
		if err != nil {
			return nil, err
		}
		if ok {
			if _, err := l.open(st, deadline); err != nil {
				return nil, err
			}
			l.auth = "sasl-external"
			return st, nil
		}
		// A refused EXTERNAL (the remote server does not trust our certificate) may still
		// leave dialback.
	}
	if err := l.dialback(st, deadline); err != nil {
		if certErr != nil {
			return nil, fmt.Errorf("%w; and %w", certErr, err)
		}
		return nil, err
	}
	l.auth = "dialback"
	return st, nil
}

func (l *outLink) handshake(ctx context.Context, st *stream) error {
	tc := tls.Client(st.nc, l.m.clientTLS(l.key.from, l.key.to))
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	st.startTLS(tc)
	return nil
}

// open sends our stream header, reads the remote one and its features.
func (l *outLink) open(st *stream, deadline time.Time) (*stanza.Element, error) {
	st.reset()
	if err := st.header(l.key.from, l.key.to, ""); err != nil {
		return nil, err
	}
	h, err := st.readHeader(deadline)
	if err != nil {
		return nil, err
	}
	st.id = h.ID
	el, err := st.next(deadline)
	if err != nil {
		return nil, err
	}
	if el.Name.Space != "http://etherx.jabber.org/streams" || el.Name.Local != "features" {
		return nil, fmt.Errorf("expected stream features, got %s", el.Name.Local)
	}
	return el, nil
}

// saslExternal authenticates with our certificate (XEP-0178 §3), naming our domain as
// the authorization identity. It reports false for a refusal, which is not an error:
// dialback may follow.
func (l *outLink) saslExternal(st *stream, deadline time.Time) (bool, error) {
	auth := "<auth xmlns='" + nsSASL + "' mechanism='EXTERNAL'>" + base64.StdEncoding.EncodeToString([]byte(l.key.from)) + "</auth>"
	if err := st.write([]byte(auth)); err != nil {
		return false, err
	}
	el, err := st.next(deadline)
	if err != nil {
		return false, err
	}
	switch {
	case el.Name.Space == nsSASL && el.Name.Local == "success":
		return true, nil
	case el.Name.Space == nsSASL && el.Name.Local == "failure":
		l.log.Info("SASL EXTERNAL refused by the remote server", "failure", el.String())
		return false, nil
	}
	return false, fmt.Errorf("unexpected answer to SASL EXTERNAL: %s", el.Name.Local)
}

// dialback asks the remote server to verify us through our authoritative server
// (XEP-0220 §2.1).
func (l *outLink) dialback(st *stream, deadline time.Time) error {
	key := l.m.keys.make(l.key.to, l.key.from, st.id)
	res := stanza.New(nsDialback, "result", "from", l.key.from, "to", l.key.to).AppendText(key)
	if err := st.write(res.AppendXML(nil, NSServer)); err != nil {
		return err
	}
	for {
		el, err := st.next(deadline)
		if err != nil {
			return fmt.Errorf("dialback: %w", err)
		}
		if el.Name.Space != nsDialback || el.Name.Local != "result" {
			continue
		}
		switch el.Get("type") {
		case "valid":
			return nil
		default:
			return fmt.Errorf("dialback refused by %s: %s", l.key.to, el.String())
		}
	}
}

func hasMechanism(mechs *stanza.Element, name string) bool {
	for _, m := range mechs.ChildElements() {
		if m.Name.Local == "mechanism" && m.Text() == name {
			return true
		}
	}
	return false
}
