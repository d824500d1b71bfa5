package pep

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// eventItems is the <items node/> of an event notification, to which items or retracts
// are added.
func eventItems(node string) *stanza.Element { return stanza.New(NSEvent, "items", "node", node) }

// notifyItem tells the node's audience about a published item (XEP-0060 §7.1.2.1).
func (m *Module) notifyItem(ctx context.Context, owner, node string, cfg Config, it Item) {
	el, err := m.itemElement(NSEvent, it, cfg.DeliverPayloads)
	if err != nil {
		m.log.Error("pep item unreadable", "jid", owner, "node", node, "err", err)
		return
	}
	m.broadcast(ctx, owner, node, cfg, eventItems(node).Append(el))
}

// broadcast sends <event>child</event> to every full JID in owner's audience that wants
// the node's notifications (XEP-0163 §4.3: +notify in its caps) and is allowed them by
// the node's configuration. Notifications come from the owner's bare JID as headline
// messages (§4.3.1), one per available resource (§4.3.2).
func (m *Module) broadcast(ctx context.Context, owner, node string, cfg Config, child *stanza.Element) {
	if !cfg.DeliverNotifications {
		return
	}
	rels := m.relations(owner)
	for _, full := range m.caps.interested(owner, node) {
		rel, ok := m.relationOfFull(ctx, rels, full)
		if ok && mayNotify(cfg, rel) {
			m.send(ctx, owner, full, child, time.Time{})
		}
	}
}

// refresh sends full the last published item of each of owner's nodes it newly wants
// (XEP-0163 §4.3.4, §4.3.5): all it wants when it just became available, the new ones
// when its caps changed. It does nothing while full's features are unknown; it runs again
// when they arrive.
func (m *Module) refresh(ctx context.Context, owner, full string) {
	nodes, initial := m.caps.fresh(owner, full)
	if len(nodes) == 0 {
		return
	}
	rel, ok := m.relationOfFull(ctx, m.relations(owner), full)
	if !ok {
		return
	}
	for _, node := range nodes {
		cfg, err := m.store.Node(ctx, owner, node)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			m.log.Error("pep node read failed", "jid", owner, "node", node, "err", err)
			continue
		}
		switch cfg.SendLastPublishedItem {
		case SendNever:
			continue
		case SendOnSub:
			// A resource coming online is not a new subscription; a new +notify is.
			if initial {
				continue
			}
		}
		if !cfg.DeliverNotifications || !mayNotify(cfg, rel) {
			continue
		}
		m.sendLast(ctx, owner, node, cfg, full)
	}
}

// sendLast sends the node's newest item to one full JID, stamped with its publication
// time (XEP-0163 §4.3.5 example).
func (m *Module) sendLast(ctx context.Context, owner, node string, cfg Config, to string) {
	items, err := m.store.Items(ctx, owner, node, 1)
	if err != nil {
		m.log.Error("pep items read failed", "jid", owner, "node", node, "err", err)
		return
	}
	if len(items) == 0 {
		return
	}
	el, err := m.itemElement(NSEvent, items[0], cfg.DeliverPayloads)
	if err != nil {
		m.log.Error("pep item unreadable", "jid", owner, "node", node, "err", err)
		return
	}
	m.send(ctx, owner, to, eventItems(node).Append(el), items[0].Published)
}

// send routes one notification; the router applies the recipient's hooks (blocking) and
// delivers it to the resource.
func (m *Module) send(ctx context.Context, owner, to string, child *stanza.Element, delay time.Time) {
	msg := stanza.New(stanza.NSClient, "message", "from", owner, "to", to, "type", "headline", "id", randomID())
	msg.Append(stanza.New(NSEvent, "event").Append(child.Copy()))
	if !delay.IsZero() {
		msg.Append(stanza.New(nsDelay, "delay", "from", owner, "stamp", delay.UTC().Format("2006-01-02T15:04:05.000Z")))
	}
	m.router.Route(ctx, msg)
}

// relationOfFull is the roster relation of a full JID's account; ok is false (and the
// failure logged) when the roster cannot be read.
func (m *Module) relationOfFull(ctx context.Context, rels *relations, full string) (relation, bool) {
	j, err := jid.Parse(full)
	if err != nil {
		return relation{}, false
	}
	rel, err := rels.of(ctx, j.Bare().String())
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "roster read failed", slog.String("jid", rels.owner), slog.Any("err", err))
		return relation{}, false
	}
	return rel, true
}
