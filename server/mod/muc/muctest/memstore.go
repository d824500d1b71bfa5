package muctest

import (
	"context"
	"maps"
	"sync"

	"xmppbox/server/mod/muc"
)

// MemStore is an in-memory muc.Store for tests.
type MemStore struct {
	mu    sync.Mutex
	rooms map[string]muc.Stored // guarded by mu
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{rooms: map[string]muc.Stored{}} }

func clone(r muc.Stored) muc.Stored {
	r.Affiliations = maps.Clone(r.Affiliations)
	r.Nicks = maps.Clone(r.Nicks)
	return r
}

// Room implements muc.Store.
func (s *MemStore) Room(_ context.Context, room string) (muc.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[room]
	if !ok {
		return muc.Stored{}, muc.ErrNotFound
	}
	return clone(r), nil
}

// PutRoom implements muc.Store.
func (s *MemStore) PutRoom(_ context.Context, r muc.Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rooms[r.Room] = clone(r)
	return nil
}

// DeleteRoom implements muc.Store.
func (s *MemStore) DeleteRoom(_ context.Context, room string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rooms, room)
	return nil
}

// Rooms implements muc.Store.
func (s *MemStore) Rooms(context.Context) ([]muc.Stored, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]muc.Stored, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, clone(r))
	}
	return out, nil
}
