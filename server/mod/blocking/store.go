package blocking

import "context"

// Store is the block list storage this module needs; embeddb implements it. Owners are
// bare JIDs; entries are JIDs in canonical string form, of any of the four shapes of
// XEP-0191 §6 (user@domain/resource, user@domain, domain/resource, domain).
// Implementations are safe for concurrent use and keep no reference to the slices they
// are given or return.
type Store interface {
	// Blocked returns owner's entries in byte order, or none for an owner who never
	// blocked anyone.
	Blocked(ctx context.Context, owner string) ([]string, error)
	// Block adds jids to owner's list; an entry already there stays there once.
	Block(ctx context.Context, owner string, jids []string) error
	// Unblock removes jids from owner's list, ignoring those not on it. A nil jids
	// removes every entry (XEP-0191 §3.5); an empty non-nil slice removes none.
	Unblock(ctx context.Context, owner string, jids []string) error
}
