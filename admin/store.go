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
}

// Sessions is the running server as the Service sees it; *server.Server satisfies it
// through a small adapter in the CLI, so this package does not depend on the server.
type Sessions interface {
	Sessions() []Session
	// Disconnect ends every session of bareJID and returns how many there were.
	Disconnect(bareJID string) int
}

// Session is one connected resource.
type Session struct {
	JID    string // full JID
	Remote string // client address
	Since  time.Time
}
