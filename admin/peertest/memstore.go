package peertest

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"xmppbox/server/s2s"
)

// Store is what a peer backend offers: s2s.PeerStore, and the methods the admin service
// manages peers with. embeddb.Peers and MemPeers implement it; admin.PeerStore is the same
// method set.
type Store interface {
	// PutPeer stores c under c.Domain, replacing any peer of that domain. An empty domain
	// wraps fs.ErrInvalid.
	PutPeer(ctx context.Context, c s2s.PeerConfig) error
	// Peer returns the peer of domain; fs.ErrNotExist if there is none.
	Peer(ctx context.Context, domain string) (s2s.PeerConfig, error)
	// ListPeers returns every peer, sorted by domain. Never nil.
	ListPeers(ctx context.Context) ([]s2s.PeerConfig, error)
	// DeletePeer forgets the peer of domain; fs.ErrNotExist if there is none.
	DeletePeer(ctx context.Context, domain string) error
}

// MemPeers is an in-memory Store. It is safe for concurrent use.
type MemPeers struct {
	mu    sync.Mutex
	peers map[string]s2s.PeerConfig // by domain; guarded by mu
}

var _ Store = (*MemPeers)(nil)

// NewMemPeers returns an empty MemPeers.
func NewMemPeers() *MemPeers { return &MemPeers{peers: make(map[string]s2s.PeerConfig)} }

// PutPeer stores c.
func (m *MemPeers) PutPeer(_ context.Context, c s2s.PeerConfig) error {
	if c.Domain == "" {
		return fmt.Errorf("mempeers: empty domain: %w", fs.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peers[c.Domain] = c
	return nil
}

// Peer returns the peer of domain.
func (m *MemPeers) Peer(_ context.Context, domain string) (s2s.PeerConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.peers[domain]
	if !ok {
		return s2s.PeerConfig{}, fmt.Errorf("mempeers: %s: %w", domain, fs.ErrNotExist)
	}
	return c, nil
}

// ListPeers returns every peer, sorted by domain.
func (m *MemPeers) ListPeers(context.Context) ([]s2s.PeerConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := make([]s2s.PeerConfig, 0, len(m.peers))
	for _, c := range m.peers {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b s2s.PeerConfig) int { return strings.Compare(a.Domain, b.Domain) })
	return list, nil
}

// DeletePeer forgets the peer of domain.
func (m *MemPeers) DeletePeer(_ context.Context, domain string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.peers[domain]; !ok {
		return fmt.Errorf("mempeers: %s: %w", domain, fs.ErrNotExist)
	}
	delete(m.peers, domain)
	return nil
}

// Federation is a fixed set of links standing for the running server (admin.Federation).
type Federation []s2s.LinkInfo

// Links returns a copy of f.
func (f Federation) Links() []s2s.LinkInfo { return slices.Clone(f) }

// Unlink counts the links with domain; f stays as it is.
func (f Federation) Unlink(domain string) int {
	n := 0
	for _, l := range f {
		if l.Remote == domain && l.LastError == "" {
			n++
		}
	}
	return n
}
