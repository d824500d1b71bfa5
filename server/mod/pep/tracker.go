package pep

import (
	"slices"
	"strings"
	"sync"
)

// notifySuffix marks a disco feature as interest in a node's notifications (XEP-0163 §4.3).
const notifySuffix = "+notify"

// featureSet is the disco features of an entity. A set is never changed once built, so
// one set is shared by every entity with the same verification string.
type featureSet map[string]struct{}

func newFeatureSet(features []string) featureSet {
	s := make(featureSet, len(features))
	for _, f := range features {
		s[f] = struct{}{}
	}
	return s
}

// wants reports whether the set has node+notify.
func (s featureSet) wants(node string) bool {
	_, ok := s[node+notifySuffix]
	return ok
}

// caps is a <c xmlns='http://jabber.org/protocol/caps'/> as sent in presence.
type caps struct{ hash, node, ver string }

// cacheable reports whether the ver can be checked and then shared between JIDs.
func (c caps) cacheable() bool { return capsHashes[c.hash] != nil }

// key names what a disco#info answer about c is valid for: the ver, for a hash we verify;
// otherwise only the JID that sent it (XEP-0115 §5.4 step 2).
func (c caps) key(full string) string {
	if c.cacheable() {
		return c.hash + " " + c.ver
	}
	return "jid " + full + " " + c.hash + " " + c.ver
}

// capsQuery is a disco#info request the tracker asks its caller to send.
type capsQuery struct {
	key string
	to  string // the full JID to ask
	c   caps
}

// entity is what the tracker knows of one full JID.
type entity struct {
	caps     caps
	features featureSet // nil while unknown (a query is pending or failed to start)
	// local marks one of this server's own resources, forgotten when its session says
	// so; a remote one is forgotten with its last audience.
	local  bool
	owners map[string]struct{} // accounts whose audience holds this JID
}

// member is a full JID in an account's audience: an available resource the account's PEP
// service may notify.
type member struct {
	// initial is true until the member's features are first known: the last published
	// items then go out as for a newly available resource (XEP-0163 §4.3.4).
	initial bool
	// seen is the feature set last used to deliver last published items, so a new
	// presence with the same caps sends nothing again and one with a new +notify sends
	// only what is new.
	seen featureSet
}

// tracker holds the entity-capabilities cache (XEP-0115) and, per account, the audience
// of its PEP service. It does no I/O: its methods return what the caller must send. It
// is safe for concurrent use.
type tracker struct {
	mu         sync.Mutex
	cacheLimit int
	cache      map[string]featureSet         // verified answers by caps key; guarded by mu
	cacheOrder []string                      // cache keys, oldest first, for eviction; guarded by mu
	pending    map[string]bool               // caps keys with a query in flight; guarded by mu
	entities   map[string]*entity            // by full JID; guarded by mu
	audiences  map[string]map[string]*member // by account bare JID, then full JID; guarded by mu
}

func newTracker(cacheLimit int) *tracker {
	return &tracker{
		cacheLimit: cacheLimit,
		cache:      make(map[string]featureSet),
		pending:    make(map[string]bool),
		entities:   make(map[string]*entity),
		audiences:  make(map[string]map[string]*member),
	}
}

// observe records the caps full announced in an available presence. It returns a query
// to send when the features behind them are unknown and nobody is asking yet.
func (t *tracker) observe(full string, c caps, local bool) *capsQuery {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entities[full]
	if e == nil {
		e = &entity{owners: make(map[string]struct{})}
		t.entities[full] = e
	}
	e.local = e.local || local
	if e.caps == c && e.features != nil {
		return nil
	}
	e.caps = c
	if c.ver == "" {
		// No caps: the entity has told us of no features (XEP-0115 §6).
		e.features = featureSet{}
		return nil
	}
	key := c.key(full)
	if f, ok := t.cache[key]; ok {
		e.features = f
		return nil
	}
	e.features = nil
	if t.pending[key] {
		return nil
	}
	t.pending[key] = true
	return &capsQuery{key: key, to: full, c: c}
}

// resolved records the answer to q. A verified answer is cached and applies to every
// entity with the same caps; an unverified one only to the JID that gave it. It returns
// the (account, full JID) pairs whose member now has new features.
func (t *tracker) resolved(q capsQuery, features featureSet, verified bool) [][2]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, q.key)
	var changed [][2]string
	apply := func(full string, e *entity) {
		e.features = features
		for owner := range e.owners {
			changed = append(changed, [2]string{owner, full})
		}
	}
	if verified && q.c.cacheable() {
		t.remember(q.key, features)
		for full, e := range t.entities {
			if e.features == nil && e.caps.key(full) == q.key {
				apply(full, e)
			}
		}
	} else if e := t.entities[q.to]; e != nil && e.caps.key(q.to) == q.key {
		apply(q.to, e)
	}
	slices.SortFunc(changed, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) })
	return changed
}

// failed records that q got no usable answer: the JID asked is taken to have no features
// until its caps change, and another JID with the same caps will be asked again.
func (t *tracker) failed(q capsQuery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pending, q.key)
	if e := t.entities[q.to]; e != nil && e.features == nil && e.caps.key(q.to) == q.key {
		e.features = featureSet{}
	}
}

// remember adds a verified answer to the cache, evicting the oldest beyond the limit.
// The caller holds mu.
func (t *tracker) remember(key string, f featureSet) {
	if _, ok := t.cache[key]; ok {
		return
	}
	t.cache[key] = f
	t.cacheOrder = append(t.cacheOrder, key)
	for len(t.cacheOrder) > t.cacheLimit {
		delete(t.cache, t.cacheOrder[0])
		t.cacheOrder = t.cacheOrder[1:]
	}
}

// join adds full to owner's audience; it reports whether it was not there yet. The
// entity must have been observed.
func (t *tracker) join(owner, full string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entities[full]
	if e == nil {
		return false
	}
	a := t.audiences[owner]
	if a == nil {
		a = make(map[string]*member)
		t.audiences[owner] = a
	}
	if _, ok := a[full]; ok {
		return false
	}
	a[full] = &member{initial: true}
	e.owners[owner] = struct{}{}
	return true
}

// leave removes full from owner's audience.
func (t *tracker) leave(owner, full string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeMember(owner, full)
	if e := t.entities[full]; e != nil && !e.local && len(e.owners) == 0 {
		delete(t.entities, full)
	}
}

// forget removes everything known about full: it went offline.
func (t *tracker) forget(full string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entities[full]
	if e == nil {
		return
	}
	for owner := range e.owners {
		t.removeMember(owner, full)
	}
	delete(t.entities, full)
}

// removeMember deletes one member; the caller holds mu.
func (t *tracker) removeMember(owner, full string) {
	a := t.audiences[owner]
	if a == nil {
		return
	}
	delete(a, full)
	if len(a) == 0 {
		delete(t.audiences, owner)
	}
	if e := t.entities[full]; e != nil {
		delete(e.owners, owner)
	}
}

// fresh returns the nodes full newly wants notifications of from owner's service since
// the last call, and whether this is the member's first look (the resource just became
// available). It returns nothing while full's features are unknown.
func (t *tracker) fresh(owner, full string) (nodes []string, initial bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.audiences[owner][full]
	e := t.entities[full]
	if m == nil || e == nil || e.features == nil {
		return nil, false
	}
	for f := range e.features {
		node, ok := strings.CutSuffix(f, notifySuffix)
		if !ok || node == "" {
			continue
		}
		if _, had := m.seen[f]; !had {
			nodes = append(nodes, node)
		}
	}
	initial = m.initial
	m.initial, m.seen = false, e.features
	slices.Sort(nodes)
	return nodes, initial
}

// interested returns the full JIDs in owner's audience that want node's notifications.
func (t *tracker) interested(owner, node string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for full := range t.audiences[owner] {
		if e := t.entities[full]; e != nil && e.features.wants(node) {
			out = append(out, full)
		}
	}
	slices.Sort(out)
	return out
}
