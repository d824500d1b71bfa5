package pep

import (
	"context"
	"errors"
	"io/fs"
	"strconv"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// items is XEP-0060 §6.5: all items, the newest max_items, or the items asked by ID,
// after the node's access model allowed the requester.
func (m *Module) items(ctx context.Context, iq router.IQ, op *stanza.Element) (*stanza.Element, error) {
	owner := iq.To.String()
	node := op.Get("node")
	if err := checkNode(node); err != nil {
		return nil, err
	}
	cfg, err := m.store.Node(ctx, owner, node)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNodeNotFound
	}
	if err != nil {
		return nil, err
	}
	rel, err := m.relationOf(ctx, owner, iq.From.Bare().String())
	if err != nil {
		return nil, err
	}
	if err := mayRead(cfg, rel); err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range op.ChildElements() {
		if c.Name.Space == NS && c.Name.Local == "item" && c.Get("id") != "" {
			ids = append(ids, c.Get("id"))
		}
	}
	var items []Item
	if len(ids) > 0 {
		for _, id := range ids {
			it, err := m.store.Item(ctx, owner, node, id)
			if errors.Is(err, fs.ErrNotExist) {
				continue // §6.5.9.11: missing items are left out
			}
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	} else {
		last := 0
		if s := op.Get("max_items"); s != "" {
			if last, err = strconv.Atoi(s); err != nil || last <= 0 {
				return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "max_items must be a positive count"}
			}
		}
		if items, err = m.store.Items(ctx, owner, node, last); err != nil {
			return nil, err
		}
	}
	list := stanza.New(NS, "items", "node", node)
	for _, it := range items {
		el, err := m.itemElement(NS, it, true)
		if err != nil {
			return nil, err
		}
		list.Append(el)
	}
	return stanza.New(NS, "pubsub").Append(list), nil
}

// itemElement renders a stored item in namespace ns (pubsub for results, pubsub#event for
// notifications), with or without its payload.
func (m *Module) itemElement(ns string, it Item, payload bool) (*stanza.Element, error) {
	el := stanza.New(ns, "item", "id", it.ID)
	if !payload || len(it.Payload) == 0 {
		return el, nil
	}
	p, err := xmlstream.Parse(it.Payload)
	if err != nil {
		return nil, err
	}
	return el.Append(p), nil
}
