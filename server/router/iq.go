package router

import (
	"context"
	"errors"
	"log/slog"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// deliverIQ routes an IQ to a handler of the server, to an account's handler, or to a resource.
func (r *Router) deliverIQ(ctx context.Context, st *stanza.Element, from, to jid.JID, res *session.Resource) {
	if !r.IsLocal(to) {
		r.remote(ctx, st, to)
		return
	}
	typ := st.Get("type")
	if to.Localpart() != "" && !r.runInbound(ctx, st, to) {
		return
	}
	if to.Resourcepart() != "" && to.Localpart() != "" {
		if target := r.sessions.Resource(to.Bare().String(), to.String()); target != nil {
			r.send(ctx, target, st)
			return
		}
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	if typ != "get" && typ != "set" {
		// A response to the server or to an account: SendIQ may be waiting for it.
		if typ == "result" || typ == "error" {
			r.pending.answer(st)
		}
		return
	}
	payload := st.FirstChild()
	if payload == nil {
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		return
	}
	ns := payload.Name.Space
	var h IQHandler
	if to.Localpart() == "" {
		h = r.iq[iqKey{typ, ns, ToServer}]
	} else {
		if !r.UserExists(ctx, to) {
			r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
			return
		}
		if from.Bare().Equal(to) {
			h = r.iq[iqKey{typ, ns, ToSelf}]
		}
		if h == nil {
			h = r.iq[iqKey{typ, ns, ToAccount}]
		}
		if h == nil && r.iq[iqKey{typ, ns, ToSelf}] != nil {
			// A private namespace (roster, ...) asked of someone else's account.
			r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.Forbidden})
			return
		}
	}
	if h == nil {
		// RFC 6120 §8.4: an IQ with a payload nobody serves.
		r.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		return
	}
	result, err := h(ctx, IQ{Stanza: st, Payload: payload, From: from, To: to, Session: res})
	if err != nil {
		r.Bounce(ctx, st, r.handlerError(ctx, ns, err))
		return
	}
	reply := stanza.ResultIQ(st, result)
	reply.Set("from", to.String())
	r.Route(ctx, reply)
}

// handlerError turns a handler's error into the stanza error the sender sees.
func (r *Router) handlerError(ctx context.Context, ns string, err error) stanza.Error {
	var se stanza.Error
	if errors.As(err, &se) {
		return se
	}
	r.log.LogAttrs(ctx, slog.LevelError, "iq handler failed", slog.String("ns", ns), slog.Any("err", err))
	return stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
}

// asStanzaError keeps a stanza.Error and hides anything else behind internal-server-error.
func asStanzaError(err error) stanza.Error {
	var se stanza.Error
	if errors.As(err, &se) {
		return se
	}
	return stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
}
