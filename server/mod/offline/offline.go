package offline

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const (
	// NSDelay is XEP-0203 Delayed Delivery.
	NSDelay = "urn:xmpp:delay"
	// Feature is the disco feature for offline storage (XEP-0160 §5).
	Feature      = "msgoffline"
	nsChatStates = "http://jabber.org/protocol/chatstates"
)

// Module stores and replays offline messages.
type Module struct {
	store  Store
	domain string
	max    int
	log    *slog.Logger
	now    func() time.Time
}

// New returns the module; max bounds the messages kept per account.
func New(store Store, domain jid.JID, max int, log *slog.Logger) *Module {
	return &Module{store: store, domain: domain.String(), max: max, log: log, now: time.Now}
}

// Register makes the module the router's offline store and flushes on initial presence.
func (m *Module) Register(r *router.Router) {
	r.HandleOffline(m.keep)
	r.OnAvailable(m.flush)
	r.RegisterFeature(Feature)
}

// keep stores msg for to. Messages that only carry chat states are dropped, as XEP-0160
// §3 advises: nobody wants to read "is typing" a day later.
func (m *Module) keep(ctx context.Context, to jid.JID, msg *stanza.Element) error {
	if !worthKeeping(msg) {
		return nil
	}
	c := msg.Copy()
	c.Append(stanza.New(NSDelay, "delay", "from", m.domain, "stamp", m.now().UTC().Format("2006-01-02T15:04:05.000Z")))
	err := m.store.Push(ctx, to.Bare().String(), c.AppendXML(nil, stanza.NSClient), m.max)
	switch {
	case errors.Is(err, ErrFull):
		return stanza.Error{Type: stanza.Wait, Condition: stanza.ResourceConstraint, Text: "the recipient's offline storage is full"}
	case err != nil:
		m.log.Error("offline store failed", "jid", to.Bare().String(), "err", err)
		return stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
	}
	return nil
}

func worthKeeping(msg *stanza.Element) bool {
	for _, c := range msg.ChildElements() {
		if c.Name.Space != nsChatStates {
			return true
		}
	}
	return false
}

// flush delivers stored messages to a resource that just became available with a
// non-negative priority (RFC 6121 §8.5.2.2.1).
func (m *Module) flush(ctx context.Context, res *session.Resource) {
	if _, prio, ok := res.Presence(); !ok || prio < 0 {
		return
	}
	owner := res.Bare()
	msgs, err := m.store.Take(ctx, owner)
	if err != nil {
		m.log.Error("offline read failed", "jid", owner, "err", err)
		return
	}
	for i, raw := range msgs {
		el, err := xmlstream.Parse(raw)
		if err != nil {
			m.log.Error("stored message unreadable", "jid", owner, "err", err)
			continue
		}
		if err := res.Send(el); err != nil {
			m.requeue(ctx, owner, msgs[i:])
			return
		}
	}
}

// requeue puts back what could not be sent to a client that went away mid-flush.
func (m *Module) requeue(ctx context.Context, owner string, msgs [][]byte) {
	for _, raw := range msgs {
		// The maximum was enforced when they were first stored.
		if err := m.store.Push(ctx, owner, raw, len(msgs)+m.max); err != nil {
			m.log.Error("offline message lost", "jid", owner, "err", err)
		}
	}
}
