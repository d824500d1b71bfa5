package peertest

import (
	"errors"
	"io/fs"
	"slices"
	"testing"

	"xmppbox/server/s2s"
)

// Run tests the Store contract. open is called once per subtest and must return an empty
// store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		{"Empty", testEmpty},
		{"FieldsRoundTrip", testRoundTrip},
		{"PutReplaces", testReplace},
		{"PutRefusesEmptyDomain", testInvalid},
		{"Delete", testDelete},
		{"ListSortedByDomain", testListOrder},
		{"DomainsIsolated", testDomainsIsolated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// caPEM is a stand-in for a CA certificate: a store keeps the text as it is and does not
// parse it.
const caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func mustPut(t *testing.T, s Store, c s2s.PeerConfig) {
	t.Helper()
	if err := s.PutPeer(t.Context(), c); err != nil {
		t.Fatalf("PutPeer(%+v): %v", c, err)
	}
}

func domains(l []s2s.PeerConfig) []string {
	out := make([]string, 0, len(l))
	for _, c := range l {
		out = append(out, c.Domain)
	}
	return out
}

func testEmpty(t *testing.T, s Store) {
	ctx := t.Context()
	if _, err := s.Peer(ctx, "other.example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Peer of an unknown domain: err = %v, want fs.ErrNotExist", err)
	}
	l, err := s.ListPeers(ctx)
	if err != nil || l == nil || len(l) != 0 {
		t.Errorf("ListPeers = %#v, %v; want an empty, non-nil list", l, err)
	}
	if err := s.DeletePeer(ctx, "other.example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DeletePeer of an unknown domain: err = %v, want fs.ErrNotExist", err)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	tests := []struct {
		name string
		c    s2s.PeerConfig
	}{
		{"DomainOnly", s2s.PeerConfig{Domain: "dns.example"}},
		{"Everything", s2s.PeerConfig{Domain: "pinned.example", Addr: "10.0.0.2:5269", CAPEM: caPEM, Policy: s2s.DialbackOK}},
		{"IPv6Addr", s2s.PeerConfig{Domain: "v6.example", Addr: "[fd00::2]:5269", Policy: s2s.RequireValidCert}},
		{"IDNDomain", s2s.PeerConfig{Domain: "bücher.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPut(t, s, tt.c)
			got, err := s.Peer(t.Context(), tt.c.Domain)
			if err != nil || got != tt.c {
				t.Errorf("Peer(%q) = %+v, %v; want %+v", tt.c.Domain, got, err, tt.c)
			}
		})
	}
}

func testReplace(t *testing.T, s Store) {
	ctx := t.Context()
	mustPut(t, s, s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.2:5269", CAPEM: caPEM, Policy: s2s.DialbackOK})
	// The new entry replaces the old one whole: fields it leaves empty are empty after.
	want := s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.3:5269"}
	mustPut(t, s, want)
	if got, err := s.Peer(ctx, "other.example"); err != nil || got != want {
		t.Errorf("Peer after replacing = %+v, %v; want %+v", got, err, want)
	}
	if l, err := s.ListPeers(ctx); err != nil || len(l) != 1 || l[0] != want {
		t.Errorf("ListPeers after replacing = %+v, %v; want only %+v", l, err, want)
	}
}

func testInvalid(t *testing.T, s Store) {
	if err := s.PutPeer(t.Context(), s2s.PeerConfig{Addr: "10.0.0.2:5269"}); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("PutPeer without a domain: err = %v, want fs.ErrInvalid", err)
	}
	if l, err := s.ListPeers(t.Context()); err != nil || len(l) != 0 {
		t.Errorf("ListPeers after a refused PutPeer = %+v, %v; want none", l, err)
	}
}

func testDelete(t *testing.T, s Store) {
	ctx := t.Context()
	mustPut(t, s, s2s.PeerConfig{Domain: "a.example"})
	mustPut(t, s, s2s.PeerConfig{Domain: "b.example"})
	if err := s.DeletePeer(ctx, "a.example"); err != nil {
		t.Fatalf("DeletePeer: %v", err)
	}
	if _, err := s.Peer(ctx, "a.example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Peer after DeletePeer: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeletePeer(ctx, "a.example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second DeletePeer: err = %v, want fs.ErrNotExist", err)
	}
	if l, err := s.ListPeers(ctx); err != nil || !slices.Equal(domains(l), []string{"b.example"}) {
		t.Errorf("ListPeers after DeletePeer = %v, %v; want [b.example]", domains(l), err)
	}
}

func testListOrder(t *testing.T, s Store) {
	for _, d := range []string{"m.example", "a.example", "z.example", "a.example.net"} {
		mustPut(t, s, s2s.PeerConfig{Domain: d})
	}
	want := []string{"a.example", "a.example.net", "m.example", "z.example"}
	if l, err := s.ListPeers(t.Context()); err != nil || !slices.Equal(domains(l), want) {
		t.Errorf("ListPeers = %v, %v; want %v", domains(l), err, want)
	}
}

// testDomainsIsolated: one domain being a prefix or suffix of another does not mix them up.
func testDomainsIsolated(t *testing.T, s Store) {
	ctx := t.Context()
	mustPut(t, s, s2s.PeerConfig{Domain: "example.org", Addr: "10.0.0.1:5269"})
	mustPut(t, s, s2s.PeerConfig{Domain: "example.org.evil", Addr: "10.6.6.6:5269"})
	if err := s.DeletePeer(ctx, "example.org.evil"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Peer(ctx, "example.org"); err != nil || got.Addr != "10.0.0.1:5269" {
		t.Errorf("Peer(example.org) = %+v, %v; want the one at 10.0.0.1", got, err)
	}
	if _, err := s.Peer(ctx, "example"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Peer of a prefix: err = %v, want fs.ErrNotExist", err)
	}
}
