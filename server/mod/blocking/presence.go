package blocking

import (
	"context"
	"log/slog"
	"strings"

	"xmppbox/server/mod/roster"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// contact is a roster contact matched by block list entries, and the address presence
// for it goes to: its bare JID, or the full JID that was blocked or unblocked.
type contact struct {
	addr string
	item roster.Item
}

// presenceOnBlock sends unavailable presence from each available resource of owner to
// each newly blocked contact that may see the user's presence (XEP-0191 §3.3). The
// presence is marked to pass owner's own filter, which now blocks that contact.
func (m *Module) presenceOnBlock(ctx context.Context, owner string, entries []string) {
	resources := m.available(owner)
	if len(resources) == 0 {
		return
	}
	for _, c := range m.contacts(ctx, owner, entries) {
		if !seesPresence(c.item) {
			continue
		}
		for _, res := range resources {
			p := stanza.New(stanza.NSClient, "presence", "type", "unavailable", "from", res.Full(), "to", c.addr)
			m.router.Route(context.WithValue(ctx, passKey{}, p), p)
		}
	}
}

// presenceOnUnblock sends the current presence of each available resource of owner to
// each unblocked contact that may see it (§3.4), unless another entry still blocks the
// contact, and probes the contacts whose presence the user sees, which was dropped while
// they were blocked.
func (m *Module) presenceOnUnblock(ctx context.Context, owner string, entries []string) {
	resources := m.available(owner)
	if len(resources) == 0 {
		return
	}
	l, err := m.list(ctx, owner)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "block list read failed", slog.String("jid", owner), slog.Any("err", err))
		return
	}
	for _, c := range m.contacts(ctx, owner, entries) {
		if l.blocks(c.addr) {
			continue
		}
		if seesPresence(c.item) {
			for _, res := range resources {
				if p, _, ok := res.Presence(); ok {
					p = p.Copy()
					p.Set("from", res.Full())
					p.Set("to", c.addr)
					m.router.Route(ctx, p)
				}
			}
		}
		if sub := c.item.Subscription; sub == "to" || sub == "both" {
			m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "probe", "from", owner, "to", c.item.JID))
		}
	}
}

// contacts returns owner's roster contacts that the entries match.
func (m *Module) contacts(ctx context.Context, owner string, entries []string) []contact {
	if len(entries) == 0 {
		return nil
	}
	items, _, err := m.rosters.Roster(ctx, owner)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "roster read failed", slog.String("jid", owner), slog.Any("err", err))
		return nil
	}
	l := newBlocklist(entries)
	var out []contact
	for _, it := range items {
		if l.blocks(it.JID) {
			out = append(out, contact{addr: it.JID, item: it})
			continue
		}
		// A full JID entry blocks one resource of the contact only.
		for _, e := range entries {
			if bare, _, ok := strings.Cut(e, "/"); ok && bare == it.JID {
				out = append(out, contact{addr: e, item: it})
			}
		}
	}
	return out
}

// seesPresence reports whether the contact is subscribed to the user's presence.
func seesPresence(it roster.Item) bool {
	return it.Subscription == "from" || it.Subscription == "both"
}

// available returns owner's resources that sent available presence.
func (m *Module) available(owner string) []*session.Resource {
	var out []*session.Resource
	for _, res := range m.router.Sessions().Resources(owner) {
		if _, _, ok := res.Presence(); ok {
			out = append(out, res)
		}
	}
	return out
}
