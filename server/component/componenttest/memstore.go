package componenttest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"xmppbox/server/component"
)

// Store is what a component secret backend offers: component.Secrets, and the methods
// the admin service manages components with. embeddb.Components and MemSecrets
// implement it. Domains are normalised by the caller; the store compares them as they are.
type Store interface {
	component.Secrets
	// AddComponent stores the secret of a new component. A domain in use is an error
	// wrapping fs.ErrExist; an empty domain or secret, or one with a NUL byte, wraps
	// fs.ErrInvalid.
	AddComponent(ctx context.Context, domain, secret string) error
	// ListComponents returns every component's domain, sorted. Never nil.
	ListComponents(ctx context.Context) ([]string, error)
	// DeleteComponent removes a component; fs.ErrNotExist if there is none.
	DeleteComponent(ctx context.Context, domain string) error
}

// MemSecrets is an in-memory Store. It is safe for concurrent use.
type MemSecrets struct {
	mu      sync.Mutex
	secrets map[string]string // by domain; guarded by mu
}

var _ Store = (*MemSecrets)(nil)

// NewMemSecrets returns an empty MemSecrets.
func NewMemSecrets() *MemSecrets { return &MemSecrets{secrets: make(map[string]string)} }

func checkArgs(domain, secret string) error {
	if domain == "" || secret == "" || strings.IndexByte(domain, 0) >= 0 || strings.IndexByte(secret, 0) >= 0 {
		return fmt.Errorf("memsecrets: empty domain or secret, or one with a NUL byte: %w", fs.ErrInvalid)
	}
	return nil
}

// AddComponent stores secret for domain.
func (m *MemSecrets) AddComponent(_ context.Context, domain, secret string) error {
	if err := checkArgs(domain, secret); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.secrets[domain]; ok {
		return fmt.Errorf("memsecrets: %s: %w", domain, fs.ErrExist)
	}
	m.secrets[domain] = secret
	return nil
}

// ComponentSecret returns the secret of domain.
func (m *MemSecrets) ComponentSecret(_ context.Context, domain string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[domain]
	if !ok {
		return "", fmt.Errorf("memsecrets: %s: %w", domain, fs.ErrNotExist)
	}
	return s, nil
}

// ListComponents returns the domains, sorted.
func (m *MemSecrets) ListComponents(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.secrets))
	for d := range m.secrets {
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

// DeleteComponent removes domain.
func (m *MemSecrets) DeleteComponent(_ context.Context, domain string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.secrets[domain]; !ok {
		return fmt.Errorf("memsecrets: %s: %w", domain, fs.ErrNotExist)
	}
	delete(m.secrets, domain)
	return nil
}
