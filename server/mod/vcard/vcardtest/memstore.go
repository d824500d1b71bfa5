package vcardtest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"xmppbox/server/mod/vcard"
)

// MemStore is an in-memory vcard.Store. It is safe for concurrent use and copies
// everything in and out, so callers never share memory with it.
type MemStore struct {
	mu    sync.Mutex
	cards map[string]vcard.Card // by owner; guarded by mu
}

var _ vcard.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{cards: make(map[string]vcard.Card)}
}

// Get returns owner's vCard or an error wrapping fs.ErrNotExist.
func (m *MemStore) Get(_ context.Context, owner string) (vcard.Card, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cards[owner]
	if !ok {
		return vcard.Card{}, fmt.Errorf("vcardtest: %q has no vCard: %w", owner, fs.ErrNotExist)
	}
	c.XML = slices.Clone(c.XML)
	return c, nil
}

// Put stores a copy of c.
func (m *MemStore) Put(_ context.Context, owner string, c vcard.Card) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c.XML = slices.Clone(c.XML)
	m.cards[owner] = c
	return nil
}

// PhotoHash returns the hash stored with owner's vCard or an error wrapping fs.ErrNotExist.
func (m *MemStore) PhotoHash(_ context.Context, owner string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cards[owner]
	if !ok {
		return "", fmt.Errorf("vcardtest: %q has no vCard: %w", owner, fs.ErrNotExist)
	}
	return c.PhotoHash, nil
}
