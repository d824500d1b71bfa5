package muc

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Store.Room for a room that is not stored.
var ErrNotFound = errors.New("muc: room not found")

// Stored is what survives a restart of a persistent room: its configuration, its
// affiliations and its subject. Occupants and roles never persist.
type Stored struct {
	Room         string            // bare room JID, room@conference.example.org
	Config       Config            // the room configuration
	Affiliations map[string]string // bare JID → owner, admin, member or outcast
	// Nicks are the nicks members reserved by registering (§7.10): bare JID → nick. It
	// is optional; records written before it existed have none.
	Nicks     map[string]string `json:",omitempty"`
	Subject   string
	SubjectBy string // nick that set the subject
}

// Store keeps persistent rooms; embeddb implements it.
type Store interface {
	// Room returns a stored room or ErrNotFound.
	Room(ctx context.Context, room string) (Stored, error)
	// PutRoom creates or replaces a stored room.
	PutRoom(ctx context.Context, r Stored) error
	// DeleteRoom forgets a room; deleting a missing room is not an error.
	DeleteRoom(ctx context.Context, room string) error
	// Rooms lists every stored room, in no particular order.
	Rooms(ctx context.Context) ([]Stored, error)
}
