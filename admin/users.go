package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"xmppbox/server/sasl"
)

// User describes one account.
type User struct {
	JID      string // bare JID
	Admin    bool
	Disabled bool
	Sessions int // connected resources
	// PasswordStamp changes whenever the password does, however it was changed (web
	// page, CLI, XMPP): the web page ends sessions opened with an older password. It
	// reveals nothing about the password.
	PasswordStamp string
}

// UserQuery selects a page of accounts.
type UserQuery struct {
	Search string // case-insensitive substring of the JID; "" matches all
	Offset int
	Limit  int // 0 or more than MaxUserPage means MaxUserPage
}

// MaxUserPage is the largest page Users returns.
const MaxUserPage = 500

// UserPage is one page of accounts, sorted by JID.
type UserPage struct {
	Users []User
	Total int // accounts matching the search, on all pages
}

// Users returns a page of the accounts matching q. Admins only.
func (s *Service) Users(ctx context.Context, q UserQuery) (UserPage, error) {
	if _, err := s.authorize(ctx, "list users"); err != nil {
		return UserPage{}, err
	}
	if q.Offset < 0 {
		return UserPage{}, fmt.Errorf("%w offset %d: it must not be negative", ErrInvalid, q.Offset)
	}
	if q.Limit <= 0 || q.Limit > MaxUserPage {
		q.Limit = MaxUserPage
	}
	all, err := s.ListUsers(ctx)
	if err != nil {
		return UserPage{}, err
	}
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	matched := all[:0:0]
	for _, j := range all {
		if strings.Contains(strings.ToLower(j), needle) {
			matched = append(matched, j)
		}
	}
	page := UserPage{Total: len(matched), Users: []User{}}
	if q.Offset >= len(matched) {
		return page, nil
	}
	matched = matched[q.Offset:min(len(matched), q.Offset+q.Limit)]
	online := s.onlineCounts()
	for _, j := range matched {
		u, err := s.user(ctx, j, online)
		if err != nil {
			// Deleted between the listing and now.
			continue
		}
		page.Users = append(page.Users, u)
	}
	return page, nil
}

// User returns one account. The account itself, admins and the operator may ask.
func (s *Service) User(ctx context.Context, nameOrJID string) (User, error) {
	j, err := s.BareJID(nameOrJID)
	if err != nil {
		return User{}, err
	}
	if _, err := s.authorizeSelf(ctx, "show user", j); err != nil {
		return User{}, err
	}
	return s.user(ctx, j, s.onlineCounts())
}

func (s *Service) user(ctx context.Context, j string, online map[string]int) (User, error) {
	creds, isAdmin, disabled, err := s.accounts.Account(ctx, j)
	if err != nil {
		return User{}, storeError(j, err)
	}
	return newUser(j, creds, isAdmin, disabled, online), nil
}

func newUser(j string, creds sasl.Credentials, isAdmin, disabled bool, online map[string]int) User {
	return User{JID: j, Admin: isAdmin, Disabled: disabled, Sessions: online[j], PasswordStamp: passwordStamp(creds)}
}

// passwordStamp is a short hash of the stored SCRAM secret, which has a fresh salt for
// every new password.
func passwordStamp(c sasl.Credentials) string {
	h := sha256.New()
	h.Write(c.SHA256.Salt)
	h.Write(c.SHA256.StoredKey)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// onlineCounts counts the connected resources per bare JID.
func (s *Service) onlineCounts() map[string]int {
	n := make(map[string]int)
	for _, se := range s.Sessions() {
		bare, _, _ := strings.Cut(se.JID, "/")
		n[bare]++
	}
	return n
}

// Authenticate checks a password for the web page's login and returns the account. Any
// failure, a disabled account included, is ErrBadLogin, so the form cannot be used to
// learn which accounts exist; a store failure is returned as itself.
func (s *Service) Authenticate(ctx context.Context, nameOrJID, password string) (User, error) {
	j, err := s.BareJID(nameOrJID)
	if err != nil {
		return User{}, ErrBadLogin
	}
	creds, isAdmin, disabled, err := s.accounts.Account(ctx, j)
	if err != nil {
		if isNotExist(err) {
			return User{}, ErrBadLogin
		}
		return User{}, fmt.Errorf("login of %s: %w", j, err)
	}
	// The password is checked first, so that a disabled account takes as long to refuse.
	if !creds.VerifyPassword(password) || disabled {
		return User{}, ErrBadLogin
	}
	return newUser(j, creds, isAdmin, disabled, s.onlineCounts()), nil
}

// SetDisabled disables (ending its sessions) or enables an account. A disabled account
// keeps its data, and messages to it are stored offline, but it cannot log in. Admins
// only; an admin cannot disable their own account.
func (s *Service) SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (string, error) {
	j, by, err := s.adminOn(ctx, "disable user", nameOrJID)
	if err != nil {
		return "", err
	}
	if disabled && isActor(ctx, j) {
		return "", fmt.Errorf("%w: you cannot disable your own account", ErrInvalid)
	}
	if err := s.accounts.SetDisabled(ctx, j, disabled); err != nil {
		return "", storeError(j, err)
	}
	n := 0
	if disabled {
		n = s.disconnect(j)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "user disabled", slog.String("jid", j), slog.Bool("disabled", disabled), slog.Int("sessions", n), by)
	return j, nil
}

// SetAdmin grants or withdraws administrator rights. Admins only; an admin cannot
// demote their own account, so the box never loses its last admin by accident.
func (s *Service) SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error) {
	j, by, err := s.adminOn(ctx, "set admin", nameOrJID)
	if err != nil {
		return "", err
	}
	if !isAdmin && isActor(ctx, j) {
		return "", fmt.Errorf("%w: you cannot remove your own administrator rights", ErrInvalid)
	}
	if err := s.accounts.SetAdmin(ctx, j, isAdmin); err != nil {
		return "", storeError(j, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "user admin rights", slog.String("jid", j), slog.Bool("admin", isAdmin), by)
	return j, nil
}

// adminOn normalises the account an admin operation is about and authorises the caller.
func (s *Service) adminOn(ctx context.Context, op, nameOrJID string) (string, slog.Attr, error) {
	by, err := s.authorize(ctx, op)
	if err != nil {
		return "", by, err
	}
	j, err := s.BareJID(nameOrJID)
	return j, by, err
}

// isActor reports whether ctx's caller is the account bareJID.
func isActor(ctx context.Context, bareJID string) bool {
	a, ok := actorOf(ctx)
	return ok && !a.operator && a.jid == bareJID
}
