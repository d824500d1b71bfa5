// Package roomtest holds an in-memory admin.Rooms for tests of the admin API and CLI.
package roomtest

import (
	"context"
	"sync"

	"xmppbox/admin"
)

// Rooms is an admin.Rooms in memory, standing for the server's MUC module. It records
// the calls that change rooms.
type Rooms struct {
	mu    sync.Mutex
	rooms map[string]admin.Room // guarded by mu
	calls []string              // guarded by mu
}

// NewRooms returns a room service with no rooms.
func NewRooms() *Rooms { return &Rooms{rooms: map[string]admin.Room{}} }

// Calls returns the changing calls so far, as "create NAME OWNER", "destroy NAME REASON"
// and "aff NAME JID AFFILIATION".
func (m *Rooms) Calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.calls...)
}

// Rooms implements admin.Rooms.
func (m *Rooms) Rooms(context.Context) ([]admin.Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []admin.Room
	for _, r := range m.rooms {
		out = append(out, r)
	}
	return out, nil
}

// CreateRoom implements admin.Rooms; new rooms are persistent, public, with 2 occupants.
func (m *Rooms) CreateRoom(_ context.Context, name, owner string) (admin.Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[name]; ok {
		return admin.Room{}, admin.ErrRoomExists
	}
	r := admin.Room{JID: name + "@conference.example.org", Persistent: true, Public: true, Occupants: 2}
	m.rooms[name] = r
	m.calls = append(m.calls, "create "+name+" "+owner)
	return r, nil
}

// DestroyRoom implements admin.Rooms.
func (m *Rooms) DestroyRoom(_ context.Context, name, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[name]; !ok {
		return admin.ErrNoRoom
	}
	delete(m.rooms, name)
	m.calls = append(m.calls, "destroy "+name+" "+reason)
	return nil
}

// SetAffiliation implements admin.Rooms.
func (m *Rooms) SetAffiliation(_ context.Context, name, j, aff string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rooms[name]; !ok {
		return admin.ErrNoRoom
	}
	m.calls = append(m.calls, "aff "+name+" "+j+" "+aff)
	return nil
}
