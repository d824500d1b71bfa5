package register

import (
	"context"
	"time"

	"xmppbox/server/sasl"
)

// Accounts is the account storage this module needs; embeddb implements it. Keys are
// normalised bare JIDs.
type Accounts interface {
	// CreateAccount adds an account; an existing one is an error wrapping fs.ErrExist.
	CreateAccount(ctx context.Context, bareJID string, c sasl.Credentials) error
	// SetCredentials replaces an account's credentials; fs.ErrNotExist if there is none.
	SetCredentials(ctx context.Context, bareJID string, c sasl.Credentials) error
	// DeleteAccount removes the account and everything it owns; fs.ErrNotExist if there
	// is none.
	DeleteAccount(ctx context.Context, bareJID string) error
}

// Invite is an invitation to register an account: the token of an
// xmpp:DOMAIN?register;preauth=TOKEN link (XEP-0401 §4.5) that a client presents on an
// unauthenticated stream (XEP-0445 §4).
type Invite struct {
	Token   string    `json:"token"`
	Created time.Time `json:"created"`
	// Expires is when the token stops being accepted; the zero time means never.
	Expires time.Time `json:"expires,omitzero"`
	// CreatedBy is the bare JID of the inviting user, or "" for the operator (CLI, admin API).
	CreatedBy string `json:"created_by,omitempty"`
	// Username is the localpart the invitee must register, or "" to let them choose.
	Username string `json:"username,omitempty"`
	// Uses is how many registrations the invite still allows; ConsumeInvite takes one and
	// deletes the invite when none is left. An invite is created with at least 1.
	Uses int `json:"uses"`
	// AddInviter pre-approves a mutual subscription between the new account and
	// CreatedBy (XEP-0379 §3): each is put in the other's roster on registration.
	AddInviter bool `json:"add_inviter,omitempty"`
}

// Expired reports whether the invite is no longer accepted at now.
func (i Invite) Expired(now time.Time) bool {
	return !i.Expires.IsZero() && !now.Before(i.Expires)
}

// Invites is the invitation storage this module needs; embeddb implements it. The admin
// service creates invites through its own interface.
type Invites interface {
	// Invite returns the invite for token. An unknown token (never created, revoked or
	// used up) is an error wrapping fs.ErrNotExist. Expiry is the caller's to check.
	Invite(ctx context.Context, token string) (Invite, error)
	// ConsumeInvite takes one use of the invite atomically and returns it as it was before;
	// the last use deletes it. Of concurrent calls for a single-use token exactly one
	// succeeds; the others get an error wrapping fs.ErrNotExist, as for an unknown token.
	// It does not look at the expiry: XEP-0445 §4 checks that only when the token is
	// presented, before the registration it is consumed by.
	ConsumeInvite(ctx context.Context, token string) (Invite, error)
}
