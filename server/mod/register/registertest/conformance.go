package registertest

import (
	"errors"
	"io/fs"
	"sync"
	"testing"
	"time"

	"xmppbox/server/mod/register"
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
		{"CreateRefusesDuplicate", testDuplicate},
		{"CreateRefusesInvalid", testInvalid},
		{"SingleUse", testSingleUse},
		{"MultiUse", testMultiUse},
		{"ConsumeIgnoresExpiry", testConsumeIgnoresExpiry},
		{"Delete", testDelete},
		{"ListOldestFirst", testListOrder},
		{"TokensIsolated", testTokensIsolated},
		{"ConcurrentConsumeUsesEachOnce", testConcurrentConsume},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// base is a time with a location and a monotonic reading, which a store need not keep:
// invites are compared with time.Equal.
var base = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

func invite(token string, uses int) register.Invite {
	return register.Invite{Token: token, Created: base, Uses: uses}
}

func mustCreate(t *testing.T, s Store, inv register.Invite) {
	t.Helper()
	if err := s.CreateInvite(t.Context(), inv); err != nil {
		t.Fatalf("CreateInvite(%+v): %v", inv, err)
	}
}

func sameInvite(a, b register.Invite) bool {
	return a.Token == b.Token && a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) &&
		a.CreatedBy == b.CreatedBy && a.Username == b.Username && a.Uses == b.Uses
}

func testEmpty(t *testing.T, s Store) {
	ctx := t.Context()
	if _, err := s.Invite(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Invite of unknown token: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.ConsumeInvite(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ConsumeInvite of unknown token: err = %v, want fs.ErrNotExist", err)
	}
	if err := s.DeleteInvite(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DeleteInvite of unknown token: err = %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"", "a\x00b"} {
		if _, err := s.Invite(ctx, bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Invite(%q): err = %v, want fs.ErrNotExist (no such invite can exist)", bad, err)
		}
	}
	if l, err := s.ListInvites(ctx); err != nil || l == nil || len(l) != 0 {
		t.Errorf("ListInvites = %v (nil %v), %v; want an empty non-nil list", l, l == nil, err)
	}
}

func testRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	full := register.Invite{
		Token:     "Tok3n",
		Created:   base,
		Expires:   base.Add(7 * 24 * time.Hour).In(time.FixedZone("CET", 3600)),
		CreatedBy: "admin@example.org",
		Username:  "juliet",
		Uses:      2,
	}
	bare := invite("plain", 1) // no expiry, no inviter, no preset name
	mustCreate(t, s, full)
	mustCreate(t, s, bare)
	for _, want := range []register.Invite{full, bare} {
		got, err := s.Invite(ctx, want.Token)
		if err != nil || !sameInvite(got, want) {
			t.Errorf("Invite(%q) = %+v, %v; want %+v", want.Token, got, err, want)
		}
		if want.Expires.IsZero() && !got.Expires.IsZero() {
			t.Errorf("Invite(%q).Expires = %v, want the zero time (never)", want.Token, got.Expires)
		}
	}
}

func testDuplicate(t *testing.T, s Store) {
	ctx := t.Context()
	first := invite("same", 1)
	first.Username = "first"
	mustCreate(t, s, first)
	second := invite("same", 5)
	if err := s.CreateInvite(ctx, second); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateInvite of a token in use: err = %v, want fs.ErrExist", err)
	}
	if got, err := s.Invite(ctx, "same"); err != nil || !sameInvite(got, first) {
		t.Errorf("after the refused duplicate, Invite = %+v, %v; want the first %+v", got, err, first)
	}
}

func testInvalid(t *testing.T, s Store) {
	for _, inv := range []register.Invite{invite("", 1), invite("a\x00b", 1), invite("nouses", 0), invite("negative", -1)} {
		if err := s.CreateInvite(t.Context(), inv); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CreateInvite(%q, uses %d): err = %v, want fs.ErrInvalid", inv.Token, inv.Uses, err)
		}
	}
	if l, _ := s.ListInvites(t.Context()); len(l) != 0 {
		t.Errorf("refused invites were stored: %+v", l)
	}
}

func testSingleUse(t *testing.T, s Store) {
	ctx := t.Context()
	want := invite("once", 1)
	mustCreate(t, s, want)
	got, err := s.ConsumeInvite(ctx, "once")
	if err != nil || !sameInvite(got, want) {
		t.Fatalf("ConsumeInvite = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.Invite(ctx, "once"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Invite after its only use: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.ConsumeInvite(ctx, "once"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second ConsumeInvite: err = %v, want fs.ErrNotExist", err)
	}
	if l, _ := s.ListInvites(ctx); len(l) != 0 {
		t.Errorf("a used-up invite is still listed: %+v", l)
	}
}

func testMultiUse(t *testing.T, s Store) {
	ctx := t.Context()
	mustCreate(t, s, invite("thrice", 3))
	for _, uses := range []int{3, 2, 1} {
		got, err := s.ConsumeInvite(ctx, "thrice")
		if err != nil || got.Uses != uses {
			t.Fatalf("ConsumeInvite = %+v, %v; want it as it was, with %d uses", got, err, uses)
		}
		if uses > 1 {
			if left, err := s.Invite(ctx, "thrice"); err != nil || left.Uses != uses-1 {
				t.Errorf("Invite after a use = %+v, %v; want %d uses left", left, err, uses-1)
			}
		}
	}
	if _, err := s.ConsumeInvite(ctx, "thrice"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fourth ConsumeInvite: err = %v, want fs.ErrNotExist", err)
	}
}

func testConsumeIgnoresExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	old := invite("old", 1)
	old.Expires = time.Now().Add(-time.Hour)
	mustCreate(t, s, old)
	if got, err := s.Invite(ctx, "old"); err != nil || !sameInvite(got, old) || !got.Expired(time.Now()) {
		t.Errorf("Invite of an expired invite = %+v, %v; want it, expired (the caller checks)", got, err)
	}
	if _, err := s.ConsumeInvite(ctx, "old"); err != nil {
		t.Errorf("ConsumeInvite of an expired invite: %v; want success (XEP-0445 checks expiry earlier)", err)
	}
}

func testDelete(t *testing.T, s Store) {
	ctx := t.Context()
	mustCreate(t, s, invite("revoked", 5))
	mustCreate(t, s, invite("kept", 1))
	if err := s.DeleteInvite(ctx, "revoked"); err != nil {
		t.Fatalf("DeleteInvite: %v", err)
	}
	if _, err := s.Invite(ctx, "revoked"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Invite after DeleteInvite: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.ConsumeInvite(ctx, "revoked"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ConsumeInvite after DeleteInvite: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.Invite(ctx, "kept"); err != nil {
		t.Errorf("DeleteInvite removed another invite: %v", err)
	}
}

func testListOrder(t *testing.T, s Store) {
	ctx := t.Context()
	c := invite("c", 1)
	c.Created = base.Add(-time.Hour)
	a, b := invite("a", 1), invite("b", 2)
	d := invite("d", 1)
	d.Created = base.Add(time.Hour)
	for _, inv := range []register.Invite{d, b, c, a} {
		mustCreate(t, s, inv)
	}
	l, err := s.ListInvites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []register.Invite{c, a, b, d}
	if len(l) != len(want) {
		t.Fatalf("ListInvites = %+v, want %+v", l, want)
	}
	for i := range want {
		if !sameInvite(l[i], want[i]) {
			t.Errorf("ListInvites[%d] = %+v, want %+v", i, l[i], want[i])
		}
	}
}

// testTokensIsolated catches a backend that finds or deletes keys by prefix.
func testTokensIsolated(t *testing.T, s Store) {
	ctx := t.Context()
	mustCreate(t, s, invite("abc", 1))
	mustCreate(t, s, invite("abcd", 1))
	if _, err := s.Invite(ctx, "ab"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Invite(\"ab\") found something: %v", err)
	}
	if _, err := s.ConsumeInvite(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invite(ctx, "abcd"); err != nil {
		t.Errorf("using up \"abc\" took \"abcd\" too: %v", err)
	}
}

func testConcurrentConsume(t *testing.T, s Store) {
	ctx := t.Context()
	const workers = 16
	for _, uses := range []int{1, 5} {
		token := "race" + string(rune('0'+uses))
		mustCreate(t, s, invite(token, uses))
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ok       int
			seenUses = map[int]bool{}
		)
		for range workers {
			wg.Go(func() {
				got, err := s.ConsumeInvite(ctx, token)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("ConsumeInvite: %v", err)
					return
				}
				if err == nil {
					mu.Lock()
					ok++
					seenUses[got.Uses] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != uses || len(seenUses) != uses {
			t.Errorf("%d concurrent ConsumeInvite of an invite with %d uses: %d succeeded, seeing %d distinct counts; want %d",
				workers, uses, ok, len(seenUses), uses)
		}
	}
}
