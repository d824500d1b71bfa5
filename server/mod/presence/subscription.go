package presence

import (
	"context"
	"errors"
	"io/fs"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

var outEvents = map[string]roster.Event{
	"subscribe": roster.OutSubscribe, "unsubscribe": roster.OutUnsubscribe,
	"subscribed": roster.OutSubscribed, "unsubscribed": roster.OutUnsubscribed,
}

var inEvents = map[string]roster.Event{
	"subscribe": roster.InSubscribe, "unsubscribe": roster.InUnsubscribe,
	"subscribed": roster.InSubscribed, "unsubscribed": roster.InUnsubscribed,
}

// outboundSubscription handles a subscription stanza from a local user (RFC 6121 §3,
// Appendix A.2): update the user's roster, push it, and route the stanza stamped with the
// user's bare JID when the state machine says so.
func (m *Module) outboundSubscription(ctx context.Context, p router.Presence, typ string) {
	owner := p.Session.Bare()
	contact := bareOf(p.To)
	if contact == owner {
		return
	}
	item, exists, pendingIn, err := m.load(ctx, owner, contact)
	if err != nil {
		m.log.Error("subscription state read failed", "jid", owner, "err", err)
		m.router.Bounce(ctx, p.Stanza, stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError})
		return
	}
	before := roster.StateOf(item, pendingIn)
	after, changed := roster.Transition(before, outEvents[typ])
	if changed || (typ == "subscribe" && !exists) {
		if err := m.save(ctx, owner, item, exists, after, pendingIn); err != nil {
			m.log.Error("subscription state write failed", "jid", owner, "err", err)
			return
		}
	}
	route := changed || typ == "subscribe" || typ == "unsubscribe"
	if !route {
		return
	}
	st := p.Stanza
	st.Set("from", owner)
	st.Set("to", contact)
	m.router.Route(ctx, st)
	switch {
	case typ == "subscribed":
		// §3.1.5: the new subscriber gets the user's current presence at once.
		for _, res := range m.availableResources(owner) {
			if pres, _, ok := res.Presence(); ok {
				m.routeCopy(ctx, pres, res.Full(), contact)
			}
		}
	case typ == "unsubscribed" && before.From:
		// §3.2.2: a cancelled subscriber sees the user go offline.
		for _, res := range m.availableResources(owner) {
			m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "unavailable", "from", res.Full(), "to", contact))
		}
	}
}

// inboundSubscription handles a subscription stanza addressed to a local user (RFC 6121
// §3, Appendix A.3).
func (m *Module) inboundSubscription(ctx context.Context, p router.Presence, typ string) {
	owner := bareOf(p.To)
	contact := bareOf(p.From)
	if !m.router.UserExists(ctx, p.To.Bare()) {
		if typ == "subscribe" {
			// §3.1.3: no such account; the requester's client learns it at once.
			m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "unsubscribed", "from", owner, "to", contact))
		}
		return
	}
	item, exists, pendingIn, err := m.load(ctx, owner, contact)
	if err != nil {
		m.log.Error("subscription state read failed", "jid", owner, "err", err)
		return
	}
	before := roster.StateOf(item, pendingIn)
	if typ == "subscribe" && before.From {
		// §3.1.3: already subscribed; approve again on the user's behalf.
		m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "subscribed", "from", owner, "to", contact))
		return
	}
	after, changed := roster.Transition(before, inEvents[typ])
	if !changed {
		return
	}
	st := p.Stanza
	st.Set("from", contact)
	st.Set("to", owner)
	if typ == "subscribe" {
		// Kept until answered and redelivered at each login (§3.1.3); the roster item
		// itself only changes once the user answers.
		if err := m.store.AddPending(ctx, owner, contact, st.AppendXML(nil, stanza.NSClient)); err != nil {
			m.log.Error("subscription request not stored", "jid", owner, "err", err)
			return
		}
	} else if err := m.save(ctx, owner, item, exists, after, pendingIn); err != nil {
		m.log.Error("subscription state write failed", "jid", owner, "err", err)
		return
	}
	for _, res := range m.availableResources(owner) {
		res.Send(st)
	}
	if typ == "unsubscribe" && before.From {
		// The former subscriber no longer sees the user (§3.3.3).
		for _, res := range m.availableResources(owner) {
			m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "unavailable", "from", res.Full(), "to", contact))
		}
	}
}

// load reads the roster item (a "none" item when absent) and the pending flag.
func (m *Module) load(ctx context.Context, owner, contact string) (it roster.Item, exists, pendingIn bool, err error) {
	it, err = m.store.Item(ctx, owner, contact)
	switch {
	case err == nil:
		exists = true
	case errors.Is(err, fs.ErrNotExist):
		it = roster.Item{JID: contact, Subscription: "none"}
	default:
		return it, false, false, err
	}
	pendingIn, err = m.roster.PendingFrom(ctx, owner, contact)
	return it, exists, pendingIn, err
}

// save stores the new state and pushes the item. A state with nothing in it but a pending
// inbound request keeps no roster item (RFC 6121 §3.1.3).
func (m *Module) save(ctx context.Context, owner string, it roster.Item, exists bool, s roster.State, hadPendingIn bool) error {
	if hadPendingIn && !s.PendingIn {
		if err := m.store.DeletePending(ctx, owner, it.JID); err != nil {
			return err
		}
	}
	if !exists && !s.To && !s.From && !s.PendingOut {
		return nil
	}
	s.Apply(&it)
	version, err := m.store.PutItem(ctx, owner, it)
	if err != nil {
		return err
	}
	m.roster.Push(ctx, owner, it, false, version)
	return nil
}
