package c2s

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// nsSM is XEP-0198 Stream Management, version 3.
const nsSM = "urn:xmpp:sm:3"

// smSession is one XEP-0198 session. It outlives its connection while detached, so that
// a client whose TCP connection broke can resume without losing or repeating a stanza.
//
// Lock order: conn.wmu before smSession.mu.
type smSession struct {
	id        string
	user      string
	res       *session.Resource
	resumable bool
	timeout   time.Duration

	// handled counts stanzas received from the client: the h of our <a/>.
	handled atomic.Uint32

	mu           sync.Mutex
	sent         uint32      // stanzas sent to the client; guarded by mu
	unacked      [][]byte    // encoded stanzas not yet acknowledged, oldest first; guarded by mu
	unackedBytes int         // guarded by mu
	ackRequested bool        // an <r/> is outstanding; guarded by mu
	owner        *conn       // the attached connection, nil while detached; guarded by mu
	timer        *time.Timer // expiry while detached; guarded by mu
	ended        bool        // expired or closed for good; guarded by mu
}

// record keeps a copy of one encoded stanza until the client acknowledges it. It reports
// false when the client has let too much pile up unacknowledged.
func (sm *smSession) record(b []byte, limit int) bool {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.unackedBytes+len(b) > limit {
		return false
	}
	sm.sent++
	sm.unacked = append(sm.unacked, append([]byte(nil), b...))
	sm.unackedBytes += len(b)
	return true
}

// ack drops what the client's h acknowledges. It reports false for an h that counts
// stanzas never sent (XEP-0198 §4: the stream is then broken), and whether stanzas
// remain unacknowledged.
func (sm *smSession) ack(h uint32) (ok, remaining bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	base := sm.sent - uint32(len(sm.unacked))
	n := h - base // uint32 arithmetic: h wraps at 2^32 as the XEP says
	if n > uint32(len(sm.unacked)) {
		return false, len(sm.unacked) > 0
	}
	for _, b := range sm.unacked[:n] {
		sm.unackedBytes -= len(b)
	}
	sm.unacked = append(sm.unacked[:0], sm.unacked[n:]...)
	sm.ackRequested = false
	return true, len(sm.unacked) > 0
}

// wantAckRequest reports whether an <r/> should follow what was just written.
func (sm *smSession) wantAckRequest() bool {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if len(sm.unacked) == 0 || sm.ackRequested {
		return false
	}
	sm.ackRequested = true
	return true
}

// takeUnacked removes and returns what the client never acknowledged.
func (sm *smSession) takeUnacked() [][]byte {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	u := sm.unacked
	sm.unacked, sm.unackedBytes = nil, 0
	return u
}

// handleSM handles a stream-management nonza on a bound stream.
func (c *conn) handleSM(ctx context.Context, el *stanza.Element) error {
	switch el.Name.Local {
	case "enable":
		return c.enableSM(el)
	case "r":
		if c.sm == nil {
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType, Text: "stream management is not enabled"}
		}
		c.sendNonza([]byte("<a xmlns='" + nsSM + "' h='" + strconv.FormatUint(uint64(c.sm.handled.Load()), 10) + "'/>"))
	case "a":
		if c.sm == nil {
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType, Text: "stream management is not enabled"}
		}
		h, err := strconv.ParseUint(el.Get("h"), 10, 32)
		if err != nil {
			return &stanza.StreamError{Condition: stanza.BadFormat, Text: "h must be a 32-bit count"}
		}
		ok, remaining := c.sm.ack(uint32(h))
		if !ok {
			// XEP-0198 §4 handled-count-too-high.
			return &stanza.StreamError{Condition: stanza.UndefinedCondition, Text: "h=" + el.Get("h") + " acknowledges more than the " + strconv.FormatUint(uint64(c.sm.sentCount()), 10) + " stanzas sent"}
		}
		if remaining && c.sm.wantAckRequest() {
			c.sendNonza([]byte("<r xmlns='" + nsSM + "'/>"))
		}
	default:
		return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
	}
	return nil
}

func (sm *smSession) sentCount() uint32 {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.sent
}

// enableSM starts counting (XEP-0198 §3). Counting starts with the first stanza after
// <enabled/>, which is queued in the same critical section as the switch.
func (c *conn) enableSM(el *stanza.Element) error {
	if c.sm != nil {
		c.sendNonza(smFailed("unexpected-request", 0, false))
		return nil
	}
	limits := c.srv.cfg.Limits
	sm := &smSession{id: newID(), user: c.user, res: c.res, owner: c, timeout: limits.ResumeTimeout}
	if r := el.Get("resume"); r == "true" || r == "1" {
		sm.resumable = true
		if m, err := strconv.Atoi(el.Get("max")); err == nil && m > 0 && time.Duration(m)*time.Second < sm.timeout {
			sm.timeout = time.Duration(m) * time.Second
		}
	}
	enabled := stanza.New(nsSM, "enabled")
	if sm.resumable {
		enabled.Set("id", sm.id)
		enabled.Set("resume", "true")
		enabled.Set("max", strconv.Itoa(int(sm.timeout/time.Second)))
		c.srv.smAdd(sm)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing {
		return nil
	}
	c.sm = sm
	c.appendLocked(enabled.AppendXML(nil, stanza.NSClient))
	return nil
}

func smFailed(condition string, h uint32, withH bool) []byte {
	f := stanza.New(nsSM, "failed")
	if withH {
		f.Set("h", strconv.FormatUint(uint64(h), 10))
	}
	f.Append(stanza.New(stanza.NSStanzas, condition))
	return f.AppendXML(nil, stanza.NSClient)
}

// resume takes over a detached (or still attached, but dead) session (XEP-0198 §5). It
// reports true when the stream is resumed; a refusal is answered with <failed/> and the
// client may bind a new resource instead.
func (c *conn) resume(ctx context.Context, el *stanza.Element) (bool, error) {
	h, err := strconv.ParseUint(el.Get("h"), 10, 32)
	if err != nil {
		return false, c.writeNow(smFailed("bad-request", 0, false))
	}
	sm := c.srv.smLookup(el.Get("previd"), c.user)
	if sm == nil {
		return false, c.writeNow(smFailed("item-not-found", 0, false))
	}
	sm.mu.Lock()
	if sm.ended {
		sm.mu.Unlock()
		return false, c.writeNow(smFailed("item-not-found", 0, false))
	}
	old := sm.owner
	sm.owner = c
	if sm.timer != nil {
		sm.timer.Stop()
		sm.timer = nil
	}
	sm.mu.Unlock()
	if old != nil {
		// The client knows its old connection is gone even if we do not yet.
		old.closeReason(&stanza.StreamError{Condition: stanza.StreamConflict, Text: "session resumed on another connection"}, CloseReplaced)
	}
	c.res = sm.res
	sm.res.SetConn(c)
	if ok, _ := sm.ack(uint32(h)); !ok {
		c.srv.smEnd(sm)
		return false, &stanza.StreamError{Condition: stanza.UndefinedCondition, Text: "h acknowledges stanzas never sent"}
	}
	sm.mu.Lock()
	pending := append([][]byte(nil), sm.unacked...)
	sm.mu.Unlock()
	resumed := stanza.New(nsSM, "resumed", "previd", sm.id, "h", strconv.FormatUint(uint64(sm.handled.Load()), 10))
	c.wmu.Lock()
	c.sm = sm
	c.appendLocked(resumed.AppendXML(nil, stanza.NSClient))
	for _, b := range pending {
		c.appendLocked(b)
	}
	c.wmu.Unlock()
	c.log.LogAttrs(ctx, slog.LevelInfo, "stream resumed", slog.String("jid", sm.res.Full()), slog.Int("resent", len(pending)))
	return true, nil
}

// detach keeps a resumable session alive after its connection broke. It reports false
// when the session must end now.
func (c *conn) detach() bool {
	sm := c.sm
	if !sm.resumable {
		return false
	}
	// Stanzas held back for an inactive client (XEP-0352) wait for the resume too.
	c.wmu.Lock()
	for _, el := range c.held.take() {
		sm.record(el.AppendXML(nil, stanza.NSClient), c.srv.cfg.Limits.MaxUnackedBytes)
	}
	c.wmu.Unlock()
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.ended {
		return false
	}
	sm.owner = nil
	sm.res.SetConn(&detachedConn{sm: sm, srv: c.srv})
	sm.timer = time.AfterFunc(sm.timeout, func() { c.srv.smExpire(sm) })
	return true
}

// detachedConn stands in for the connection of a detached session: stanzas for the
// resource wait, unacknowledged, for the client to resume.
type detachedConn struct {
	sm  *smSession
	srv *Server
}

func (d *detachedConn) Send(el *stanza.Element) error {
	if !d.sm.record(el.AppendXML(nil, stanza.NSClient), d.srv.cfg.Limits.MaxUnackedBytes) {
		return session.ErrQueueFull
	}
	return nil
}

func (d *detachedConn) Close(*stanza.StreamError) { go d.srv.smExpire(d.sm) }
func (d *detachedConn) RemoteAddr() string        { return "detached" }

// smAdd makes a resumable session findable by its id.
func (s *Server) smAdd(sm *smSession) {
	s.smMu.Lock()
	s.smSessions[sm.id] = sm
	s.smMu.Unlock()
}

// smLookup finds a resumable session of user by id.
func (s *Server) smLookup(id, user string) *smSession {
	s.smMu.Lock()
	defer s.smMu.Unlock()
	sm := s.smSessions[id]
	if sm == nil || sm.user != user {
		return nil
	}
	return sm
}

// smEnd forgets a session for good.
func (s *Server) smEnd(sm *smSession) {
	s.smMu.Lock()
	delete(s.smSessions, sm.id)
	s.smMu.Unlock()
	sm.mu.Lock()
	sm.ended = true
	if sm.timer != nil {
		sm.timer.Stop()
	}
	sm.mu.Unlock()
}

// smExpire ends a session the client did not resume in time: the resource goes
// offline and what it never acknowledged is delivered again elsewhere or stored.
func (s *Server) smExpire(sm *smSession) {
	sm.mu.Lock()
	if sm.ended || sm.owner != nil {
		sm.mu.Unlock()
		return
	}
	sm.mu.Unlock()
	s.smEnd(sm)
	ctx := context.Background()
	s.cfg.Router.Unbind(ctx, sm.res)
	s.redeliver(ctx, sm.takeUnacked())
	s.log.Info("stream management session expired", "jid", sm.res.Full())
}

// redeliver routes messages a client never acknowledged to the account again, so they
// reach another resource or offline storage instead of being lost (XEP-0198 §5).
func (s *Server) redeliver(ctx context.Context, unacked [][]byte) {
	for _, b := range unacked {
		el, err := xmlstream.Parse(b)
		if err != nil || el.Name.Local != "message" {
			continue
		}
		s.cfg.Router.Redeliver(ctx, el)
	}
}
