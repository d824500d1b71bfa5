package blocking

import (
	"context"
	"log/slog"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// passKey marks, in a context, the one stanza the module routes past its own filter: the
// unavailable presence that tells a newly blocked contact the user went away.
type passKey struct{}

// outbound refuses what a local client sends to a JID it blocked (XEP-0191 §3.3): the
// client gets not-acceptable with <blocked/>, or nothing for an error or an IQ result,
// which must never be answered.
func (m *Module) outbound(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	if to.Domainpart() == "" {
		return true
	}
	owner := res.Bare()
	l, err := m.list(ctx, owner)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "block list read failed", slog.String("jid", owner), slog.Any("err", err))
		return true
	}
	if l.empty() {
		return true
	}
	addr := to.String()
	if !l.blocks(addr) || to.Bare().String() == owner {
		return true
	}
	typ := st.Get("type")
	if typ == "error" || (st.Name.Local == "iq" && typ == "result") {
		return false
	}
	reply := stanza.ErrorReply(st, stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAcceptable})
	errEl := reply.Children[len(reply.Children)-1].(*stanza.Element)
	errEl.Append(stanza.New(NSErrors, "blocked"))
	// Straight to the sender's session: routed, the error would come from the blocked JID
	// and be stopped by the very list it reports.
	if err := res.Send(reply); err != nil && m.log.Enabled(ctx, slog.LevelDebug) {
		m.log.LogAttrs(ctx, slog.LevelDebug, "blocked error not queued", slog.String("jid", res.Full()), slog.Any("err", err))
	}
	return false
}

// inbound stops stanzas addressed to a local account from a JID that account blocked,
// and stanzas the server routes for a local user (presence broadcasts, probes,
// notifications) to a JID that user blocked.
func (m *Module) inbound(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	from := st.Get("from")
	if from == "" {
		return true
	}
	owner := to.Bare().String()
	fromBare, _, _ := strings.Cut(from, "/")
	if fromBare == owner || from == m.domain {
		// The account's own resources, and the server itself, are never blocked.
		return true
	}
	l, err := m.list(ctx, owner)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "block list read failed", slog.String("jid", owner), slog.Any("err", err))
		return true
	}
	if l.blocks(from) {
		m.refuse(ctx, st)
		return false
	}
	return m.senderAllows(ctx, st, fromBare, to)
}

// refuse answers a stanza from a blocked JID as XEP-0191 §3.3 says, so that the user
// looks offline: presence gets nothing, messages and IQ requests service-unavailable,
// other IQs nothing.
func (m *Module) refuse(ctx context.Context, st *stanza.Element) {
	switch st.Name.Local {
	case "presence":
		return
	case "iq":
		if typ := st.Get("type"); typ != "get" && typ != "set" {
			return
		}
	}
	m.router.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
}

// senderAllows checks the block list of a local sender. What its clients send was checked
// by outbound already; this catches what the server sends in the user's name. Errors
// pass: they answer the blocked JID's own stanzas (the service-unavailable of refuse).
func (m *Module) senderAllows(ctx context.Context, st *stanza.Element, fromBare string, to jid.JID) bool {
	at := strings.IndexByte(fromBare, '@')
	if at < 0 || fromBare[at+1:] != m.domain || st.Get("type") == "error" {
		return true
	}
	if pass, _ := ctx.Value(passKey{}).(*stanza.Element); pass == st {
		return true
	}
	l, err := m.list(ctx, fromBare)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "block list read failed", slog.String("jid", fromBare), slog.Any("err", err))
		return true
	}
	return l.empty() || !l.blocks(to.String())
}
