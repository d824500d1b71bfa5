package embeddb

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/s2s"
)

// Peers stores the federation peers the operator configured (xmppbox peer add), one
// s2s.PeerConfig per domain. It implements s2s.PeerStore and admin.PeerStore.
type Peers struct{ db *DB }

// checkDomain refuses domains that would break the key layout. Like checkJID it is not a
// validator: the admin service normalises the domain before it gets here.
func checkDomain(domain string) error {
	if domain == "" || strings.IndexByte(domain, sep) >= 0 || strings.ContainsAny(domain, "@/") {
		return fmt.Errorf("embeddb: domain %q: %w", domain, fs.ErrInvalid)
	}
	return nil
}

// PutPeer stores c under c.Domain, replacing the peer stored for that domain, if any. It
// wraps fs.ErrInvalid for an empty domain or one with a NUL byte, '@' or '/'.
func (s *Peers) PutPeer(ctx context.Context, c s2s.PeerConfig) error {
	if err := checkDomain(c.Domain); err != nil {
		return err
	}
	val, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("embeddb: put peer %s: %w", c.Domain, err)
	}
	if err := s.db.update(ctx, func(txn *badger.Txn) error { return txn.Set(peerKey(c.Domain), val) }); err != nil {
		return fmt.Errorf("embeddb: put peer %s: %w", c.Domain, err)
	}
	return nil
}

// Peer returns the peer stored for domain; it wraps fs.ErrNotExist if there is none.
func (s *Peers) Peer(ctx context.Context, domain string) (s2s.PeerConfig, error) {
	var c s2s.PeerConfig
	if checkDomain(domain) != nil {
		// No such domain can have been stored.
		return c, fmt.Errorf("embeddb: peer %q: %w", domain, fs.ErrNotExist)
	}
	err := s.db.view(ctx, func(txn *badger.Txn) error { return getJSON(txn, peerKey(domain), &c) })
	if err != nil {
		return s2s.PeerConfig{}, fmt.Errorf("embeddb: peer %s: %w", domain, err)
	}
	return c, nil
}

// ListPeers returns every stored peer, sorted by domain. The result is never nil.
func (s *Peers) ListPeers(ctx context.Context) ([]s2s.PeerConfig, error) {
	var list []s2s.PeerConfig
	err := s.db.view(ctx, func(txn *badger.Txn) error {
		var err error
		list, err = jsonValues[s2s.PeerConfig](txn, peerPrefix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("embeddb: list peers: %w", err)
	}
	// Key order is already domain order; sorting states the contract rather than
	// relying on the layout.
	slices.SortFunc(list, func(a, b s2s.PeerConfig) int { return strings.Compare(a.Domain, b.Domain) })
	return list, nil
}

// DeletePeer forgets the peer stored for domain; it wraps fs.ErrNotExist if there is none.
func (s *Peers) DeletePeer(ctx context.Context, domain string) error {
	if checkDomain(domain) != nil {
		return fmt.Errorf("embeddb: delete peer %q: %w", domain, fs.ErrNotExist)
	}
	k := peerKey(domain)
	err := s.db.update(ctx, func(txn *badger.Txn) error { return deleteExisting(txn, k) })
	if err != nil {
		return fmt.Errorf("embeddb: delete peer %s: %w", domain, err)
	}
	return nil
}
