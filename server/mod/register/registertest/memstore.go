package registertest

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"xmppbox/server/mod/register"
)

// Store is what an invitation backend offers: register.Invites, and the methods the admin
// service manages invitations with. embeddb.Invites and MemInvites implement it.
type Store interface {
	register.Invites
	// CreateInvite stores a new invite. A token in use is an error wrapping fs.ErrExist;
	// an empty token, one with a NUL byte, or Uses below 1 wraps fs.ErrInvalid.
	CreateInvite(ctx context.Context, inv register.Invite) error
	// ListInvites returns every invite, oldest first (ties by token). Never nil.
	ListInvites(ctx context.Context) ([]register.Invite, error)
	// DeleteInvite revokes an invite; fs.ErrNotExist if there is none.
	DeleteInvite(ctx context.Context, token string) error
}

// MemInvites is an in-memory Store. It is safe for concurrent use.
type MemInvites struct {
	mu      sync.Mutex
	invites map[string]register.Invite // by token; guarded by mu
}

var _ Store = (*MemInvites)(nil)

// NewMemInvites returns an empty MemInvites.
func NewMemInvites() *MemInvites { return &MemInvites{invites: make(map[string]register.Invite)} }

// CreateInvite stores inv.
func (m *MemInvites) CreateInvite(_ context.Context, inv register.Invite) error {
	if inv.Token == "" || strings.IndexByte(inv.Token, 0) >= 0 || inv.Uses < 1 {
		return fmt.Errorf("registertest: invite %q with %d uses: %w", inv.Token, inv.Uses, fs.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.invites[inv.Token]; ok {
		return fmt.Errorf("registertest: invite %q: %w", inv.Token, fs.ErrExist)
	}
	m.invites[inv.Token] = inv
	return nil
}

// Invite returns the invite for token.
func (m *MemInvites) Invite(_ context.Context, token string) (register.Invite, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invites[token]
	if !ok {
		return register.Invite{}, fmt.Errorf("registertest: invite %q: %w", token, fs.ErrNotExist)
	}
	return inv, nil
}

// ConsumeInvite takes one use of the invite for token.
func (m *MemInvites) ConsumeInvite(_ context.Context, token string) (register.Invite, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invites[token]
	if !ok {
		return register.Invite{}, fmt.Errorf("registertest: invite %q: %w", token, fs.ErrNotExist)
	}
	if inv.Uses <= 1 {
		delete(m.invites, token)
	} else {
		left := inv
		left.Uses--
		m.invites[token] = left
	}
	return inv, nil
}

// ListInvites returns every invite, oldest first.
func (m *MemInvites) ListInvites(context.Context) ([]register.Invite, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := make([]register.Invite, 0, len(m.invites))
	for _, inv := range m.invites {
		list = append(list, inv)
	}
	slices.SortFunc(list, compareInvites)
	return list, nil
}

// DeleteInvite removes the invite for token.
func (m *MemInvites) DeleteInvite(_ context.Context, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.invites[token]; !ok {
		return fmt.Errorf("registertest: invite %q: %w", token, fs.ErrNotExist)
	}
	delete(m.invites, token)
	return nil
}

// compareInvites orders invites oldest first, then by token.
func compareInvites(a, b register.Invite) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Token, b.Token))
}
