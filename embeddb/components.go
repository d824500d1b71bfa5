package embeddb

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Components stores the shared secrets of external components (XEP-0114) by domain. It
// implements component.Secrets and admin.ComponentStore.
//
// Secrets are kept as they are, not hashed: the handshake is SHA-1 of the stream id and
// the secret, so the server needs the secret itself. The data directory is 0700.
type Components struct{ db *DB }

// Components returns the component secret store (component.Secrets, admin.ComponentStore).
func (db *DB) Components() *Components { return &Components{db: db} }

// componentRecord is the stored value. Created is for the operator's eyes only.
type componentRecord struct {
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// AddComponent stores the secret of a new component. It wraps fs.ErrExist if domain has
// one, and fs.ErrInvalid for an empty domain or secret or one with a NUL byte.
func (s *Components) AddComponent(ctx context.Context, domain, secret string) error {
	if err := checkDomain(domain); err != nil {
		return err
	}
	if secret == "" || strings.IndexByte(secret, 0) >= 0 {
		// The secret is not repeated in the error.
		return fmt.Errorf("embeddb: component %s: secret empty or with a NUL byte: %w", domain, fs.ErrInvalid)
	}
	val, err := json.Marshal(componentRecord{Secret: secret, Created: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("embeddb: add component %s: %w", domain, err)
	}
	k := componentKey(domain)
	err = s.db.update(ctx, func(txn *badger.Txn) error { return setNew(txn, k, val) })
	if err != nil {
		return fmt.Errorf("embeddb: add component %s: %w", domain, err)
	}
	return nil
}

// ComponentSecret returns the secret of the component serving domain; it wraps
// fs.ErrNotExist if there is none.
func (s *Components) ComponentSecret(ctx context.Context, domain string) (string, error) {
	if checkDomain(domain) != nil {
		return "", fmt.Errorf("embeddb: component %q: %w", domain, fs.ErrNotExist)
	}
	var rec componentRecord
	err := s.db.view(ctx, func(txn *badger.Txn) error { return getJSON(txn, componentKey(domain), &rec) })
	if err != nil {
		return "", fmt.Errorf("embeddb: component %s: %w", domain, err)
	}
	return rec.Secret, nil
}

// ListComponents returns the domains of every component, sorted (Badger iterates keys in
// byte order). The result is never nil.
func (s *Components) ListComponents(ctx context.Context) ([]string, error) {
	list := []string{}
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		list = append(list, keySuffixes(txn, componentPrefix())...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: list components: %w", err)
	}
	return list, nil
}

// DeleteComponent removes the component serving domain; it wraps fs.ErrNotExist if there
// is none.
func (s *Components) DeleteComponent(ctx context.Context, domain string) error {
	if checkDomain(domain) != nil {
		return fmt.Errorf("embeddb: delete component %q: %w", domain, fs.ErrNotExist)
	}
	k := componentKey(domain)
	err := s.db.update(ctx, func(txn *badger.Txn) error { return deleteExisting(txn, k) })
	if err != nil {
		return fmt.Errorf("embeddb: delete component %s: %w", domain, err)
	}
	return nil
}
