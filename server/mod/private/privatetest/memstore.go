package privatetest

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"xmppbox/server/mod/private"
)

// MemStore is an in-memory private.Store. It is safe for concurrent use and copies
// everything in and out, so callers never share memory with it.
type MemStore struct {
	mu      sync.Mutex
	entries map[string]map[key][]byte // by owner; guarded by mu
}

type key struct{ space, local string }

var _ private.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{entries: make(map[string]map[key][]byte)}
}

// Get returns the XML of an entry or an error wrapping fs.ErrNotExist.
func (m *MemStore) Get(_ context.Context, owner, space, local string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.entries[owner][key{space, local}]
	if !ok {
		return nil, fmt.Errorf("privatetest: %q has no {%s}%s: %w", owner, space, local, fs.ErrNotExist)
	}
	return slices.Clone(raw), nil
}

// Put applies entries to a copy of owner's entries and keeps the copy unless it grew
// beyond max.
func (m *MemStore) Put(_ context.Context, owner string, entries []private.Entry, max int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := maps.Clone(m.entries[owner])
	if next == nil {
		next = make(map[key][]byte)
	}
	for _, e := range entries {
		if e.XML == nil {
			delete(next, key{e.Space, e.Local})
			continue
		}
		next[key{e.Space, e.Local}] = slices.Clone(e.XML)
	}
	if len(next) > len(m.entries[owner]) && len(next) > max {
		return fmt.Errorf("privatetest: %q would hold %d entries: %w", owner, len(next), private.ErrFull)
	}
	m.entries[owner] = next
	return nil
}
