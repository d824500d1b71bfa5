package carbons

import (
	"context"
	"log/slog"
	"slices"
	"sync"

	"xmppbox/server/router"
	"xmppbox/server/session"
)

const (
	// NS is XEP-0280 Message Carbons.
	NS = "urn:xmpp:carbons:2"
	// NSRules announces that the server copies by the rules of XEP-0280 §6.
	NSRules = "urn:xmpp:carbons:rules:0"
	// NSForward is XEP-0297 Stanza Forwarding, which wraps every copy.
	NSForward = "urn:xmpp:forward:0"
	// NSHints is XEP-0334 Message Processing Hints (<no-copy/>).
	NSHints = "urn:xmpp:hints"
)

// Module keeps which resources enabled carbons and sends them the copies.
type Module struct {
	router *router.Router
	log    *slog.Logger

	mu sync.RWMutex
	// enabled lists the carbons-enabled resources of each account by bare JID. A slice
	// stored here is never changed in place, only replaced, so a reader may use it after
	// unlocking. It is guarded by mu.
	enabled map[string][]*session.Resource

	private privateSet
}

// New returns the carbons module; it sends copies through r's session registry.
func New(r *router.Router, log *slog.Logger) *Module {
	return &Module{router: r, log: log, enabled: make(map[string][]*session.Resource)}
}

// Register wires the enable/disable IQs, the message hooks and the disco features.
func (m *Module) Register(r *router.Router) {
	r.RegisterFeature(NS)
	r.RegisterFeature(NSRules)
	r.RegisterIQ("set", NS, router.ToSelf, m.toggle)
	r.OnOutbound(m.outbound)
	r.OnInbound(m.inbound)
	r.OnDelivered(m.delivered)
	r.OnSessionEnd(m.sessionEnd)
}

// Enabled reports whether res has carbons enabled.
func (m *Module) Enabled(res *session.Resource) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Contains(m.enabled[res.Bare()], res)
}

// setEnabled turns carbons on or off for res. It also forgets resources of the same
// account that are no longer bound: a session replaced by a new one on the same full JID
// (RFC 6120 §7.7.2.2) ends without the session-end hook.
func (m *Module) setEnabled(res *session.Resource, on bool) {
	bare := res.Bare()
	sessions := m.router.Sessions()
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.enabled[bare]
	next := make([]*session.Resource, 0, len(old)+1)
	for _, r := range old {
		if r != res && sessions.Resource(bare, r.Full()) == r {
			next = append(next, r)
		}
	}
	if on {
		next = append(next, res)
	}
	m.store(bare, next)
}

// store replaces the list of bare; call with mu held.
func (m *Module) store(bare string, list []*session.Resource) {
	if len(list) == 0 {
		delete(m.enabled, bare)
		return
	}
	m.enabled[bare] = list
}

// enabledOf returns the carbons-enabled resources of an account. The caller must not
// change the slice.
func (m *Module) enabledOf(bare string) []*session.Resource {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.enabled[bare]
}

// sessionEnd forgets a resource that went away.
func (m *Module) sessionEnd(_ context.Context, res *session.Resource) {
	bare := res.Bare()
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.enabled[bare]
	if !slices.Contains(old, res) {
		return
	}
	m.store(bare, slices.DeleteFunc(slices.Clone(old), func(r *session.Resource) bool { return r == res }))
}
