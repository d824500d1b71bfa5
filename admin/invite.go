package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"xmppbox/server/mod/register"
)

// InviteStore is the invitation storage the Service needs; embeddb implements it.
type InviteStore interface {
	// CreateInvite stores a new invite; a token in use is an error wrapping fs.ErrExist.
	CreateInvite(ctx context.Context, inv register.Invite) error
	// Invite returns the invite for token; fs.ErrNotExist.
	Invite(ctx context.Context, token string) (register.Invite, error)
	// ConsumeInvite takes one use atomically and returns the invite as it was; the last
	// use deletes it; fs.ErrNotExist.
	ConsumeInvite(ctx context.Context, token string) (register.Invite, error)
	ListInvites(ctx context.Context) ([]register.Invite, error) // oldest first
	DeleteInvite(ctx context.Context, token string) error       // fs.ErrNotExist
}

// ErrNoInvite is wrapped when an invitation does not exist or no longer works (used up,
// revoked or expired); it wraps fs.ErrNotExist.
var ErrNoInvite error = &kindError{"this invitation is not valid any more", fs.ErrNotExist}

// DefaultInviteValidity is how long an invitation works when the request does not say.
const DefaultInviteValidity = 7 * 24 * time.Hour

// MaxInviteUses bounds how many accounts one invitation may create.
const MaxInviteUses = 1000

// InviteRequest describes an invitation to create.
type InviteRequest struct {
	// ValidFor is how long the invitation works from now; 0 means DefaultInviteValidity.
	ValidFor time.Duration
	// Uses is how many accounts it may create; 0 means 1.
	Uses int
	// Username is the only user name it may register, or "" to let the invitee choose.
	Username string
	// AddInviter puts the new account and the inviting account in each other's contacts
	// (XEP-0379 roster pre-approval). It needs an inviting account, not the operator.
	AddInviter bool
	// Inviter names the account the invitation comes from, when an admin or the operator
	// invites on someone's behalf (a user name or bare JID of this domain); "" is the
	// caller itself. With AddInviter, that account becomes the new user's contact.
	Inviter string
}

// Invite is an invitation to create accounts on this box.
type Invite struct {
	Token string
	// URI is the link a client opens, xmpp:DOMAIN?register;preauth=TOKEN (XEP-0401 §4.5,
	// XEP-0445 §2): the client registers with the token.
	URI        string
	Created    time.Time
	Expires    time.Time
	Uses       int    // accounts it may still create
	Username   string // the preset user name, or ""
	CreatedBy  string // bare JID of the inviting account, or "" for the operator
	AddInviter bool
}

// InviteURI is the registration link for token on domain (XEP-0401 §4.5). Tokens made by
// CreateInvite are base32 letters and digits, which a URI carries as they are.
func InviteURI(domain, token string) string {
	return "xmpp:" + domain + "?register;preauth=" + token
}

func (s *Service) invite(inv register.Invite) Invite {
	return Invite{Token: inv.Token, URI: InviteURI(s.domain, inv.Token), Created: inv.Created, Expires: inv.Expires,
		Uses: inv.Uses, Username: inv.Username, CreatedBy: inv.CreatedBy, AddInviter: inv.AddInviter}
}

func (s *Service) inviteStore() (InviteStore, error) {
	if s.invites == nil {
		return nil, errors.New("admin: this service has no invitation store")
	}
	return s.invites, nil
}

// CreateInvite creates an invitation to register, which works even when in-band
// registration is limited to invited users. Admins only. Errors wrap ErrInvalid for a
// bad request.
//
// When the admins allow it (Settings.UsersMayInvite), any account may invite one person
// for up to DefaultInviteValidity.
func (s *Service) CreateInvite(ctx context.Context, req InviteRequest) (Invite, error) {
	by, asUser, err := s.authorizeInviter(ctx, "create invitation")
	if err != nil {
		return Invite{}, err
	}
	if asUser && (req.Uses > 1 || req.ValidFor > DefaultInviteValidity) {
		return Invite{}, fmt.Errorf("%w: you may invite one person, for at most %d days", ErrInvalid, DefaultInviteValidity/(24*time.Hour))
	}
	store, err := s.inviteStore()
	if err != nil {
		return Invite{}, err
	}
	valid, uses := req.ValidFor, req.Uses
	switch {
	case valid < 0:
		return Invite{}, fmt.Errorf("%w validity %v: it must be positive", ErrInvalid, valid)
	case valid == 0:
		valid = DefaultInviteValidity
	}
	switch {
	case uses < 0 || uses > MaxInviteUses:
		return Invite{}, fmt.Errorf("%w number of uses %d: give 1 to %d", ErrInvalid, uses, MaxInviteUses)
	case uses == 0:
		uses = 1
	}
	var username string
	if req.Username != "" {
		j, err := s.BareJID(req.Username)
		if err != nil {
			return Invite{}, err
		}
		username = j[:len(j)-len(s.domain)-1]
		if uses != 1 {
			return Invite{}, fmt.Errorf("%w: an invitation for one user name can be used once", ErrInvalid)
		}
	}
	a, _ := actorOf(ctx)
	inviter := a.jid
	if req.Inviter != "" {
		if asUser {
			return Invite{}, fmt.Errorf("%w: only administrators invite on someone else's behalf", ErrInvalid)
		}
		if inviter, err = s.BareJID(req.Inviter); err != nil {
			return Invite{}, err
		}
		if _, _, err := s.accounts.AccountFlags(ctx, inviter); err != nil {
			return Invite{}, fmt.Errorf("inviter %w", storeError(inviter, err))
		}
	}
	if req.AddInviter && inviter == "" {
		return Invite{}, fmt.Errorf("%w: only an account can be added to the new user's contacts: name one as the inviter", ErrInvalid)
	}
	now := time.Now()
	inv := register.Invite{
		// 26 base32 characters, 130 random bits: "a securely generated random
		// alpha-numeric string" (XEP-0401 §4.1).
		Token:      rand.Text(),
		Created:    now,
		Expires:    now.Add(valid),
		CreatedBy:  inviter,
		Username:   username,
		Uses:       uses,
		AddInviter: req.AddInviter,
	}
	if err := store.CreateInvite(ctx, inv); err != nil {
		return Invite{}, fmt.Errorf("creating an invitation: %w", err)
	}
	// The token is a password until used: it stays out of the log.
	s.log.LogAttrs(ctx, slog.LevelInfo, "invitation created", slog.Time("expires", inv.Expires),
		slog.Int("uses", uses), slog.String("username", username), by)
	return s.invite(inv), nil
}

// ListInvites returns the invitations that still work, oldest first: all of them to
// admins, their own to accounts that may invite.
func (s *Service) ListInvites(ctx context.Context) ([]Invite, error) {
	_, asUser, err := s.authorizeInviter(ctx, "list invitations")
	if err != nil {
		return nil, err
	}
	a, _ := actorOf(ctx)
	store, err := s.inviteStore()
	if err != nil {
		return nil, err
	}
	all, err := store.ListInvites(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing invitations: %w", err)
	}
	now := time.Now()
	out := []Invite{}
	for _, inv := range all {
		if !inv.Expired(now) && (!asUser || inv.CreatedBy == a.jid) {
			out = append(out, s.invite(inv))
		}
	}
	return out, nil
}

// RevokeInvite deletes an invitation: any, for admins; their own, for accounts that may
// invite. Errors wrap ErrNoInvite.
func (s *Service) RevokeInvite(ctx context.Context, token string) error {
	by, asUser, err := s.authorizeInviter(ctx, "revoke invitation")
	if err != nil {
		return err
	}
	store, err := s.inviteStore()
	if err != nil {
		return err
	}
	if asUser {
		a, _ := actorOf(ctx)
		if inv, err := store.Invite(ctx, token); err != nil || inv.CreatedBy != a.jid {
			return ErrNoInvite // someone else's is none of theirs, not even its existence
		}
	}
	if err := store.DeleteInvite(ctx, token); err != nil {
		if isNotExist(err) {
			return ErrNoInvite
		}
		return fmt.Errorf("revoking an invitation: %w", err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "invitation revoked", by)
	return nil
}

// LookupInvite returns a working invitation; anyone holding the token may ask (the
// invitation page). Unknown, used up and expired ones are ErrNoInvite.
func (s *Service) LookupInvite(ctx context.Context, token string) (Invite, error) {
	store, err := s.inviteStore()
	if err != nil {
		return Invite{}, err
	}
	inv, err := store.Invite(ctx, token)
	switch {
	case isNotExist(err):
		return Invite{}, ErrNoInvite
	case err != nil:
		return Invite{}, fmt.Errorf("looking up an invitation: %w", err)
	case inv.Expired(time.Now()):
		return Invite{}, ErrNoInvite
	}
	return s.invite(inv), nil
}

// RedeemInvite creates an account with an invitation (the invitation page's form) and
// returns its bare JID; anyone holding the token may. It takes one use of the invitation
// only once the account exists, and removes the account again if another registration
// took the last use meanwhile. Errors wrap ErrNoInvite, ErrInvalid or ErrUserExists.
func (s *Service) RedeemInvite(ctx context.Context, token, username, password string) (string, error) {
	inv, err := s.LookupInvite(ctx, token)
	if err != nil {
		return "", err
	}
	j, err := s.BareJID(username)
	if err != nil {
		return "", err
	}
	if inv.Username != "" && j != inv.Username+"@"+s.domain {
		return "", fmt.Errorf("%w: this invitation is for the user name %s", ErrInvalid, inv.Username)
	}
	c, err := s.credentials(password)
	if err != nil {
		return "", err
	}
	if err := s.accounts.CreateAccount(ctx, j, c); err != nil {
		return "", storeError(j, err)
	}
	if _, err := s.invites.ConsumeInvite(ctx, token); err != nil {
		if derr := s.accounts.DeleteAccount(ctx, j); derr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "invitation rollback failed", slog.String("jid", j), slog.Any("err", derr))
		}
		if isNotExist(err) {
			return "", ErrNoInvite
		}
		return "", fmt.Errorf("using the invitation: %w", err)
	}
	if inv.AddInviter && inv.CreatedBy != "" && s.sessions != nil {
		// The account exists and the use is taken: a roster failure is logged, not undone.
		if err := s.sessions.MakeContacts(ctx, j, inv.CreatedBy); err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "invitation contacts failed", slog.String("jid", j), slog.Any("err", err))
		}
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "account registered", slog.String("jid", j), slog.String("via", "web invitation"),
		slog.String("invited_by", inv.CreatedBy))
	return j, nil
}

// authorizeInviter lets admins (and the operator) manage every invitation, and ordinary
// accounts their own when Settings.UsersMayInvite is on; asUser says which.
func (s *Service) authorizeInviter(ctx context.Context, op string) (by slog.Attr, asUser bool, err error) {
	if a, ok := actorOf(ctx); ok && !s.isAdmin(ctx, a) {
		if may, err := s.UsersMayInvite(ctx); err == nil && may {
			return slog.String("by", a.jid), true, nil
		}
	}
	by, err = s.authorize(ctx, op)
	return by, false, err
}
