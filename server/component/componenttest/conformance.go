package componenttest

import (
	"errors"
	"io/fs"
	"slices"
	"sync"
	"testing"
)

// Run tests the Store contract. open is called once per subtest and must return an empty
// store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		{"Empty", testEmpty},
		{"SecretRoundTrip", testRoundTrip},
		{"AddRefusesDuplicate", testDuplicate},
		{"AddRefusesInvalid", testInvalid},
		{"ListSorted", testListSorted},
		{"Delete", testDelete},
		{"DomainsIsolated", testIsolated},
		{"ConcurrentAddsOneWins", testConcurrentAdd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func mustAdd(t *testing.T, s Store, domain, secret string) {
	t.Helper()
	if err := s.AddComponent(t.Context(), domain, secret); err != nil {
		t.Fatalf("AddComponent(%q): %v", domain, err)
	}
}

func testEmpty(t *testing.T, s Store) {
	ctx := t.Context()
	if _, err := s.ComponentSecret(ctx, "gw.example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ComponentSecret of unknown domain: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeleteComponent(ctx, "gw.example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DeleteComponent of unknown domain: err = %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"", "a\x00b"} {
		if _, err := s.ComponentSecret(ctx, bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ComponentSecret(%q): err = %v, want fs.ErrNotExist (no such component can exist)", bad, err)
		}
	}
	if l, err := s.ListComponents(ctx); err != nil || l == nil || len(l) != 0 {
		t.Errorf("ListComponents = %v (nil %v), %v; want an empty non-nil list", l, l == nil, err)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	// The handshake hashes the secret as stored: every byte must come back.
	secret := " spaces, quotes \"' & <xml> and ünïcödé \t"
	mustAdd(t, s, "irc.example.org", secret)
	got, err := s.ComponentSecret(t.Context(), "irc.example.org")
	if err != nil || got != secret {
		t.Errorf("ComponentSecret = %q, %v; want %q", got, err, secret)
	}
}

func testDuplicate(t *testing.T, s Store) {
	mustAdd(t, s, "gw.example.org", "first-secret-0123456789")
	if err := s.AddComponent(t.Context(), "gw.example.org", "second-secret-0123456789"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second AddComponent: err = %v, want fs.ErrExist", err)
	}
	if got, _ := s.ComponentSecret(t.Context(), "gw.example.org"); got != "first-secret-0123456789" {
		t.Errorf("the duplicate replaced the secret: %q", got)
	}
}

func testInvalid(t *testing.T, s Store) {
	for _, tc := range []struct{ domain, secret string }{
		{"", "secret-0123456789"},
		{"gw.example.org", ""},
		{"gw\x00example.org", "secret-0123456789"},
	} {
		if err := s.AddComponent(t.Context(), tc.domain, tc.secret); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("AddComponent(%q, %q): err = %v, want fs.ErrInvalid", tc.domain, tc.secret, err)
		}
	}
	if l, _ := s.ListComponents(t.Context()); len(l) != 0 {
		t.Errorf("refused components were stored: %v", l)
	}
}

func testListSorted(t *testing.T, s Store) {
	for _, d := range []string{"xmpp.example.org", "gw.example.org", "irc.example.org"} {
		mustAdd(t, s, d, "secret-of-"+d)
	}
	l, err := s.ListComponents(t.Context())
	if want := []string{"gw.example.org", "irc.example.org", "xmpp.example.org"}; err != nil || !slices.Equal(l, want) {
		t.Errorf("ListComponents = %v, %v; want %v", l, err, want)
	}
}

func testDelete(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, "gw.example.org", "secret-0123456789abcdef")
	mustAdd(t, s, "irc.example.org", "secret-fedcba9876543210")
	if err := s.DeleteComponent(ctx, "gw.example.org"); err != nil {
		t.Fatalf("DeleteComponent: %v", err)
	}
	if _, err := s.ComponentSecret(ctx, "gw.example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("secret after delete: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeleteComponent(ctx, "gw.example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second delete: err = %v, want fs.ErrNotExist", err)
	}
	if l, _ := s.ListComponents(ctx); !slices.Equal(l, []string{"irc.example.org"}) {
		t.Errorf("after delete, ListComponents = %v", l)
	}
	// A deleted domain can be added again, with a new secret.
	mustAdd(t, s, "gw.example.org", "new-secret-0123456789")
	if got, _ := s.ComponentSecret(ctx, "gw.example.org"); got != "new-secret-0123456789" {
		t.Errorf("secret after re-adding = %q", got)
	}
}

func testIsolated(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, "gw.example.org", "secret-0123456789abcdef")
	for _, other := range []string{"gw.example", "gw.example.org.evil", "w.example.org", "GW.EXAMPLE.ORG"} {
		if _, err := s.ComponentSecret(ctx, other); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ComponentSecret(%q) with only gw.example.org stored: err = %v, want fs.ErrNotExist", other, err)
		}
	}
}

func testConcurrentAdd(t *testing.T, s Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.AddComponent(t.Context(), "gw.example.org", "secret-number-"+string(rune('a'+i))+"-0123456789")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("concurrent AddComponent: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent adds of one domain succeeded, want 1", ok, n)
	}
}
