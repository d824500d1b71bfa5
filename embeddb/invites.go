package embeddb

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/register"
)

// Invites stores invitations to register (XEP-0401, XEP-0445). It implements
// register.Invites and admin.InviteStore.
type Invites struct{ db *DB }

// checkToken refuses tokens that would break the key layout. Such a token can never
// have been stored, so lookups report it as not existing.
func checkToken(token string) error {
	if token == "" || strings.IndexByte(token, sep) >= 0 {
		// The token is a secret: it is not repeated in the error.
		return fmt.Errorf("embeddb: invitation token empty or with a NUL byte: %w", fs.ErrInvalid)
	}
	return nil
}

// CreateInvite stores a new invite; it wraps fs.ErrExist if the token is in use and
// fs.ErrInvalid for an empty token, one with a NUL byte, or Uses below 1.
func (s *Invites) CreateInvite(ctx context.Context, inv register.Invite) error {
	if err := checkToken(inv.Token); err != nil {
		return err
	}
	if inv.Uses < 1 {
		return fmt.Errorf("embeddb: invitation with %d uses: %w", inv.Uses, fs.ErrInvalid)
	}
	val, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("embeddb: create invitation: %w", err)
	}
	k := inviteKey(inv.Token)
	err = s.db.update(ctx, func(txn *badger.Txn) error { return setNew(txn, k, val) })
	if err != nil {
		return fmt.Errorf("embeddb: create invitation: %w", err)
	}
	return nil
}

// Invite returns the invite for token; it wraps fs.ErrNotExist if there is none.
func (s *Invites) Invite(ctx context.Context, token string) (register.Invite, error) {
	var inv register.Invite
	if checkToken(token) != nil {
		return inv, fmt.Errorf("embeddb: invitation: %w", fs.ErrNotExist)
	}
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		inv, err = readInvite(txn, token)
		return err
	})
	if err != nil {
		return register.Invite{}, fmt.Errorf("embeddb: invitation: %w", err)
	}
	return inv, nil
}

// ConsumeInvite takes one use of the invite for token in one transaction and returns the
// invite as it was; the last use deletes it. It wraps fs.ErrNotExist if there is none.
// Concurrent calls conflict in Badger and are retried, so each use is taken once.
func (s *Invites) ConsumeInvite(ctx context.Context, token string) (register.Invite, error) {
	var inv register.Invite
	if checkToken(token) != nil {
		return inv, fmt.Errorf("embeddb: consume invitation: %w", fs.ErrNotExist)
	}
	k := inviteKey(token)
	err := s.db.update(ctx, func(txn *badger.Txn) error {
		var err error
		if inv, err = readInvite(txn, token); err != nil {
			return err
		}
		if inv.Uses <= 1 {
			return txn.Delete(k)
		}
		left := inv
		left.Uses--
		val, err := json.Marshal(left)
		if err != nil {
			return err
		}
		return txn.Set(k, val)
	})
	if err != nil {
		return register.Invite{}, fmt.Errorf("embeddb: consume invitation: %w", err)
	}
	return inv, nil
}

// ListInvites returns every invite, oldest first (ties by token). The result is never nil.
func (s *Invites) ListInvites(ctx context.Context) ([]register.Invite, error) {
	var list []register.Invite
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		list, err = jsonValues[register.Invite](txn, invitePrefix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: list invitations: %w", err)
	}
	slices.SortFunc(list, func(a, b register.Invite) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Token, b.Token)
	})
	return list, nil
}

// DeleteInvite revokes the invite for token; it wraps fs.ErrNotExist if there is none.
func (s *Invites) DeleteInvite(ctx context.Context, token string) error {
	if checkToken(token) != nil {
		return fmt.Errorf("embeddb: delete invitation: %w", fs.ErrNotExist)
	}
	k := inviteKey(token)
	err := s.db.update(ctx, func(txn *badger.Txn) error { return deleteExisting(txn, k) })
	if err != nil {
		return fmt.Errorf("embeddb: delete invitation: %w", err)
	}
	return nil
}

func readInvite(txn *badger.Txn, token string) (register.Invite, error) {
	var inv register.Invite
	err := getJSON(txn, inviteKey(token), &inv)
	return inv, err
}
