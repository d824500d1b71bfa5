package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
)

// ErrNoSession is wrapped when the session to end does not exist (any more).
var ErrNoSession error = &kindError{"no such session", fs.ErrNotExist}

// Sessions returns the connected resources sorted by JID, or nil when no server is attached.
func (s *Service) Sessions() []Session {
	if s.sessions == nil {
		return nil
	}
	l := s.sessions.Sessions()
	slices.SortFunc(l, func(a, b Session) int { return strings.Compare(a.JID, b.JID) })
	return l
}

// ListSessions returns every connected resource. Admins only.
func (s *Service) ListSessions(ctx context.Context) ([]Session, error) {
	if _, err := s.authorize(ctx, "list sessions"); err != nil {
		return nil, err
	}
	return s.Sessions(), nil
}

// UserSessions returns the connected resources of one account. The account itself and
// admins may ask.
func (s *Service) UserSessions(ctx context.Context, nameOrJID string) ([]Session, error) {
	j, err := s.BareJID(nameOrJID)
	if err != nil {
		return nil, err
	}
	if _, err := s.authorizeSelf(ctx, "list own sessions", j); err != nil {
		return nil, err
	}
	var own []Session
	for _, se := range s.Sessions() {
		if bareOf(se.JID) == j {
			own = append(own, se)
		}
	}
	return own, nil
}

// KickSession ends the session of one full JID. The account itself (logging out one of
// its devices) and admins may do it. Errors wrap ErrNoSession.
func (s *Service) KickSession(ctx context.Context, fullJID string) error {
	bare := bareOf(fullJID)
	if bare == fullJID {
		return fmt.Errorf("%w session %q: give a full JID, with /resource", ErrInvalid, fullJID)
	}
	by, err := s.authorizeSelf(ctx, "end session", bare)
	if err != nil {
		return err
	}
	if s.sessions == nil {
		return errors.New("no server is running")
	}
	if !s.sessions.Kick(fullJID) {
		return fmt.Errorf("%s: %w", fullJID, ErrNoSession)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "session ended", slog.String("jid", fullJID), by)
	return nil
}

func bareOf(fullJID string) string {
	bare, _, _ := strings.Cut(fullJID, "/")
	return bare
}
