package rostertest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"xmppbox/server/mod/roster"
)

// MemStore is an in-memory roster.Store. It is safe for concurrent use and
// copies everything in and out, so callers never share memory with it.
type MemStore struct {
	mu sync.Mutex
	// items, versions and pending are keyed by owner. They are guarded by mu.
	items    map[string]map[string]roster.Item
	versions map[string]uint64
	pending  map[string]map[string][]byte
}

var _ roster.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		items:    make(map[string]map[string]roster.Item),
		versions: make(map[string]uint64),
		pending:  make(map[string]map[string][]byte),
	}
}

// Roster returns owner's items sorted by JID and the roster version.
func (m *MemStore) Roster(_ context.Context, owner string) ([]roster.Item, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var items []roster.Item
	for _, it := range m.items[owner] {
		items = append(items, copyItem(it))
	}
	slices.SortFunc(items, func(a, b roster.Item) int { return strings.Compare(a.JID, b.JID) })
	return items, m.versions[owner], nil
}

// Item returns one item or an error wrapping fs.ErrNotExist.
func (m *MemStore) Item(_ context.Context, owner, contact string) (roster.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[owner][contact]
	if !ok {
		return roster.Item{}, fmt.Errorf("rostertest: %q has no item %q: %w", owner, contact, fs.ErrNotExist)
	}
	return copyItem(it), nil
}

// PutItem adds or replaces an item and returns the new version.
func (m *MemStore) PutItem(_ context.Context, owner string, it roster.Item) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items[owner] == nil {
		m.items[owner] = make(map[string]roster.Item)
	}
	m.items[owner][it.JID] = copyItem(it)
	m.versions[owner]++
	return m.versions[owner], nil
}

// DeleteItem removes an item and returns the new version, or an error
// wrapping fs.ErrNotExist.
func (m *MemStore) DeleteItem(_ context.Context, owner, contact string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[owner][contact]; !ok {
		return 0, fmt.Errorf("rostertest: %q has no item %q: %w", owner, contact, fs.ErrNotExist)
	}
	delete(m.items[owner], contact)
	m.versions[owner]++
	return m.versions[owner], nil
}

// AddPending stores (or replaces) the request from from.
func (m *MemStore) AddPending(_ context.Context, owner, from string, stanza []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending[owner] == nil {
		m.pending[owner] = make(map[string][]byte)
	}
	m.pending[owner][from] = slices.Clone(stanza)
	return nil
}

// DeletePending removes the request from from, if any.
func (m *MemStore) DeletePending(_ context.Context, owner, from string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending[owner], from)
	return nil
}

// Pending returns owner's requests sorted by From.
func (m *MemStore) Pending(_ context.Context, owner string) ([]roster.Pending, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var list []roster.Pending
	for from, stanza := range m.pending[owner] {
		list = append(list, roster.Pending{From: from, Stanza: slices.Clone(stanza)})
	}
	slices.SortFunc(list, func(a, b roster.Pending) int { return strings.Compare(a.From, b.From) })
	return list, nil
}

func copyItem(it roster.Item) roster.Item {
	it.Groups = slices.Clone(it.Groups)
	return it
}
