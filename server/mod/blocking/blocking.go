package blocking

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"xmppbox/server/mod/roster"
	"xmppbox/server/router"
	"xmppbox/server/session"
)

const (
	// NS is XEP-0191 Blocking Command.
	NS = "urn:xmpp:blocking"
	// NSErrors qualifies <blocked/>, the application error a user gets for a stanza to a
	// JID they blocked.
	NSErrors = "urn:xmpp:blocking:errors"
)

// MaxItems bounds one account's block list, which the module keeps in memory while the
// account is online.
const MaxItems = 5000

// Rosters is what the module reads of rosters: who may see the user's presence, and so
// learns that the user went away when blocked (XEP-0191 §3.3).
type Rosters interface {
	Roster(ctx context.Context, owner string) (items []roster.Item, version uint64, err error)
}

// Module serves block lists and applies them to the stanzas it sees.
type Module struct {
	store   Store
	rosters Rosters
	router  *router.Router
	domain  string
	log     *slog.Logger
	pushSeq atomic.Uint64

	mu sync.RWMutex
	// lists caches the block lists of accounts with bound resources, by bare JID. An
	// entry is never changed, only replaced or removed. It is guarded by mu.
	lists map[string]*blocklist
	// gen counts changes of lists; a load that started before a change does not cache
	// what it read (see list). It is guarded by mu.
	gen uint64
	// interested lists, by bare JID, the resources that retrieved the block list and so
	// get pushes (§3.3). A slice is replaced, never changed in place. Guarded by mu.
	interested map[string][]*session.Resource
}

// New returns the blocking module. It keeps block lists in store and reads presence
// subscriptions from rosters.
func New(store Store, rosters Rosters, r *router.Router, log *slog.Logger) *Module {
	return &Module{
		store:      store,
		rosters:    rosters,
		router:     r,
		domain:     r.Domain().String(),
		log:        log,
		lists:      make(map[string]*blocklist),
		interested: make(map[string][]*session.Resource),
	}
}

// Register wires the block list IQs, the filters and the disco feature (servers announce
// XEP-0191 in their own disco#info, §3.1).
func (m *Module) Register(r *router.Router) {
	r.RegisterFeature(NS)
	r.RegisterIQ("get", NS, router.ToSelf, m.get)
	r.RegisterIQ("set", NS, router.ToSelf, m.set)
	r.OnOutbound(m.outbound)
	r.OnInbound(m.inbound)
	r.OnSessionEnd(m.sessionEnd)
}

// list returns owner's block list, from the cache or the store. Lists of accounts with
// bound resources are cached until they change or the last resource goes away.
func (m *Module) list(ctx context.Context, owner string) (*blocklist, error) {
	m.mu.RLock()
	l, ok := m.lists[owner]
	gen := m.gen
	m.mu.RUnlock()
	if ok {
		return l, nil
	}
	jids, err := m.store.Blocked(ctx, owner)
	if err != nil {
		return nil, err
	}
	l = newBlocklist(jids)
	if len(m.router.Sessions().Resources(owner)) == 0 {
		return l, nil
	}
	m.mu.Lock()
	// A change or a session end since gen was read may have happened after the store
	// read: what was read may be stale, so it is used once but not cached.
	if m.gen == gen {
		m.lists[owner] = l
	}
	m.mu.Unlock()
	return l, nil
}

// forget drops owner's cached list.
func (m *Module) forget(owner string) {
	m.mu.Lock()
	m.gen++
	delete(m.lists, owner)
	m.mu.Unlock()
}

// setInterested marks res as a resource that gets pushes. Resources of the account that
// are no longer bound are dropped on the way: a session replaced by a new one on the same
// full JID ends without the session-end hook.
func (m *Module) setInterested(res *session.Resource) {
	bare := res.Bare()
	bound := m.router.Sessions().Resources(bare)
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.interested[bare]
	if slices.Contains(old, res) {
		return
	}
	next := make([]*session.Resource, 0, len(old)+1)
	for _, r := range old {
		if slices.Contains(bound, r) {
			next = append(next, r)
		}
	}
	m.interested[bare] = append(next, res)
}

// interestedOf returns the resources of owner that get pushes; the caller must not change
// the slice.
func (m *Module) interestedOf(owner string) []*session.Resource {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.interested[owner]
}

// sessionEnd forgets a resource that went away, and the account's cached list with its
// last resource.
func (m *Module) sessionEnd(_ context.Context, res *session.Resource) {
	bare := res.Bare()
	last := len(m.router.Sessions().Resources(bare)) == 0
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.interested[bare]; slices.Contains(old, res) {
		next := slices.DeleteFunc(slices.Clone(old), func(r *session.Resource) bool { return r == res })
		if len(next) == 0 {
			delete(m.interested, bare)
		} else {
			m.interested[bare] = next
		}
	}
	if last {
		m.gen++
		delete(m.lists, bare)
		delete(m.interested, bare)
	}
}
