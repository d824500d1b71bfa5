package roster

import (
	"context"
	"log/slog"
	"strconv"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

const (
	// NS is the roster namespace (RFC 6121 §2.1).
	NS = "jabber:iq:roster"
	// NSVer is the stream feature announcing roster versioning (RFC 6121 §2.6.1).
	NSVer = "urn:xmpp:features:rosterver"
)

// Module serves rosters from a Store.
type Module struct {
	store  Store
	router *router.Router
	log    *slog.Logger
}

// New returns the roster module.
func New(store Store, r *router.Router, log *slog.Logger) *Module {
	return &Module{store: store, router: r, log: log}
}

// Register wires the roster IQs and the versioning stream feature.
func (m *Module) Register(r *router.Router) {
	r.RegisterIQ("get", NS, router.ToSelf, m.get)
	r.RegisterIQ("set", NS, router.ToSelf, m.set)
	r.RegisterStreamFeature(stanza.New(NSVer, "ver"))
}

// Store returns the module's store, for the presence module.
func (m *Module) Store() Store { return m.store }

// Push sends a roster push for it (or its removal when removed is true) to every
// resource of owner that asked for the roster (RFC 6121 §2.1.6).
func (m *Module) Push(ctx context.Context, owner string, it Item, removed bool, version uint64) {
	for _, res := range m.router.Sessions().Resources(owner) {
		if !res.RosterRequested() {
			continue
		}
		query := stanza.New(NS, "query", "ver", strconv.FormatUint(version, 10))
		item := itemElement(it)
		if removed {
			item = stanza.New(NS, "item", "jid", it.JID, "subscription", "remove")
		}
		query.Append(item)
		push := stanza.New(stanza.NSClient, "iq", "type", "set", "id", "push"+strconv.FormatUint(version, 10), "to", res.Full())
		push.Append(query)
		if err := res.Send(push); err != nil && m.log.Enabled(ctx, slog.LevelDebug) {
			m.log.Debug("roster push not queued", "jid", res.Full(), "err", err)
		}
	}
}

func itemElement(it Item) *stanza.Element {
	el := stanza.New(NS, "item", "jid", it.JID, "subscription", it.Subscription)
	if it.Name != "" {
		el.Set("name", it.Name)
	}
	if it.Ask {
		el.Set("ask", "subscribe")
	}
	for _, g := range it.Groups {
		el.Append(stanza.New(NS, "group").AppendText(g))
	}
	return el
}

// get returns the roster, or an empty result when the client's version is current (§2.6.3).
func (m *Module) get(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	if iq.Session != nil {
		iq.Session.SetRosterRequested()
	}
	items, version, err := m.store.Roster(ctx, iq.To.String())
	if err != nil {
		return nil, err
	}
	ver := strconv.FormatUint(version, 10)
	if iq.Payload.Get("ver") == ver {
		return nil, nil
	}
	query := stanza.New(NS, "query", "ver", ver)
	for _, it := range items {
		query.Append(itemElement(it))
	}
	return query, nil
}

// set adds, updates or removes one item (RFC 6121 §2.3 and §2.5).
func (m *Module) set(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	items := iq.Payload.ChildElements()
	if len(items) != 1 || items[0].Name.Local != "item" || items[0].Name.Space != NS {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "a roster set carries exactly one item"}
	}
	req := items[0]
	contact, err := jid.Parse(req.Get("jid"))
	if err != nil {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed}
	}
	owner := iq.To.String()
	contactID := contact.String()
	switch sub := req.Get("subscription"); sub {
	case "remove":
		return nil, m.remove(ctx, owner, contact)
	case "", "none", "to", "from", "both":
		// §2.1.2.5: the client may echo back a state the server owns; it is ignored.
	default:
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "unknown subscription value"}
	}
	if contact.Bare().String() == owner {
		// §2.3.3: an item for the user's own bare JID is not allowed.
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAllowed, Text: "cannot add yourself"}
	}
	groups, err := parseGroups(req)
	if err != nil {
		return nil, err
	}
	name := req.Get("name")
	if len(name) > 1023 {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "name too long"}
	}
	it, err := m.store.Item(ctx, owner, contactID)
	if err != nil {
		if !isNotExist(err) {
			return nil, err
		}
		it = Item{JID: contactID, Subscription: "none"}
	}
	it.Name, it.Groups = name, groups
	version, err := m.store.PutItem(ctx, owner, it)
	if err != nil {
		return nil, err
	}
	m.Push(ctx, owner, it, false, version)
	return nil, nil
}

// remove deletes an item and cancels the subscriptions it carried (§2.5.2).
func (m *Module) remove(ctx context.Context, owner string, contact jid.JID) error {
	contactID := contact.String()
	it, err := m.store.Item(ctx, owner, contactID)
	if err != nil {
		if isNotExist(err) {
			return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
		}
		return err
	}
	pendingIn, err := m.PendingFrom(ctx, owner, contactID)
	if err != nil {
		return err
	}
	state := StateOf(it, pendingIn)
	if pendingIn {
		if err := m.store.DeletePending(ctx, owner, contactID); err != nil {
			return err
		}
	}
	version, err := m.store.DeleteItem(ctx, owner, contactID)
	if err != nil {
		return err
	}
	m.Push(ctx, owner, it, true, version)
	if state.To || state.PendingOut {
		m.sendSubscription(ctx, owner, contactID, "unsubscribe")
	}
	if state.From || state.PendingIn {
		m.sendSubscription(ctx, owner, contactID, "unsubscribed")
	}
	return nil
}

func (m *Module) sendSubscription(ctx context.Context, from, to, typ string) {
	m.router.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", typ, "from", from, "to", to))
}

// PendingFrom reports whether owner has an unanswered subscription request from contact.
func (m *Module) PendingFrom(ctx context.Context, owner, contact string) (bool, error) {
	pending, err := m.store.Pending(ctx, owner)
	if err != nil {
		return false, err
	}
	for _, p := range pending {
		if p.From == contact {
			return true, nil
		}
	}
	return false, nil
}

// parseGroups validates the item's groups (§2.3.3: no duplicates, none empty).
func parseGroups(item *stanza.Element) ([]string, error) {
	var groups []string
	seen := map[string]bool{}
	for _, g := range item.ChildElements() {
		if g.Name.Local != "group" {
			continue
		}
		name := g.Text()
		if name == "" {
			return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "empty group name"}
		}
		if seen[name] {
			return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "duplicate group"}
		}
		seen[name] = true
		groups = append(groups, name)
	}
	return groups, nil
}
