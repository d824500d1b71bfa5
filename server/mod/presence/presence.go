package presence

import (
	"context"
	"log/slog"
	"strconv"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// Module routes presence.
type Module struct {
	router *router.Router
	roster *roster.Module
	store  roster.Store
	log    *slog.Logger
}

// New returns the presence module; it keeps subscriptions in the roster module's store.
func New(r *router.Router, rm *roster.Module, log *slog.Logger) *Module {
	return &Module{router: r, roster: rm, store: rm.Store(), log: log}
}

// Register takes over presence routing and the end of sessions.
func (m *Module) Register(r *router.Router) {
	r.HandlePresence(m.outbound, m.inbound)
	r.OnSessionEnd(m.sessionEnd)
}

// outbound handles presence a local client sent.
func (m *Module) outbound(ctx context.Context, p router.Presence) {
	switch typ := p.Stanza.Get("type"); typ {
	case "", "unavailable":
		if p.To.Domainpart() == "" {
			m.broadcast(ctx, p.Session, p.Stanza, typ == "unavailable")
			return
		}
		m.directed(ctx, p, typ == "unavailable")
	case "subscribe", "unsubscribe", "subscribed", "unsubscribed":
		if p.To.Domainpart() == "" {
			m.router.Bounce(ctx, p.Stanza, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "subscription stanzas need a 'to'"})
			return
		}
		m.outboundSubscription(ctx, p, typ)
	case "error":
		if p.To.Domainpart() != "" {
			m.router.RoutePresence(ctx, p)
		}
	case "probe":
		// Probes are the server's business (RFC 6121 §4.3); a client's is ignored.
	default:
		m.router.Bounce(ctx, p.Stanza, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "unknown presence type"})
	}
}

// broadcast sends a resource's available or unavailable presence to the contacts
// subscribed to it and to the account's own available resources (RFC 6121 §4.2, §4.4).
func (m *Module) broadcast(ctx context.Context, res *session.Resource, st *stanza.Element, unavailable bool) {
	owner := res.Bare()
	var initial bool
	var directedTo []string
	if unavailable {
		if _, _, ok := res.Presence(); !ok {
			return
		}
		_, directedTo = res.SetPresence(nil, 0)
	} else {
		stored := st.Copy()
		stored.Set("to", "")
		initial, _ = res.SetPresence(stored, priorityOf(st))
	}
	items, _, err := m.store.Roster(ctx, owner)
	if err != nil {
		m.log.Error("roster read failed", "jid", owner, "err", err)
	}
	st.Set("from", res.Full())
	sent := map[string]bool{}
	for _, it := range items {
		if it.Subscription == "from" || it.Subscription == "both" {
			m.sendTo(ctx, st, it.JID)
			sent[it.JID] = true
		}
	}
	for _, to := range directedTo {
		if !sent[to] {
			m.sendTo(ctx, st, to)
		}
	}
	// The account's own resources see each other's presence, the sender included.
	for _, other := range m.router.Sessions().Resources(owner) {
		if _, _, ok := other.Presence(); ok || other == res {
			m.sendTo(ctx, st, other.Full())
		}
	}
	if !initial {
		return
	}
	m.initialPresence(ctx, res, items)
}

// initialPresence runs what a first available presence triggers (RFC 6121 §4.2.2, §3.1.3).
func (m *Module) initialPresence(ctx context.Context, res *session.Resource, items []roster.Item) {
	owner := res.Bare()
	for _, it := range items {
		if it.Subscription == "to" || it.Subscription == "both" {
			m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "probe", "from", owner, "to", it.JID))
		}
	}
	// The new resource learns about the account's other available resources.
	for _, other := range m.router.Sessions().Resources(owner) {
		if other == res {
			continue
		}
		if p, _, ok := other.Presence(); ok {
			m.sendCopy(res, p, other.Full(), res.Full())
		}
	}
	pending, err := m.store.Pending(ctx, owner)
	if err != nil {
		m.log.Error("pending subscriptions read failed", "jid", owner, "err", err)
	}
	for _, p := range pending {
		el, err := xmlstream.Parse(p.Stanza)
		if err != nil {
			m.log.Error("stored subscription request unreadable", "jid", owner, "err", err)
			continue
		}
		el.Set("to", res.Full())
		res.Send(el)
	}
	m.router.Available(ctx, res)
}

// directed handles presence sent to one entity (RFC 6121 §4.6).
func (m *Module) directed(ctx context.Context, p router.Presence, unavailable bool) {
	to := p.To.String()
	if unavailable {
		p.Session.RemoveDirected(to)
	} else {
		p.Session.AddDirected(to)
	}
	m.router.RoutePresence(ctx, p)
}

// sessionEnd broadcasts unavailable presence for a resource that vanished without it.
func (m *Module) sessionEnd(ctx context.Context, res *session.Resource) {
	if _, _, ok := res.Presence(); !ok {
		return
	}
	m.broadcast(ctx, res, stanza.New(stanza.NSClient, "presence", "type", "unavailable"), true)
}

// sendTo routes st to 'to', reusing st: routing encodes it synchronously.
func (m *Module) sendTo(ctx context.Context, st *stanza.Element, to string) {
	st.Set("to", to)
	m.router.Route(ctx, st)
}

// sendCopy queues a copy of a stored presence for one resource.
func (m *Module) sendCopy(res *session.Resource, p *stanza.Element, from, to string) {
	c := p.Copy()
	c.Set("from", from)
	c.Set("to", to)
	res.Send(c)
}

// priorityOf reads <priority/> (RFC 6121 §4.7.2.3): -128..127, 0 when absent or invalid.
func priorityOf(st *stanza.Element) int {
	el := st.Child(stanza.NSClient, "priority")
	if el == nil {
		return 0
	}
	n, err := strconv.Atoi(el.Text())
	if err != nil || n < -128 || n > 127 {
		return 0
	}
	return n
}

func bareOf(j jid.JID) string { return j.Bare().String() }
