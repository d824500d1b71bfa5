// Package peptest has an in-memory pep.Store for unit tests and the conformance suite
// (Run) that every pep.Store implementation passes.
package peptest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"sync"

	"xmppbox/server/mod/pep"
)

// MemStore is an in-memory pep.Store. It is safe for concurrent use and copies
// everything in and out, so callers never share memory with it.
type MemStore struct {
	mu    sync.Mutex
	nodes map[string]map[string]*memNode // by owner, then node name; guarded by mu
}

type memNode struct {
	cfg   pep.Config
	items []pep.Item // oldest first
}

var _ pep.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{nodes: make(map[string]map[string]*memNode)} }

func (m *MemStore) node(owner, node string) (*memNode, error) {
	n := m.nodes[owner][node]
	if n == nil {
		return nil, fmt.Errorf("peptest: %q has no node %q: %w", owner, node, fs.ErrNotExist)
	}
	return n, nil
}

// Node returns a node's configuration.
func (m *MemStore) Node(_ context.Context, owner, node string) (pep.Config, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return pep.Config{}, err
	}
	return copyConfig(n.cfg), nil
}

// Nodes returns owner's node names, sorted.
func (m *MemStore) Nodes(_ context.Context, owner string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for name := range m.nodes[owner] {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// CreateNode creates an empty node or fails with fs.ErrExist.
func (m *MemStore) CreateNode(_ context.Context, owner, node string, cfg pep.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nodes[owner][node] != nil {
		return fmt.Errorf("peptest: %q already has node %q: %w", owner, node, fs.ErrExist)
	}
	if m.nodes[owner] == nil {
		m.nodes[owner] = make(map[string]*memNode)
	}
	m.nodes[owner][node] = &memNode{cfg: copyConfig(cfg)}
	return nil
}

// SetConfig replaces the configuration and trims the items.
func (m *MemStore) SetConfig(_ context.Context, owner, node string, cfg pep.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return err
	}
	n.cfg = copyConfig(cfg)
	n.trim()
	return nil
}

// DeleteNode removes a node and its items.
func (m *MemStore) DeleteNode(_ context.Context, owner, node string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.node(owner, node); err != nil {
		return err
	}
	delete(m.nodes[owner], node)
	return nil
}

// PutItem stores it as the newest item.
func (m *MemStore) PutItem(_ context.Context, owner, node string, it pep.Item) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return err
	}
	n.items = slices.DeleteFunc(n.items, func(old pep.Item) bool { return old.ID == it.ID })
	n.items = append(n.items, copyItem(it))
	n.trim()
	return nil
}

// Items returns the items oldest first, the newest last ones with last > 0.
func (m *MemStore) Items(_ context.Context, owner, node string, last int) ([]pep.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return nil, err
	}
	items := n.items
	if last > 0 && len(items) > last {
		items = items[len(items)-last:]
	}
	var out []pep.Item
	for _, it := range items {
		out = append(out, copyItem(it))
	}
	return out, nil
}

// Item returns one item.
func (m *MemStore) Item(_ context.Context, owner, node, id string) (pep.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return pep.Item{}, err
	}
	for _, it := range n.items {
		if it.ID == id {
			return copyItem(it), nil
		}
	}
	return pep.Item{}, fmt.Errorf("peptest: node %q of %q has no item %q: %w", node, owner, id, fs.ErrNotExist)
}

// DeleteItem removes one item.
func (m *MemStore) DeleteItem(_ context.Context, owner, node, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(n.items, func(it pep.Item) bool { return it.ID == id })
	if i < 0 {
		return fmt.Errorf("peptest: node %q of %q has no item %q: %w", node, owner, id, fs.ErrNotExist)
	}
	n.items = slices.Delete(n.items, i, i+1)
	return nil
}

// Purge removes every item of a node.
func (m *MemStore) Purge(_ context.Context, owner, node string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node(owner, node)
	if err != nil {
		return err
	}
	n.items = nil
	return nil
}

func (n *memNode) trim() {
	keep := max(n.cfg.MaxItems, 0)
	if len(n.items) > keep {
		n.items = slices.Clone(n.items[len(n.items)-keep:])
	}
}

func copyConfig(c pep.Config) pep.Config {
	c.RosterGroupsAllowed = slices.Clone(c.RosterGroupsAllowed)
	return c
}

func copyItem(it pep.Item) pep.Item {
	it.Payload = slices.Clone(it.Payload)
	return it
}
