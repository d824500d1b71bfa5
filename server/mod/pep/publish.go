package pep

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// maxNameBytes bounds node names and item IDs: they are store keys.
const maxNameBytes = 1024

// publish is XEP-0060 §7.1 with auto-create (§7.1.4) and publish-options (§7.1.5): a
// missing node is created with the default configuration changed by the options; an
// existing one must match them, else conflict + precondition-not-met.
func (m *Module) publish(ctx context.Context, iq router.IQ, pub *stanza.Element) (*stanza.Element, error) {
	owner := iq.To.String()
	if !isOwner(iq) {
		return nil, errForbidden
	}
	node := pub.Get("node")
	if err := checkNode(node); err != nil {
		return nil, err
	}
	var itemEl *stanza.Element
	for _, c := range pub.ChildElements() {
		if c.Name.Space != NS || c.Name.Local != "item" {
			continue
		}
		if itemEl != nil {
			// Batch publishing was removed in XEP-0060 1.13.
			return nil, errInvalidPayload
		}
		itemEl = c
	}
	if itemEl == nil {
		return nil, errItemRequired
	}
	payloads := itemEl.ChildElements()
	switch {
	case len(payloads) == 0:
		return nil, errPayloadRequired
	case len(payloads) > 1:
		return nil, errInvalidPayload
	}
	id := itemEl.Get("id")
	if id == "" {
		id = randomID()
	} else if len(id) > maxNameBytes {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "item ID too long"}
	}
	options, hasOptions := form{}, false
	if po := iq.Payload.Child(NS, "publish-options"); po != nil {
		if options, hasOptions = parseForm(po); hasOptions {
			if err := checkFormType(options, NSPublishOptions); err != nil {
				return nil, err
			}
		}
	}
	it := Item{ID: id, Publisher: owner, Published: m.now().UTC(), Payload: payloads[0].AppendXML(nil, stanza.NSClient)}

	unlock := m.lock(owner)
	cfg, err := m.store.Node(ctx, owner, node)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cfg = DefaultConfig()
		if hasOptions {
			if err := applyForm(&cfg, options, m.opts.MaxItems); err != nil {
				unlock()
				return nil, err
			}
		}
		err = m.createNode(ctx, owner, node, cfg)
	case err == nil && hasOptions && !preconditionsMet(cfg, options, m.opts.MaxItems):
		err = errPreconditionNotMet
	}
	if err == nil && cfg.PersistItems {
		err = m.store.PutItem(ctx, owner, node, it)
	}
	unlock()
	if err != nil {
		return nil, err
	}

	m.notifyItem(ctx, owner, node, cfg, it)
	m.bookmarksChanged(ctx, owner, node)
	return stanza.New(NS, "pubsub").Append(
		stanza.New(NS, "publish", "node", node).Append(stanza.New(NS, "item", "id", id))), nil
}

// createNode creates a node within the account's node limit; the caller holds the lock.
func (m *Module) createNode(ctx context.Context, owner, node string, cfg Config) error {
	nodes, err := m.store.Nodes(ctx, owner)
	if err != nil {
		return err
	}
	if len(nodes) >= m.opts.MaxNodes {
		return pubsubError(stanza.Cancel, stanza.NotAllowed, "max-nodes-exceeded")
	}
	return m.store.CreateNode(ctx, owner, node, cfg)
}

// retract is XEP-0060 §7.2: the item goes, and subscribers learn it when the request
// asks for notify or, without a notify attribute, when the node is configured to.
func (m *Module) retract(ctx context.Context, iq router.IQ, op *stanza.Element) (*stanza.Element, error) {
	owner := iq.To.String()
	if !isOwner(iq) {
		return nil, errForbidden
	}
	node := op.Get("node")
	if err := checkNode(node); err != nil {
		return nil, err
	}
	itemEl := op.Child(NS, "item")
	if itemEl == nil || itemEl.Get("id") == "" {
		return nil, errItemRequired
	}
	id := itemEl.Get("id")
	unlock := m.lock(owner)
	cfg, err := m.store.Node(ctx, owner, node)
	if err == nil {
		err = m.store.DeleteItem(ctx, owner, node, id)
	}
	unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNodeNotFound
	}
	if err != nil {
		return nil, err
	}
	notify := cfg.NotifyRetract
	switch op.Get("notify") {
	case "true", "1":
		notify = true
	case "false", "0":
		notify = false
	}
	if notify {
		m.broadcast(ctx, owner, node, cfg, eventItems(node).Append(stanza.New(NSEvent, "retract", "id", id)))
	}
	m.bookmarksChanged(ctx, owner, node)
	return nil, nil
}

// create is XEP-0060 §8.1, with an optional <configure/> (§8.1.3). Instant nodes (no
// node name) are not offered.
func (m *Module) create(ctx context.Context, iq router.IQ, op *stanza.Element) (*stanza.Element, error) {
	owner := iq.To.String()
	if !isOwner(iq) {
		return nil, errForbidden
	}
	node := op.Get("node")
	if node == "" {
		return nil, pubsubError(stanza.Modify, stanza.NotAcceptable, "nodeid-required")
	}
	if err := checkNode(node); err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	if conf := iq.Payload.Child(NS, "configure"); conf != nil {
		if conf.Get("node") != "" {
			return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "<configure/> of a create has no node"}
		}
		if f, ok := parseForm(conf); ok && f.typ != "cancel" {
			if err := checkFormType(f, NSNodeConfig); err != nil {
				return nil, err
			}
			if err := applyForm(&cfg, f, m.opts.MaxItems); err != nil {
				return nil, err
			}
		}
	}
	unlock := m.lock(owner)
	err := m.createNode(ctx, owner, node, cfg)
	unlock()
	if errors.Is(err, fs.ErrExist) {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict}
	}
	return nil, err
}

func isOwner(iq router.IQ) bool { return iq.From.Bare().Equal(iq.To) }

// checkNode refuses a missing or oversized node name.
func checkNode(node string) error {
	switch {
	case node == "":
		return errNodeRequired
	case len(node) > maxNameBytes:
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: fmt.Sprintf("node names are at most %d bytes", maxNameBytes)}
	}
	return nil
}
