package router

import (
	"context"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// OutboundHook sees every stanza a local client sends, after 'from' is stamped and
// before it is routed. It may change st; returning false stops it (the hook has answered
// the sender if an answer is due). to is empty when the stanza had no 'to'.
type OutboundHook func(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool

// InboundHook sees every stanza addressed to a local account (bare or full JID) before
// it is delivered or handled on the account's behalf. It may change st; returning false
// stops it.
type InboundHook func(ctx context.Context, st *stanza.Element, to jid.JID) bool

// DeliveredHook runs after a message went to local resources; delivered lists them
// (empty when it went to offline storage).
type DeliveredHook func(ctx context.Context, msg *stanza.Element, to jid.JID, delivered []*session.Resource)

// OnOutbound adds an outbound hook; hooks run in registration order.
func (r *Router) OnOutbound(h OutboundHook) { r.outHooks = append(r.outHooks, h) }

// OnInbound adds an inbound hook; hooks run in registration order.
func (r *Router) OnInbound(h InboundHook) { r.inHooks = append(r.inHooks, h) }

// OnDelivered adds a hook run after message delivery.
func (r *Router) OnDelivered(h DeliveredHook) { r.delivered = append(r.delivered, h) }

func (r *Router) runOutbound(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	for _, h := range r.outHooks {
		if !h(ctx, res, st, to) {
			return false
		}
	}
	return true
}

func (r *Router) runInbound(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	for _, h := range r.inHooks {
		if !h(ctx, st, to) {
			return false
		}
	}
	return true
}

func (r *Router) runDelivered(ctx context.Context, msg *stanza.Element, to jid.JID, delivered []*session.Resource) {
	for _, h := range r.delivered {
		h(ctx, msg, to, delivered)
	}
}
