package pep

import (
	"context"
	"log/slog"
	"strconv"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// The presence observers keep each account's audience (tracker): its own available
// resources (outbound presence and OnAvailable) and its contacts' resources whose
// available presence reached it (inbound presence, which for local contacts also comes
// through the router). Each observed presence carries the XEP-0115 caps that decide
// which notifications a resource wants. None of them ever stops a stanza.

// outbound sees a local client's presence broadcast (no 'to'): its caps are recorded, and
// for a resource that is already available a change of caps or priority takes effect now.
// The initial presence takes effect in available, once the presence module has marked
// the resource available.
func (m *Module) outbound(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "presence" || to.Domainpart() != "" {
		return true
	}
	owner, full := res.Bare(), res.Full()
	switch st.Get("type") {
	case "":
		_, _, available := res.Presence()
		if !available {
			// Initial presence: whatever is remembered for this full JID belongs to an
			// earlier session (one replaced by this one leaves without unavailable
			// presence), and this one must get the last items as a new resource.
			m.caps.forget(full)
		}
		m.observe(ctx, owner, full, st, true)
		if available {
			m.enter(ctx, owner, full, priorityOf(st))
		}
	case "unavailable":
		m.caps.forget(full)
	}
	return true
}

// available runs after a resource's initial presence: it joins its own account's audience
// and gets the last published items it wants (XEP-0163 §4.3.4, the owner included).
func (m *Module) available(ctx context.Context, res *session.Resource) {
	p, prio, ok := res.Presence()
	if !ok {
		return
	}
	// outbound has seen this presence already; observing it again changes nothing then,
	// and covers a resource made available without passing through it.
	m.observe(ctx, res.Bare(), res.Full(), p, true)
	m.enter(ctx, res.Bare(), res.Full(), prio)
}

// sessionEnd forgets a resource whose stream ended without unavailable presence.
func (m *Module) sessionEnd(_ context.Context, res *session.Resource) {
	m.caps.forget(res.Full())
}

// inbound sees presence reaching an account's bare JID from another account's resource:
// the contact's resource joins (or leaves) the account's audience. Whether it may then
// get notifications is decided per node by the roster and access model.
func (m *Module) inbound(ctx context.Context, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "presence" || to.Resourcepart() != "" {
		return true
	}
	from, err := jid.Parse(st.Get("from"))
	if err != nil || from.Resourcepart() == "" || from.Bare().Equal(to) {
		return true
	}
	owner, full := to.String(), from.String()
	switch st.Get("type") {
	case "":
		m.observe(ctx, owner, full, st, false)
		m.enter(ctx, owner, full, priorityOf(st))
	case "unavailable":
		m.caps.leave(owner, full)
	}
	return true
}

// enter puts full in owner's audience and sends what it newly wants. A resource with a
// negative priority gets no notifications (XEP-0163 §4.3.2) and leaves the audience.
func (m *Module) enter(ctx context.Context, owner, full string, priority int) {
	if priority < 0 {
		m.caps.leave(owner, full)
		return
	}
	m.caps.join(owner, full)
	m.refresh(ctx, owner, full)
}

// observe records the caps in an available presence from full, and asks full for its
// features when they are unknown. The query comes from asker, the account that saw the
// presence.
func (m *Module) observe(ctx context.Context, asker, full string, st *stanza.Element, local bool) {
	var c caps
	if el := st.Child(NSCaps, "c"); el != nil {
		c = caps{hash: el.Get("hash"), node: el.Get("node"), ver: el.Get("ver")}
	}
	if q := m.caps.observe(full, c, local); q != nil {
		m.query(ctx, asker, *q)
	}
}

// query sends the disco#info request of XEP-0115 §6.2 and handles its answer: a verified
// answer is cached for every JID with the same caps, any other usable answer applies to
// the JID asked only, and the members whose features arrived get their last items.
func (m *Module) query(ctx context.Context, asker string, q capsQuery) {
	ctx = context.WithoutCancel(ctx)
	iq := stanza.New(stanza.NSClient, "iq", "type", "get", "from", asker, "to", q.to)
	iq.Append(stanza.New(nsDiscoInfo, "query", "node", q.c.node+"#"+q.c.ver))
	m.router.SendIQ(ctx, iq, m.opts.DiscoTimeout, func(resp *stanza.Element) {
		var result *stanza.Element
		if resp != nil && resp.Get("type") == "result" {
			result = resp.Child(nsDiscoInfo, "query")
		}
		if result == nil {
			m.caps.failed(q)
			return
		}
		info, wellFormed := parseDiscoInfo(result)
		verified := false
		if wellFormed {
			ver, ok := capsVer(info, q.c.hash)
			verified = ok && ver == q.c.ver
			if ok && !verified && m.log.Enabled(ctx, slog.LevelDebug) {
				// The client's bug, not the operator's: its answer counts for it alone.
				m.log.LogAttrs(ctx, slog.LevelDebug, "caps verification failed",
					slog.String("jid", q.to), slog.String("ver", q.c.ver), slog.String("computed", ver))
			}
		}
		for _, changed := range m.caps.resolved(q, newFeatureSet(info.features), verified) {
			m.refresh(ctx, changed[0], changed[1])
		}
	})
}

// priorityOf reads <priority/> (RFC 6121 §4.7.2.3): 0 when absent or invalid.
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
