package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
)

// ErrForbidden is wrapped when the caller may not do what it asked: a non-admin account
// reaching an admin operation, or a request with no caller at all. It wraps
// fs.ErrPermission.
var ErrForbidden error = &kindError{"not allowed", fs.ErrPermission}

// ErrBadLogin is returned by Authenticate for any failed login: unknown user, wrong
// password or disabled account alike, so a login form cannot probe for accounts.
var ErrBadLogin = errors.New("wrong user name or password")

// actorKey carries the caller of a Service operation in a context.
type actorKey struct{}

// actor is who asks for an operation: the operator of the box (CLI, local admin API) or a
// logged-in account (web page).
type actor struct {
	operator bool
	jid      string // bare JID of the account; "" for the operator
}

// AsOperator marks ctx as coming from the box's operator: the CLI or the local admin API,
// which only the owner of the data directory can reach. The operator may do everything.
func AsOperator(ctx context.Context) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{operator: true})
}

// AsUser marks ctx as coming from the logged-in account bareJID. Admin operations then
// check that the account is an admin at the time of the call, so demoting or disabling an
// admin takes effect at once.
func AsUser(ctx context.Context, bareJID string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{jid: bareJID})
}

func actorOf(ctx context.Context) (actor, bool) {
	a, ok := ctx.Value(actorKey{}).(actor)
	return a, ok
}

// String names the actor in the audit log.
func (a actor) String() string {
	if a.operator {
		return "operator"
	}
	return a.jid
}

// authorize checks that ctx's caller is the operator or an enabled admin account, and
// returns an audit attribute naming it.
func (s *Service) authorize(ctx context.Context, op string) (slog.Attr, error) {
	a, ok := actorOf(ctx)
	if !ok {
		return slog.Attr{}, fmt.Errorf("%s: %w: no caller", op, ErrForbidden)
	}
	if !s.isAdmin(ctx, a) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "admin operation refused", slog.String("op", op), slog.String("by", a.jid))
		return slog.Attr{}, fmt.Errorf("%s: %w: %s is not an administrator", op, ErrForbidden, a.jid)
	}
	return slog.String("by", a.String()), nil
}

// isAdmin reports whether a is the operator or an enabled admin account.
func (s *Service) isAdmin(ctx context.Context, a actor) bool {
	if a.operator {
		return true
	}
	isAdmin, disabled, err := s.accounts.AccountFlags(ctx, a.jid)
	return err == nil && isAdmin && !disabled
}

// authorizeSelf checks that ctx's caller may act on the account bareJID: it is that
// account, the operator, or an admin.
func (s *Service) authorizeSelf(ctx context.Context, op, bareJID string) (slog.Attr, error) {
	if a, ok := actorOf(ctx); ok && !a.operator && a.jid == bareJID {
		if _, disabled, err := s.accounts.AccountFlags(ctx, a.jid); err != nil || disabled {
			return slog.Attr{}, fmt.Errorf("%s: %w: %s is disabled", op, ErrForbidden, a.jid)
		}
		return slog.String("by", a.jid), nil
	}
	return s.authorize(ctx, op)
}
