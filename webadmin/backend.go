package webadmin

import (
	"context"

	"xmppbox/admin"
	"xmppbox/server/s2s"
)

// Backend is what the web page needs of the control plane; *admin.Service satisfies it.
//
// Calls for a logged-in account carry admin.AsUser(ctx, bareJID), and the Backend checks
// that account's rights itself. The public calls (Authenticate, LookupInvite, RedeemInvite,
// CA) carry no account. Errors follow package admin: admin.ErrForbidden, admin.ErrInvalid,
// admin.ErrBadLogin, admin.ErrNoRooms, and fs.ErrNotExist or fs.ErrExist for a missing or
// duplicate thing (admin.ErrNoPeer, admin.ErrComponentExists and the like wrap those).
type Backend interface {
	// Accounts.
	Authenticate(ctx context.Context, nameOrJID, password string) (admin.User, error)
	User(ctx context.Context, nameOrJID string) (admin.User, error)
	Users(ctx context.Context, q admin.UserQuery) (admin.UserPage, error)
	AddUser(ctx context.Context, nameOrJID, password string) (string, error)
	DeleteUser(ctx context.Context, nameOrJID string) (string, error)
	SetPassword(ctx context.Context, nameOrJID, password string) (string, error)
	SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (string, error)
	SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error)

	// Client sessions of the XMPP server.
	ListSessions(ctx context.Context) ([]admin.Session, error)
	UserSessions(ctx context.Context, bareJID string) ([]admin.Session, error)
	KickSession(ctx context.Context, fullJID string) error

	// Invitations (XEP-0401).
	// UsersMayInvite says whether accounts that are not administrators may invite.
	UsersMayInvite(ctx context.Context) (bool, error)
	CreateInvite(ctx context.Context, req admin.InviteRequest) (admin.Invite, error)
	ListInvites(ctx context.Context) ([]admin.Invite, error)
	RevokeInvite(ctx context.Context, token string) error
	LookupInvite(ctx context.Context, token string) (admin.Invite, error)
	RedeemInvite(ctx context.Context, token, username, password string) (string, error)

	// The box as a whole.
	Status(ctx context.Context) (admin.Status, error)
	History(ctx context.Context) ([]admin.Sample, error)
	CA() (admin.CAInfo, error)
	Settings(ctx context.Context) (admin.Settings, error)
	SetSettings(ctx context.Context, s admin.Settings) error

	// Chat rooms (XEP-0045); admin.ErrNoRooms when the server runs without them.
	ListRooms(ctx context.Context) ([]admin.Room, error)
	CreateRoom(ctx context.Context, name, owner string) (admin.Room, error)
	DestroyRoom(ctx context.Context, name, reason string) (string, error)

	// Federation: the other servers this box links with (admin.PeerStatus lists the
	// configured ones and those with links), and the external components (XEP-0114), such
	// as gateways, that serve domains of their own. AddPeer replaces the configuration of
	// a domain that has one.
	ListPeers(ctx context.Context) ([]admin.PeerStatus, error)
	AddPeer(ctx context.Context, c s2s.PeerConfig) (s2s.PeerConfig, error)
	DeletePeer(ctx context.Context, domain string) error
	ListComponents(ctx context.Context) ([]admin.Component, error)
	AddComponent(ctx context.Context, domain, secret string) (string, error)
	DeleteComponent(ctx context.Context, domain string) (string, error)
}
