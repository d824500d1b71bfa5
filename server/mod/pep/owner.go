package pep

import (
	"context"
	"errors"
	"io/fs"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// ownerGet serves the owner's <pubsub xmlns='…#owner'/> gets: a node's configuration
// form (XEP-0060 §8.2) and the default configuration (§8.3). The router lets only the
// account itself send them.
func (m *Module) ownerGet(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	op := iq.Payload.FirstChild()
	if op == nil || op.Name.Space != NSOwner {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	switch op.Name.Local {
	case "configure":
		node := op.Get("node")
		if err := checkNode(node); err != nil {
			return nil, err
		}
		cfg, err := m.store.Node(ctx, iq.To.String(), node)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errNodeNotFound
		}
		if err != nil {
			return nil, err
		}
		return stanza.New(NSOwner, "pubsub").Append(
			stanza.New(NSOwner, "configure", "node", node).Append(configForm(cfg, "form"))), nil
	case "default":
		return stanza.New(NSOwner, "pubsub").Append(
			stanza.New(NSOwner, "default").Append(configForm(DefaultConfig(), "form"))), nil
	case "affiliations":
		return nil, unsupported("modify-affiliations")
	case "subscriptions":
		return nil, unsupported("manage-subscriptions")
	}
	return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
}

// ownerSet serves the owner's sets: configure (§8.2.4), delete (§8.4), purge (§8.5).
func (m *Module) ownerSet(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	op := iq.Payload.FirstChild()
	if op == nil || op.Name.Space != NSOwner {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	switch op.Name.Local {
	case "configure":
		return nil, m.configure(ctx, iq.To.String(), op)
	case "delete":
		return nil, m.deleteNode(ctx, iq.To.String(), op.Get("node"))
	case "purge":
		return nil, m.purge(ctx, iq.To.String(), op.Get("node"))
	case "affiliations":
		return nil, unsupported("modify-affiliations")
	case "subscriptions":
		return nil, unsupported("manage-subscriptions")
	}
	return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
}

// configure applies a submitted node_config form: the fields it has change, the others
// keep their values. Items beyond a lowered max_items go, and all of them when
// persist_items becomes false.
func (m *Module) configure(ctx context.Context, owner string, op *stanza.Element) error {
	node := op.Get("node")
	if err := checkNode(node); err != nil {
		return err
	}
	f, ok := parseForm(op)
	if !ok {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "no configuration form"}
	}
	if err := checkFormType(f, NSNodeConfig); err != nil {
		return err
	}
	defer m.lock(owner)()
	cfg, err := m.store.Node(ctx, owner, node)
	if errors.Is(err, fs.ErrNotExist) {
		return errNodeNotFound
	}
	if err != nil || f.typ == "cancel" {
		return err
	}
	if err := applyForm(&cfg, f, m.opts.MaxItems); err != nil {
		return err
	}
	if err := m.store.SetConfig(ctx, owner, node, cfg); err != nil {
		return err
	}
	if !cfg.PersistItems {
		return m.store.Purge(ctx, owner, node)
	}
	return nil
}

// deleteNode removes a node; its audience learns it when the node says so (§8.4.2).
func (m *Module) deleteNode(ctx context.Context, owner, node string) error {
	if err := checkNode(node); err != nil {
		return err
	}
	unlock := m.lock(owner)
	cfg, err := m.store.Node(ctx, owner, node)
	if err == nil {
		err = m.store.DeleteNode(ctx, owner, node)
	}
	unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return errNodeNotFound
	}
	if err != nil {
		return err
	}
	if cfg.NotifyDelete {
		m.broadcast(ctx, owner, node, cfg, stanza.New(NSEvent, "delete", "node", node))
	}
	m.bookmarksChanged(ctx, owner, node)
	return nil
}

// purge removes every item of a node (§8.5); the audience learns it when retractions are
// notified.
func (m *Module) purge(ctx context.Context, owner, node string) error {
	if err := checkNode(node); err != nil {
		return err
	}
	unlock := m.lock(owner)
	cfg, err := m.store.Node(ctx, owner, node)
	if err == nil {
		err = m.store.Purge(ctx, owner, node)
	}
	unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return errNodeNotFound
	}
	if err != nil {
		return err
	}
	if cfg.NotifyRetract {
		m.broadcast(ctx, owner, node, cfg, stanza.New(NSEvent, "purge", "node", node))
	}
	m.bookmarksChanged(ctx, owner, node)
	return nil
}
