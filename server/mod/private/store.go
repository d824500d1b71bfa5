package private

import (
	"context"
	"errors"
)

// ErrFull is wrapped by Store.Put when the write would add entries and leave the owner
// with more than max.
var ErrFull = errors.New("private: storage full")

// Entry is one stored element, keyed by its namespace and local name.
type Entry struct {
	Space, Local string
	// XML is the element as written by stanza.Element.AppendXML with jabber:client in
	// scope, so that xmlstream.Parse reads it back. Nil removes the entry.
	XML []byte
}

// Store is the private XML storage this module needs; embeddb implements it. Owners are
// bare JIDs. A missing entry is reported with an error that wraps fs.ErrNotExist.
type Store interface {
	// Get returns the XML of owner's entry {space}local. The caller owns the bytes.
	Get(ctx context.Context, owner, space, local string) ([]byte, error)
	// Put writes all entries at once (stores or removes each; removing a missing one is no
	// error) and returns once they are durable, or writes nothing and wraps ErrFull when it
	// would add entries and leave owner with more than max (so with max lowered below what
	// owner has, replacing and removing still work). Later entries with the same key win.
	// The store keeps its own copies of the XML.
	Put(ctx context.Context, owner string, entries []Entry, max int) error
}
