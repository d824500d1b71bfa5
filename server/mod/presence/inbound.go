package presence

import (
	"context"

	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// inbound handles presence addressed to a local account.
func (m *Module) inbound(ctx context.Context, p router.Presence) {
	switch typ := p.Stanza.Get("type"); typ {
	case "", "unavailable", "error":
		m.deliver(ctx, p)
	case "probe":
		m.probe(ctx, p)
	case "subscribe", "unsubscribe", "subscribed", "unsubscribed":
		m.inboundSubscription(ctx, p, typ)
	}
}

// deliver hands presence to the addressed resource, or to every available resource of
// the account for a bare JID (RFC 6121 §8.5.2.1.2, §8.5.3.1); it is never stored.
func (m *Module) deliver(ctx context.Context, p router.Presence) {
	bare := p.To.Bare().String()
	if p.To.Resourcepart() != "" {
		if res := m.router.Sessions().Resource(bare, p.To.String()); res != nil {
			res.Send(p.Stanza)
		}
		return
	}
	for _, res := range m.router.Sessions().Resources(bare) {
		if _, _, ok := res.Presence(); ok {
			res.Send(p.Stanza)
		}
	}
}

// probe answers a contact's probe with the current presence of each available resource,
// when the contact is subscribed (RFC 6121 §4.3.2). Unsubscribed probers learn nothing.
func (m *Module) probe(ctx context.Context, p router.Presence) {
	owner := p.To.Bare().String()
	prober := bareOf(p.From)
	it, err := m.store.Item(ctx, owner, prober)
	if err != nil || (it.Subscription != "from" && it.Subscription != "both") {
		return
	}
	answered := false
	for _, res := range m.router.Sessions().Resources(owner) {
		if st, _, ok := res.Presence(); ok {
			m.routeCopy(ctx, st, res.Full(), p.From.String())
			answered = true
		}
	}
	if !answered {
		m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "unavailable", "from", owner, "to", p.From.String()))
	}
}

func (m *Module) routeCopy(ctx context.Context, st *stanza.Element, from, to string) {
	c := st.Copy()
	c.Set("from", from)
	c.Set("to", to)
	m.router.Route(ctx, c)
}

// availableResources returns the account's resources that sent available presence.
func (m *Module) availableResources(owner string) []*session.Resource {
	var out []*session.Resource
	for _, res := range m.router.Sessions().Resources(owner) {
		if _, _, ok := res.Presence(); ok {
			out = append(out, res)
		}
	}
	return out
}
