package pep

import (
	"context"
	"errors"
	"io/fs"

	"xmppbox/server/mod/private"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// Bookmarks in both forms (XEP-0402 §3, XEP-0048 §3).
const (
	NSBookmarks = "urn:xmpp:bookmarks:1"
	// FeatureBookmarksCompat says the server keeps XEP-0402 bookmarks and XEP-0048
	// bookmarks in XEP-0049 private storage in step (XEP-0402 §5.3).
	FeatureBookmarksCompat = NSBookmarks + "#compat"
	nsLegacyBookmarks      = "storage:bookmarks"
)

// Private is XEP-0049 private XML storage as the bookmark conversion needs it;
// *private.Module is one. Set must not run the OnChange hooks.
type Private interface {
	Get(ctx context.Context, owner, space, local string) (*stanza.Element, error)
	Set(ctx context.Context, owner string, el *stanza.Element) error
	OnChange(h private.ChangeHook)
}

var _ Private = (*private.Module)(nil)

// conference is what the two bookmark formats share.
type conference struct {
	name, nick, password string
	autojoin             bool
}

func conferenceOf(el *stanza.Element) conference {
	c := conference{name: el.Get("name"), autojoin: el.Get("autojoin") == "true" || el.Get("autojoin") == "1"}
	if n := el.Child(el.Name.Space, "nick"); n != nil {
		c.nick = n.Text()
	}
	if p := el.Child(el.Name.Space, "password"); p != nil {
		c.password = p.Text()
	}
	return c
}

// element renders c in namespace ns; jid is set only for the XEP-0048 form, where the
// room's address is an attribute (XEP-0402 keeps it in the item ID).
func (c conference) element(ns, jid string) *stanza.Element {
	el := stanza.New(ns, "conference", "jid", jid, "name", c.name)
	if c.autojoin {
		el.Set("autojoin", "true")
	}
	if c.nick != "" {
		el.Append(stanza.New(ns, "nick").AppendText(c.nick))
	}
	if c.password != "" {
		el.Append(stanza.New(ns, "password").AppendText(c.password))
	}
	return el
}

// bookmarksConfig is the node configuration XEP-0402 §4 asks for.
func (m *Module) bookmarksConfig() Config {
	c := DefaultConfig()
	c.AccessModel, c.MaxItems, c.SendLastPublishedItem = AccessWhitelist, m.opts.MaxItems, SendNever
	return c
}

// bookmarksChanged mirrors the account's XEP-0402 bookmarks into its private
// storage:bookmarks after a client changed node, when that is the bookmarks node. The
// conferences are replaced; other XEP-0048 entries (URLs) are kept.
func (m *Module) bookmarksChanged(ctx context.Context, owner, node string) {
	if m.opts.Private == nil || node != NSBookmarks {
		return
	}
	// Under the account's lock, so that two changes cannot write their mirrors in the
	// wrong order.
	defer m.lock(owner)()
	items, err := m.store.Items(ctx, owner, NSBookmarks, 0)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.Error("bookmarks read failed", "jid", owner, "err", err)
		return
	}
	storage := stanza.New(nsLegacyBookmarks, "storage")
	old, err := m.opts.Private.Get(ctx, owner, nsLegacyBookmarks, "storage")
	if err != nil {
		m.log.Error("private bookmarks read failed", "jid", owner, "err", err)
		return
	}
	if old != nil {
		for _, c := range old.ChildElements() {
			if c.Name.Local != "conference" {
				storage.Append(c)
			}
		}
	}
	for _, it := range items {
		if len(it.Payload) == 0 {
			continue
		}
		payload, err := xmlstream.Parse(it.Payload)
		if err != nil || payload.Name.Space != NSBookmarks || payload.Name.Local != "conference" {
			continue
		}
		storage.Append(conferenceOf(payload).element(nsLegacyBookmarks, it.ID))
	}
	if err := m.opts.Private.Set(ctx, owner, storage); err != nil {
		m.log.Error("private bookmarks write failed", "jid", owner, "err", err)
	}
}

// privateChanged is the private module's OnChange hook: a client stored XEP-0048
// bookmarks, so the XEP-0402 items follow (XEP-0402 §5.3.2). Only what changed is
// published or retracted, and notified; XEP-0402 <extensions/> of a kept item stay.
func (m *Module) privateChanged(ctx context.Context, owner string, el *stanza.Element) {
	if el.Name.Space != nsLegacyBookmarks || el.Name.Local != "storage" {
		return
	}
	want := map[string]conference{}
	var order []string
	for _, c := range el.ChildElements() {
		jid := c.Get("jid")
		if c.Name.Local != "conference" || jid == "" || len(jid) > maxNameBytes {
			continue
		}
		if _, dup := want[jid]; !dup {
			order = append(order, jid)
		}
		want[jid] = conferenceOf(c)
	}
	published, retracted, cfg, err := m.syncBookmarks(ctx, owner, want, order)
	if err != nil {
		m.log.Error("bookmarks conversion failed", "jid", owner, "err", err)
		return
	}
	for _, it := range published {
		m.notifyItem(ctx, owner, NSBookmarks, cfg, it)
	}
	for _, id := range retracted {
		m.broadcast(ctx, owner, NSBookmarks, cfg, eventItems(NSBookmarks).Append(stanza.New(NSEvent, "retract", "id", id)))
	}
}

// syncBookmarks makes the bookmarks node hold want, under the account's lock.
func (m *Module) syncBookmarks(ctx context.Context, owner string, want map[string]conference, order []string) (published []Item, retracted []string, cfg Config, err error) {
	defer m.lock(owner)()
	cfg, err = m.store.Node(ctx, owner, NSBookmarks)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(want) == 0 {
			return nil, nil, cfg, nil
		}
		cfg = m.bookmarksConfig()
		if err := m.createNode(ctx, owner, NSBookmarks, cfg); err != nil {
			return nil, nil, cfg, err
		}
	case err != nil:
		return nil, nil, cfg, err
	}
	items, err := m.store.Items(ctx, owner, NSBookmarks, 0)
	if err != nil {
		return nil, nil, cfg, err
	}
	have := map[string]*stanza.Element{}
	for _, it := range items {
		payload, err := xmlstream.Parse(it.Payload)
		if err != nil || payload.Name.Space != NSBookmarks || payload.Name.Local != "conference" {
			payload = stanza.New(NSBookmarks, "conference")
		}
		have[it.ID] = payload
		if _, keep := want[it.ID]; !keep {
			if err := m.store.DeleteItem(ctx, owner, NSBookmarks, it.ID); err != nil {
				return nil, nil, cfg, err
			}
			retracted = append(retracted, it.ID)
		}
	}
	for _, jid := range order {
		c := want[jid]
		old, ok := have[jid]
		if ok && conferenceOf(old) == c {
			continue
		}
		el := c.element(NSBookmarks, "")
		if ok {
			if ext := old.Child(NSBookmarks, "extensions"); ext != nil {
				el.Append(ext)
			}
		}
		it := Item{ID: jid, Publisher: owner, Published: m.now().UTC(), Payload: el.AppendXML(nil, stanza.NSClient)}
		if cfg.PersistItems {
			if err := m.store.PutItem(ctx, owner, NSBookmarks, it); err != nil {
				return nil, nil, cfg, err
			}
		}
		published = append(published, it)
	}
	return published, retracted, cfg, nil
}
