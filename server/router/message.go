package router

import (
	"context"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// deliverMessage applies RFC 6121 §8.5 to a message addressed to 'to'.
func (r *Router) deliverMessage(ctx context.Context, st *stanza.Element, to jid.JID) {
	if !r.IsLocal(to) {
		r.remote(ctx, st, to)
		return
	}
	typ := st.Get("type")
	if to.Localpart() == "" {
		// The server has no message service of its own yet (§8.5.1 for the domain).
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	if !r.runInbound(ctx, st, to) {
		return
	}
	bare := to.Bare()
	if res := to.Resourcepart(); res != "" {
		if target := r.sessions.Resource(bare.String(), to.String()); target != nil {
			r.send(ctx, target, st)
			r.runDelivered(ctx, st, to, []*session.Resource{target})
			return
		}
		// §8.5.3.2: no such resource.
		switch typ {
		case "error":
			return
		case "groupchat":
			r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
			return
		}
	}
	r.deliverToAccount(ctx, st, bare, typ)
}

// deliverToAccount is §8.5.2: a message to a local account's bare JID.
func (r *Router) deliverToAccount(ctx context.Context, st *stanza.Element, bare jid.JID, typ string) {
	resources := r.sessions.Resources(bare.String())
	if len(resources) == 0 && !r.userExists(ctx, bare) {
		// §8.5.2.2.1: no such account.
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	if typ == "groupchat" {
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	// §8.5.2.1.1 lets the server deliver chat and normal messages to every available
	// resource with non-negative priority; with several devices that is what users expect.
	var delivered []*session.Resource
	for _, res := range resources {
		if !deliverable(res) {
			continue
		}
		r.send(ctx, res, st)
		delivered = append(delivered, res)
	}
	if len(delivered) > 0 {
		r.runDelivered(ctx, st, bare, delivered)
		return
	}
	switch typ {
	case "error", "headline":
		return // §8.5.2.2.1: silently discarded.
	}
	if r.offline == nil {
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	if err := r.offline(ctx, bare, st); err != nil {
		r.Bounce(ctx, st, asStanzaError(err))
		return
	}
	r.runDelivered(ctx, st, bare, nil)
}

// deliverable reports whether a resource is available with non-negative priority.
func deliverable(res *session.Resource) bool {
	_, prio, ok := res.Presence()
	return ok && prio >= 0
}

// Redeliver delivers a message again to the bare JID it was addressed to, after the
// resource it went to vanished without acknowledging it (XEP-0198). Hooks do not run
// again: the message was already archived and filtered on its first way in.
func (r *Router) Redeliver(ctx context.Context, msg *stanza.Element) {
	to, err := jid.Parse(msg.Get("to"))
	if err != nil || !r.IsLocal(to) || to.Localpart() == "" {
		return
	}
	switch msg.Get("type") {
	case "error", "groupchat", "headline":
		return
	}
	r.deliverToAccount(ctx, msg, to.Bare(), msg.Get("type"))
}
