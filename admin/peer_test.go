package admin

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"xmppbox/admin/admintest"
	"xmppbox/admin/peertest"
	"xmppbox/server/s2s"
)

var (
	_ PeerStore  = (*peertest.MemPeers)(nil)
	_ Federation = (*s2s.Manager)(nil)
	_ Federation = peertest.Federation(nil)
)

func newPeerService(t *testing.T, store PeerStore, fed Federation) *Service {
	t.Helper()
	s, err := New(Config{Domain: "Example.ORG", Accounts: admintest.NewMemStore(), Peers: store, Federation: fed,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAddPeer(t *testing.T) {
	ca := peertest.CAPEM(t, "other CA")
	tests := []struct {
		name    string
		in      s2s.PeerConfig
		want    s2s.PeerConfig
		wantErr string // the error wraps ErrInvalid and contains this
	}{
		{name: "domain only", in: s2s.PeerConfig{Domain: "other.example"}, want: s2s.PeerConfig{Domain: "other.example"}},
		{name: "normalised", in: s2s.PeerConfig{Domain: "Other.EXAMPLE."}, want: s2s.PeerConfig{Domain: "other.example"}},
		{name: "IDN", in: s2s.PeerConfig{Domain: "BÜCHER.example"}, want: s2s.PeerConfig{Domain: "bücher.example"}},
		{name: "everything", in: s2s.PeerConfig{Domain: "lab.example", Addr: "10.0.0.2:5269", CAPEM: ca, Policy: s2s.DialbackOK},
			want: s2s.PeerConfig{Domain: "lab.example", Addr: "10.0.0.2:5269", CAPEM: ca, Policy: s2s.DialbackOK}},
		{name: "IPv6 address", in: s2s.PeerConfig{Domain: "v6.example", Addr: "[fd00::2]:5269", Policy: s2s.RequireValidCert},
			want: s2s.PeerConfig{Domain: "v6.example", Addr: "[fd00::2]:5269", Policy: s2s.RequireValidCert}},
		{name: "CA with text around it", in: s2s.PeerConfig{Domain: "t.example", CAPEM: "subject=CN = other CA\n" + ca},
			want: s2s.PeerConfig{Domain: "t.example", CAPEM: "subject=CN = other CA\n" + ca}},

		{name: "no domain", in: s2s.PeerConfig{}, wantErr: "give its domain"},
		{name: "own domain", in: s2s.PeerConfig{Domain: "example.org"}, wantErr: "this server's own domain"},
		{name: "own domain in capitals", in: s2s.PeerConfig{Domain: "EXAMPLE.org"}, wantErr: "this server's own domain"},
		{name: "a JID", in: s2s.PeerConfig{Domain: "alice@other.example"}, wantErr: "without user@"},
		{name: "a full JID", in: s2s.PeerConfig{Domain: "other.example/res"}, wantErr: "without user@ or /resource"},
		{name: "bad domain", in: s2s.PeerConfig{Domain: "a b.example"}, wantErr: `peer domain "a b.example"`},
		{name: "addr without port", in: s2s.PeerConfig{Domain: "o.example", Addr: "10.0.0.2"}, wantErr: "missing port"},
		{name: "addr with a named port", in: s2s.PeerConfig{Domain: "o.example", Addr: "10.0.0.2:xmpp"}, wantErr: "port must be a number"},
		{name: "addr port 0", in: s2s.PeerConfig{Domain: "o.example", Addr: "10.0.0.2:0"}, wantErr: "from 1 to 65535"},
		{name: "addr port too big", in: s2s.PeerConfig{Domain: "o.example", Addr: "10.0.0.2:65536"}, wantErr: "from 1 to 65535"},
		{name: "addr without host", in: s2s.PeerConfig{Domain: "o.example", Addr: ":5269"}, wantErr: "host is missing"},
		{name: "unknown policy", in: s2s.PeerConfig{Domain: "o.example", Policy: "trust-me"}, wantErr: `unknown policy "trust-me"`},
		{name: "CA not PEM", in: s2s.PeerConfig{Domain: "o.example", CAPEM: "hello"}, wantErr: "no PEM certificate"},
		{name: "CA is a key", in: s2s.PeerConfig{Domain: "o.example", CAPEM: ca + "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"},
			wantErr: "private key"},
		{name: "CA garbled", in: s2s.PeerConfig{Domain: "o.example", CAPEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
			wantErr: "certificate 1"},
	}
	store := peertest.NewMemPeers()
	s := newPeerService(t, store, nil)
	ctx := AsOperator(t.Context())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.AddPeer(ctx, tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AddPeer(%+v): err = %v, want ErrInvalid containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AddPeer(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if stored, err := store.Peer(t.Context(), tt.want.Domain); err != nil || stored != tt.want {
				t.Errorf("stored %+v, %v; want %+v", stored, err, tt.want)
			}
		})
	}
	// "domain only" and "normalised" are one domain.
	if l, _ := store.ListPeers(t.Context()); len(l) != 5 {
		t.Errorf("%d peers stored, want the 5 domains of the valid ones: %+v", len(l), l)
	}
}

func TestAddPeerReplaces(t *testing.T) {
	var logs strings.Builder
	store := peertest.NewMemPeers()
	s, err := New(Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Peers: store,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := AsOperator(t.Context())
	if _, err := s.AddPeer(ctx, s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.2:5269", Policy: s2s.DialbackOK}); err != nil {
		t.Fatal(err)
	}
	want := s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.3:5269"}
	if _, err := s.AddPeer(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Peer(t.Context(), "other.example"); err != nil || got != want {
		t.Errorf("stored %+v, %v; want %+v", got, err, want)
	}
	for _, w := range []string{`msg="peer added" domain=other.example`, `msg="peer updated" domain=other.example addr=10.0.0.3:5269`, "by=operator"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("the log lacks %q:\n%s", w, logs.String())
		}
	}
}

func TestDeletePeer(t *testing.T) {
	store := peertest.NewMemPeers()
	s := newPeerService(t, store, nil)
	ctx := AsOperator(t.Context())
	if _, err := s.AddPeer(ctx, s2s.PeerConfig{Domain: "other.example"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePeer(ctx, "OTHER.example"); err != nil {
		t.Fatalf("DeletePeer: %v", err)
	}
	if _, err := store.Peer(t.Context(), "other.example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the peer is still stored: %v", err)
	}
	err := s.DeletePeer(ctx, "other.example")
	if !errors.Is(err, ErrNoPeer) || !errors.Is(err, fs.ErrNotExist) || err.Error() != "other.example: no such peer" {
		t.Errorf("deleting it again: err = %v, want ErrNoPeer", err)
	}
	if err := s.DeletePeer(ctx, "a@b"); !errors.Is(err, ErrInvalid) {
		t.Errorf("deleting a JID: err = %v, want ErrInvalid", err)
	}
}

func TestListPeers(t *testing.T) {
	now := time.Now()
	fed := peertest.Federation{
		{Local: "example.org", Remote: "b.example", Incoming: true, TLSVersion: "TLS 1.3", Auth: "dialback", Since: now},
		{Local: "example.org", Remote: "b.example", TLSVersion: "TLS 1.3", Auth: "sasl-external", CertExpiry: now.Add(time.Hour), Since: now},
		{Local: "example.org", Remote: "open.example", TLSVersion: "TLS 1.2", Auth: "sasl-external", Since: now},
		{Remote: "a.example", LastError: "connection refused"},
	}
	store := peertest.NewMemPeers()
	ca := peertest.CAPEM(t, "b CA")
	for _, c := range []s2s.PeerConfig{{Domain: "c.example"}, {Domain: "b.example", CAPEM: ca}, {Domain: "a.example", Addr: "10.0.0.1:5269"}} {
		if err := store.PutPeer(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		s    *Service
		want []PeerStatus
	}{
		{"running", newPeerService(t, store, fed), []PeerStatus{
			{PeerConfig: s2s.PeerConfig{Domain: "a.example", Addr: "10.0.0.1:5269"}, Configured: true, Links: []s2s.LinkInfo{fed[3]}},
			{PeerConfig: s2s.PeerConfig{Domain: "b.example", CAPEM: ca}, Configured: true, Links: []s2s.LinkInfo{fed[1], fed[0]}}, // outgoing first
			{PeerConfig: s2s.PeerConfig{Domain: "c.example"}, Configured: true},
			{PeerConfig: s2s.PeerConfig{Domain: "open.example"}, Links: []s2s.LinkInfo{fed[2]}}, // not configured
		}},
		{"stopped", newPeerService(t, store, nil), []PeerStatus{
			{PeerConfig: s2s.PeerConfig{Domain: "a.example", Addr: "10.0.0.1:5269"}, Configured: true},
			{PeerConfig: s2s.PeerConfig{Domain: "b.example", CAPEM: ca}, Configured: true},
			{PeerConfig: s2s.PeerConfig{Domain: "c.example"}, Configured: true},
		}},
		{"no store", newPeerService(t, nil, fed[2:3]), []PeerStatus{
			{PeerConfig: s2s.PeerConfig{Domain: "open.example"}, Links: []s2s.LinkInfo{fed[2]}},
		}},
		{"nothing", newPeerService(t, nil, nil), []PeerStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.ListPeers(AsOperator(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !slices.EqualFunc(got, tt.want, func(a, b PeerStatus) bool {
				return a.PeerConfig == b.PeerConfig && a.Configured == b.Configured && slices.Equal(a.Links, b.Links)
			}) {
				t.Errorf("ListPeers =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestPeersNoStore(t *testing.T) {
	s := newPeerService(t, nil, nil)
	ctx := AsOperator(t.Context())
	if _, err := s.AddPeer(ctx, s2s.PeerConfig{Domain: "other.example"}); err == nil {
		t.Error("AddPeer without a peer store succeeded")
	}
	if err := s.DeletePeer(ctx, "other.example"); err == nil {
		t.Error("DeletePeer without a peer store succeeded")
	}
}

// TestPeersAuthorization: only the operator and enabled admins manage peers.
func TestPeersAuthorization(t *testing.T) {
	f := newWebFixture(t)
	store := peertest.NewMemPeers()
	f.s.peers = store
	calls := []struct {
		name string
		call func(*Service, context.Context) error
	}{
		{"add", func(s *Service, ctx context.Context) error {
			_, err := s.AddPeer(ctx, s2s.PeerConfig{Domain: "other.example"})
			return err
		}},
		{"list", func(s *Service, ctx context.Context) error { _, err := s.ListPeers(ctx); return err }},
		{"delete", func(s *Service, ctx context.Context) error { return s.DeletePeer(ctx, "other.example") }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			for _, who := range []struct {
				name string
				ctx  context.Context
			}{{"no caller", t.Context()}, {"user", AsUser(t.Context(), aliceJID)}, {"disabled admin", AsUser(t.Context(), goneJID)}} {
				if err := c.call(f.s, who.ctx); !errors.Is(err, ErrForbidden) {
					t.Errorf("%s: err = %v, want ErrForbidden", who.name, err)
				}
			}
			if err := c.call(f.s, AsUser(t.Context(), rootJID)); err != nil {
				t.Errorf("admin: %v", err)
			}
		})
	}
}

// TestListPeersFileAndSubdomains: the config file's peers are listed (unless the store
// overrides them), and links with a peer's subdomains are listed under the peer.
func TestListPeersFileAndSubdomains(t *testing.T) {
	store := peertest.NewMemPeers()
	fed := peertest.Federation{
		{Remote: "conference.b.example", Local: "example.org", TLSVersion: "TLS 1.3", Auth: "sasl-external"},
		{Remote: "b.example", Local: "example.org", TLSVersion: "TLS 1.3", Auth: "sasl-external"},
		{Remote: "rooms.file.example", Local: "example.org", Incoming: true, TLSVersion: "TLS 1.3", Auth: "dialback"},
		{Remote: "stranger.example", Local: "example.org", TLSVersion: "TLS 1.2", Auth: "dialback"},
	}
	s := newPeerService(t, store, fed)
	s.staticPeers = []s2s.PeerConfig{{Domain: "file.example", Addr: "10.0.0.9:5269"}, {Domain: "b.example", Addr: "10.0.0.8:5269"}}
	op := AsOperator(t.Context())
	if _, err := s.AddPeer(op, s2s.PeerConfig{Domain: "b.example", Addr: "10.0.0.2:5269"}); err != nil {
		t.Fatal(err)
	}
	l, err := s.ListPeers(op)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		domain, addr         string
		configured, fromFile bool
		links                int
	}
	var got []row
	for _, p := range l {
		got = append(got, row{p.Domain, p.Addr, p.Configured, p.FromFile, len(p.Links)})
	}
	want := []row{
		{"b.example", "10.0.0.2:5269", true, false, 2},
		{"file.example", "10.0.0.9:5269", false, true, 1},
		{"stranger.example", "", false, false, 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListPeers = %+v, want %+v", got, want)
	}
}
