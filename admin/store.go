package admin

import (
	"context"
	"time"

	"xmppbox/server/sasl"
)

// AccountStore is the account storage the Service needs; embeddb implements it. Keys are
// normalised bare JIDs. Missing accounts are errors wrapping fs.ErrNotExist, duplicates
// wrap fs.ErrExist.
type AccountStore interface {
	CreateAccount(ctx context.Context, bareJID string, c sasl.Credentials) error  // fs.ErrExist
	SetCredentials(ctx context.Context, bareJID string, c sasl.Credentials) error // fs.ErrNotExist
	// DeleteAccount removes the account and everything it owns (roster, pending
	// subscriptions, offline messages); fs.ErrNotExist.
	DeleteAccount(ctx context.Context, bareJID string) error
	ListAccounts(ctx context.Context) ([]string, error) // sorted
	Credentials(ctx context.Context, bareJID string) (sasl.Credentials, error)
	// SetAdmin and SetDisabled change an account's flags; fs.ErrNotExist.
	SetAdmin(ctx context.Context, bareJID string, admin bool) error
	SetDisabled(ctx context.Context, bareJID string, disabled bool) error
	AccountFlags(ctx context.Context, bareJID string) (admin, disabled bool, err error) // fs.ErrNotExist
	// Account returns the credentials and the flags in one read; fs.ErrNotExist.
	Account(ctx context.Context, bareJID string) (c sasl.Credentials, admin, disabled bool, err error)
}

// Sessions is the running server as the Service sees it; *server.Server satisfies it
// through a small adapter in the CLI, so this package does not depend on the server.
type Sessions interface {
	Sessions() []Session
	// Disconnect ends every session of bareJID and returns how many there were.
	Disconnect(bareJID string) int
	// Kick ends the session of fullJID and reports whether there was one.
	Kick(fullJID string) bool
	// Stats returns the server's counters.
	Stats() ServerStats
	// MakeContacts puts two accounts in each other's rosters with a mutual subscription.
	MakeContacts(ctx context.Context, a, b string) error
}

// ServerStats are the running server's counters.
type ServerStats struct {
	Started       time.Time
	Connections   int
	Sessions      int
	StanzasIn     map[string]uint64 // by kind: message, presence, iq
	StanzasOut    map[string]uint64
	AuthSuccesses uint64
	AuthFailures  uint64
}

// Session is one connected resource.
type Session struct {
	JID    string // full JID
	Remote string // client address
	Since  time.Time
}
