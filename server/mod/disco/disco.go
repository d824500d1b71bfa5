// Package disco answers XEP-0030 Service Discovery for the server (identity server/im and
// every feature the modules registered) and for accounts (identity account/registered plus
// the identities and features modules registered, such as pubsub/pep, answered on the
// account's behalf to itself and to contacts it shares presence with).
package disco

import (
	"context"
	"errors"
	"io/fs"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

const (
	NSInfo  = "http://jabber.org/protocol/disco#info"
	NSItems = "http://jabber.org/protocol/disco#items"
)

// Module answers disco#info and disco#items.
type Module struct {
	router *router.Router
	roster roster.Store
}

// New returns the disco module; the roster decides who may discover an account.
func New(r *router.Router, rosters roster.Store) *Module { return &Module{router: r, roster: rosters} }

// Register wires the disco IQs.
func (m *Module) Register(r *router.Router) {
	r.RegisterFeature(NSInfo)
	r.RegisterFeature(NSItems)
	r.RegisterAccountFeature(NSInfo)
	r.RegisterAccountFeature(NSItems)
	r.RegisterIQ("get", NSInfo, router.ToServer, m.serverInfo)
	r.RegisterIQ("get", NSItems, router.ToServer, m.serverItems)
	r.RegisterIQ("get", NSInfo, router.ToAccount, m.accountInfo)
	r.RegisterIQ("get", NSItems, router.ToAccount, m.accountItems)
}

func (m *Module) serverInfo(_ context.Context, iq router.IQ) (*stanza.Element, error) {
	if iq.Payload.Get("node") != "" {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	q := stanza.New(NSInfo, "query").Append(stanza.New(NSInfo, "identity", "category", "server", "type", "im", "name", "xmppbox"))
	for _, f := range m.router.Features() {
		q.Append(stanza.New(NSInfo, "feature", "var", f))
	}
	return q, nil
}

func (m *Module) serverItems(_ context.Context, iq router.IQ) (*stanza.Element, error) {
	if iq.Payload.Get("node") != "" {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	q := stanza.New(NSItems, "query")
	for _, svc := range m.router.Services() {
		q.Append(stanza.New(NSItems, "item", "jid", svc.Domain, "name", svc.Name))
	}
	return q, nil
}

func (m *Module) accountInfo(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	if err := m.mayDiscover(ctx, iq); err != nil {
		return nil, err
	}
	q := stanza.New(NSInfo, "query").Append(stanza.New(NSInfo, "identity", "category", "account", "type", "registered"))
	for _, id := range m.router.AccountIdentities() {
		q.Append(stanza.New(NSInfo, "identity", "category", id.Category, "type", id.Type, "name", id.Name))
	}
	for _, f := range m.router.AccountFeatures() {
		q.Append(stanza.New(NSInfo, "feature", "var", f))
	}
	return q, nil
}

func (m *Module) accountItems(ctx context.Context, iq router.IQ) (*stanza.Element, error) {
	if err := m.mayDiscover(ctx, iq); err != nil {
		return nil, err
	}
	return stanza.New(NSItems, "query"), nil
}

// mayDiscover lets the account itself and its presence subscribers see it; to anyone
// else the account looks absent (XEP-0030 §8: do not leak presence or existence).
func (m *Module) mayDiscover(ctx context.Context, iq router.IQ) error {
	owner := iq.To.String()
	from := iq.From.Bare().String()
	if from == owner {
		return nil
	}
	it, err := m.roster.Item(ctx, owner, from)
	if err == nil && (it.Subscription == "from" || it.Subscription == "both") {
		return nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}
}
