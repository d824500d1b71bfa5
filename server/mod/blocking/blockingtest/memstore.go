package blockingtest

import (
	"context"
	"slices"
	"sync"

	"xmppbox/server/mod/blocking"
)

// MemStore is an in-memory blocking.Store. It is safe for concurrent use. Err, when set,
// is returned by every call, to test how the module handles a failing store.
type MemStore struct {
	mu    sync.Mutex
	lists map[string]map[string]struct{} // by owner; guarded by mu
	err   error                          // guarded by mu
	reads int                            // Blocked calls; guarded by mu
}

var _ blocking.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{lists: make(map[string]map[string]struct{})}
}

// Fail makes every later call return err (nil: succeed again).
func (m *MemStore) Fail(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
}

// Reads returns how many times Blocked was called, to check caching.
func (m *MemStore) Reads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

// Blocked returns owner's entries in byte order.
func (m *MemStore) Blocked(_ context.Context, owner string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.err != nil {
		return nil, m.err
	}
	var out []string
	for j := range m.lists[owner] {
		out = append(out, j)
	}
	slices.Sort(out)
	return out, nil
}

// Block adds jids to owner's list.
func (m *MemStore) Block(_ context.Context, owner string, jids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	l := m.lists[owner]
	if l == nil {
		l = make(map[string]struct{})
		m.lists[owner] = l
	}
	for _, j := range jids {
		l[j] = struct{}{}
	}
	return nil
}

// Unblock removes jids from owner's list; nil removes all.
func (m *MemStore) Unblock(_ context.Context, owner string, jids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if jids == nil {
		delete(m.lists, owner)
		return nil
	}
	for _, j := range jids {
		delete(m.lists[owner], j)
	}
	return nil
}
