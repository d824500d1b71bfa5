package offlinetest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"xmppbox/server/mod/offline"
)

// MemStore is an in-memory offline.Store. It is safe for concurrent use and
// copies stanzas in and out.
type MemStore struct {
	mu     sync.Mutex
	queues map[string][][]byte // by owner, oldest first; guarded by mu
}

var _ offline.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{queues: make(map[string][][]byte)}
}

// Push appends stanza, or wraps offline.ErrFull if owner has max or more.
func (m *MemStore) Push(_ context.Context, owner string, stanza []byte, max int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.queues[owner]); n >= max {
		return fmt.Errorf("offlinetest: %q has %d: %w", owner, n, offline.ErrFull)
	}
	m.queues[owner] = append(m.queues[owner], slices.Clone(stanza))
	return nil
}

// Take returns and removes owner's messages, oldest first.
func (m *MemStore) Take(_ context.Context, owner string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queues[owner]
	delete(m.queues, owner)
	return q, nil
}

// Count returns how many messages owner has.
func (m *MemStore) Count(_ context.Context, owner string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queues[owner]), nil
}
