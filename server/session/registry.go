package session

import (
	"slices"
	"sync"
)

// Registry indexes the online resources by bare and full JID. It is safe for
// concurrent use; the slices it returns are copies the caller owns.
type Registry struct {
	mu     sync.RWMutex
	byBare map[string][]*Resource // guarded by mu
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byBare: make(map[string][]*Resource)}
}

// Add registers r. A resource already bound to the same full JID is removed and
// returned so the caller can close it (RFC 6120 §7.7.2.2: the new session wins).
func (g *Registry) Add(r *Resource) (replaced *Resource) {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := g.byBare[r.bare]
	for i, old := range list {
		if old.full == r.full {
			replaced = old
			list = slices.Delete(list, i, i+1)
			break
		}
	}
	g.byBare[r.bare] = append(list, r)
	return replaced
}

// Remove unregisters r; it reports false when r was not (or no longer) registered.
func (g *Registry) Remove(r *Resource) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := g.byBare[r.bare]
	i := slices.Index(list, r)
	if i < 0 {
		return false
	}
	list = slices.Delete(list, i, i+1)
	if len(list) == 0 {
		delete(g.byBare, r.bare)
	} else {
		g.byBare[r.bare] = list
	}
	return true
}

// Resources returns the resources bound for a bare JID.
func (g *Registry) Resources(bare string) []*Resource {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return slices.Clone(g.byBare[bare])
}

// Resource returns the resource bound to a full JID, or nil.
func (g *Registry) Resource(bare, full string) *Resource {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, r := range g.byBare[bare] {
		if r.full == full {
			return r
		}
	}
	return nil
}

// All returns every bound resource.
func (g *Registry) All() []*Resource {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var all []*Resource
	for _, list := range g.byBare {
		all = append(all, list...)
	}
	return all
}

// Count returns the number of bound resources.
func (g *Registry) Count() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := 0
	for _, list := range g.byBare {
		n += len(list)
	}
	return n
}
