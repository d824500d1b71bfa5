package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"xmppbox/server/mod/register"
)

// InviteStore is the invitation storage the Service needs; embeddb implements it.
type InviteStore interface {
	// CreateInvite stores a new invite; a token in use is an error wrapping fs.ErrExist.
	CreateInvite(ctx context.Context, inv register.Invite) error
}

// DefaultInviteValidity is how long an invitation works when the request does not say.
const DefaultInviteValidity = 7 * 24 * time.Hour

// InviteRequest describes an invitation to create.
type InviteRequest struct {
	// ValidFor is how long the invitation works from now; 0 means DefaultInviteValidity.
	ValidFor time.Duration
	// TODO(#6): uses, preset user name, roster subscription with the inviter.
}

// Invite is an invitation to create one account on this box.
type Invite struct {
	Token string
	// URI is the link to hand to the invitee, xmpp:DOMAIN?register;preauth=TOKEN
	// (XEP-0401 §4.5, XEP-0445 §2): a client that opens it registers with the token.
	URI     string
	Expires time.Time
}

// InviteURI is the registration link for token on domain (XEP-0401 §4.5). Tokens made by
// CreateInvite are base32 letters and digits, which a URI carries as they are.
func InviteURI(domain, token string) string {
	return "xmpp:" + domain + "?register;preauth=" + token
}

// CreateInvite creates a single-use invitation to register an account, which works even
// when in-band registration is limited to invited users. Errors wrap ErrInvalid for a
// negative validity.
func (s *Service) CreateInvite(ctx context.Context, req InviteRequest) (Invite, error) {
	if s.invites == nil {
		return Invite{}, errors.New("admin: this service has no invitation store")
	}
	valid := req.ValidFor
	switch {
	case valid < 0:
		return Invite{}, fmt.Errorf("%w validity %v: it must be positive", ErrInvalid, valid)
	case valid == 0:
		valid = DefaultInviteValidity
	}
	now := time.Now()
	inv := register.Invite{
		// 26 base32 characters, 130 random bits: "a securely generated random
		// alpha-numeric string" (XEP-0401 §4.1).
		Token:   rand.Text(),
		Created: now,
		Expires: now.Add(valid),
		Uses:    1,
	}
	if err := s.invites.CreateInvite(ctx, inv); err != nil {
		return Invite{}, fmt.Errorf("creating an invitation: %w", err)
	}
	// The token is a password until used: it stays out of the log.
	s.log.LogAttrs(ctx, slog.LevelInfo, "invitation created", slog.Time("expires", inv.Expires))
	return Invite{Token: inv.Token, URI: InviteURI(s.domain, inv.Token), Expires: inv.Expires}, nil
}
