package admintest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"xmppbox/server/sasl"
)

// MemStore is an in-memory admin.AccountStore. It is safe for concurrent use.
type MemStore struct {
	mu       sync.Mutex
	accounts map[string]sasl.Credentials // guarded by mu
	flags    map[string]flags            // guarded by mu
}

type flags struct{ admin, disabled bool }

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{accounts: make(map[string]sasl.Credentials), flags: make(map[string]flags)}
}

// CreateAccount adds an account; fs.ErrExist if it exists.
func (m *MemStore) CreateAccount(_ context.Context, j string, c sasl.Credentials) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[j]; ok {
		return fmt.Errorf("memstore: %s: %w", j, fs.ErrExist)
	}
	m.accounts[j] = c
	return nil
}

// SetCredentials replaces an account's credentials; fs.ErrNotExist if there is none.
func (m *MemStore) SetCredentials(_ context.Context, j string, c sasl.Credentials) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[j]; !ok {
		return fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	m.accounts[j] = c
	return nil
}

// DeleteAccount removes an account; fs.ErrNotExist if there is none.
func (m *MemStore) DeleteAccount(_ context.Context, j string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[j]; !ok {
		return fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	delete(m.accounts, j)
	delete(m.flags, j)
	return nil
}

// ListAccounts returns the account JIDs, sorted.
func (m *MemStore) ListAccounts(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := make([]string, 0, len(m.accounts))
	for j := range m.accounts {
		l = append(l, j)
	}
	slices.Sort(l)
	return l, nil
}

// Credentials returns an account's credentials; fs.ErrNotExist if there is none.
func (m *MemStore) Credentials(_ context.Context, j string) (sasl.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.accounts[j]
	if !ok {
		return sasl.Credentials{}, fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	return c, nil
}

// SetAdmin sets an account's admin flag; fs.ErrNotExist if there is none.
func (m *MemStore) SetAdmin(_ context.Context, j string, admin bool) error {
	return m.modify(j, func(f *flags) { f.admin = admin })
}

// SetDisabled sets an account's disabled flag; fs.ErrNotExist if there is none.
func (m *MemStore) SetDisabled(_ context.Context, j string, disabled bool) error {
	return m.modify(j, func(f *flags) { f.disabled = disabled })
}

// AccountFlags returns an account's flags; fs.ErrNotExist if there is none.
func (m *MemStore) AccountFlags(_ context.Context, j string) (admin, disabled bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[j]; !ok {
		return false, false, fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	f := m.flags[j]
	return f.admin, f.disabled, nil
}

func (m *MemStore) modify(j string, change func(*flags)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.accounts[j]; !ok {
		return fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	f := m.flags[j]
	change(&f)
	m.flags[j] = f
	return nil
}

// Account returns an account's credentials and flags; fs.ErrNotExist if there is none.
func (m *MemStore) Account(_ context.Context, j string) (c sasl.Credentials, admin, disabled bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.accounts[j]
	if !ok {
		return sasl.Credentials{}, false, false, fmt.Errorf("memstore: %s: %w", j, fs.ErrNotExist)
	}
	f := m.flags[j]
	return c, f.admin, f.disabled, nil
}
