package offline

import (
	"context"
	"errors"
)

// ErrFull is returned by Store.Push when the owner's offline queue holds its maximum.
var ErrFull = errors.New("offline: queue full")

// Store is the offline message storage this module needs; embeddb implements it.
type Store interface {
	// Push appends a serialised message stanza; it wraps ErrFull when owner already has max.
	// It returns only once the message is durable: the sender may be told it was stored.
	Push(ctx context.Context, owner string, stanza []byte, max int) error
	// Take returns all stored messages, oldest first, and removes them atomically.
	Take(ctx context.Context, owner string) ([][]byte, error)
	Count(ctx context.Context, owner string) (int, error)
}
