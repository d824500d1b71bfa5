package roster

import "context"

// Item is one contact in an account's roster (RFC 6121 §2.1).
type Item struct {
	JID          string   `json:"jid"`
	Name         string   `json:"name,omitempty"`
	Groups       []string `json:"groups,omitempty"`
	Subscription string   `json:"subscription"`  // none, to, from or both
	Ask          bool     `json:"ask,omitempty"` // an outbound subscription request is pending
}

// Pending is an inbound subscription request kept until the user answers it
// (RFC 6121 §3.1.3: the server must redeliver it on every login until then).
type Pending struct {
	From   string
	Stanza []byte
}

// Store is the roster storage this module needs; embeddb implements it.
// Owners and contacts are bare JIDs. Missing records are reported with errors
// that wrap fs.ErrNotExist.
type Store interface {
	Roster(ctx context.Context, owner string) (items []Item, version uint64, err error)
	Item(ctx context.Context, owner, contact string) (Item, error)
	// PutItem and DeleteItem bump the owner's roster version (RFC 6121 §2.6) and return it.
	PutItem(ctx context.Context, owner string, it Item) (version uint64, err error)
	DeleteItem(ctx context.Context, owner, contact string) (version uint64, err error)
	AddPending(ctx context.Context, owner, from string, stanza []byte) error
	DeletePending(ctx context.Context, owner, from string) error
	Pending(ctx context.Context, owner string) ([]Pending, error)
}
