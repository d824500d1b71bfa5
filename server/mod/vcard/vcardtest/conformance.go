package vcardtest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"xmppbox/server/mod/vcard"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two vCards up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
)

// Run tests the vcard.Store contract. open is called once per subtest and must return an
// empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) vcard.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s vcard.Store)
	}{
		{"Empty", testEmpty},
		{"PutThenGet", testPutThenGet},
		{"PutReplaces", testPutReplaces},
		{"NoPhoto", testNoPhoto},
		{"OwnersIsolated", testOwnersIsolated},
		{"NoSharedMemory", testNoSharedMemory},
		{"Large", testLarge},
		{"ConcurrentPutsKeepOneCard", testConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func card(fn, hash string) vcard.Card {
	return vcard.Card{XML: []byte("<vCard xmlns='vcard-temp'><FN>" + fn + "</FN></vCard>"), PhotoHash: hash}
}

func testEmpty(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	if c, err := s.Get(ctx, alice); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of missing vCard = %q, %v; want fs.ErrNotExist", c.XML, err)
	}
	if h, err := s.PhotoHash(ctx, alice); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PhotoHash of missing vCard = %q, %v; want fs.ErrNotExist", h, err)
	}
}

func testPutThenGet(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	want := card("Alice Ñandú <&>", "0123456789abcdef0123456789abcdef01234567")
	mustPut(t, s, alice, want)
	got, err := s.Get(ctx, alice)
	if err != nil || !equal(got, want) {
		t.Errorf("Get = %q %q, %v; want %q %q", got.XML, got.PhotoHash, err, want.XML, want.PhotoHash)
	}
	if h, err := s.PhotoHash(ctx, alice); err != nil || h != want.PhotoHash {
		t.Errorf("PhotoHash = %q, %v; want %q", h, err, want.PhotoHash)
	}
}

func testPutReplaces(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, card("Old", "1111111111111111111111111111111111111111"))
	want := card("New", "2222222222222222222222222222222222222222")
	mustPut(t, s, alice, want)
	if got, err := s.Get(ctx, alice); err != nil || !equal(got, want) {
		t.Errorf("Get = %q %q, %v; want %q %q", got.XML, got.PhotoHash, err, want.XML, want.PhotoHash)
	}
	if h, err := s.PhotoHash(ctx, alice); err != nil || h != want.PhotoHash {
		t.Errorf("PhotoHash = %q, %v; want %q", h, err, want.PhotoHash)
	}
}

// testNoPhoto: a vCard without a photo is stored (PhotoHash "", no error), and replacing
// a vCard with a photo by one without clears the hash.
func testNoPhoto(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, card("With", "3333333333333333333333333333333333333333"))
	mustPut(t, s, alice, card("Without", ""))
	if h, err := s.PhotoHash(ctx, alice); err != nil || h != "" {
		t.Errorf("PhotoHash = %q, %v; want \"\", nil", h, err)
	}
	if got, err := s.Get(ctx, alice); err != nil || !bytes.Contains(got.XML, []byte("Without")) {
		t.Errorf("Get = %q, %v; want the vCard without photo", got.XML, err)
	}
}

func testOwnersIsolated(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	owners := []struct {
		owner string
		card  vcard.Card
	}{
		{alice, card("Alice", "4444444444444444444444444444444444444444")},
		{aliceEvil, card("Evil", "5555555555555555555555555555555555555555")},
		{bob, card("Bob", "")},
	}
	for _, o := range owners {
		mustPut(t, s, o.owner, o.card)
	}
	for _, o := range owners {
		t.Run(o.owner, func(t *testing.T) {
			if got, err := s.Get(ctx, o.owner); err != nil || !equal(got, o.card) {
				t.Errorf("Get = %q %q, %v; want %q %q", got.XML, got.PhotoHash, err, o.card.XML, o.card.PhotoHash)
			}
		})
	}
	if _, err := s.Get(ctx, "carol@example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of an owner who never stored one: err = %v, want fs.ErrNotExist", err)
	}
}

func testNoSharedMemory(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	in := card("Alice", "6666666666666666666666666666666666666666")
	want := bytes.Clone(in.XML)
	mustPut(t, s, alice, in)
	for i := range in.XML {
		in.XML[i] = 'x' // the caller reuses its buffer
	}
	got, err := s.Get(ctx, alice)
	if err != nil || !bytes.Equal(got.XML, want) {
		t.Fatalf("Get after the caller changed its buffer = %q, %v; want %q", got.XML, err, want)
	}
	for i := range got.XML {
		got.XML[i] = 'y' // the caller changes what it got
	}
	if again, err := s.Get(ctx, alice); err != nil || !bytes.Equal(again.XML, want) {
		t.Errorf("Get after the caller changed a result = %q, %v; want %q", again.XML, err, want)
	}
}

// testLarge stores a vCard of the size the module allows by default (256 KiB).
func testLarge(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	xml := "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>" + strings.Repeat("QUFB", (256<<10)/4-20) + "</BINVAL></PHOTO></vCard>"
	want := vcard.Card{XML: []byte(xml), PhotoHash: "7777777777777777777777777777777777777777"}
	mustPut(t, s, alice, want)
	if got, err := s.Get(ctx, alice); err != nil || !equal(got, want) {
		t.Errorf("Get of a %d-byte vCard: %d bytes, %v", len(want.XML), len(got.XML), err)
	}
}

// testConcurrentPuts: after racing Puts, the vCard and its hash come from the same Put.
func testConcurrentPuts(t *testing.T, s vcard.Store) {
	ctx := t.Context()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Put(ctx, alice, card(fmt.Sprint(i), strings.Repeat(fmt.Sprint(i), 40)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	got, err := s.Get(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	var winner int
	if _, err := fmt.Sscanf(string(got.XML), "<vCard xmlns='vcard-temp'><FN>%d</FN>", &winner); err != nil {
		t.Fatalf("stored vCard %q: %v", got.XML, err)
	}
	if want := strings.Repeat(fmt.Sprint(winner), 40); got.PhotoHash != want {
		t.Errorf("vCard of Put %d stored with hash %q, want %q", winner, got.PhotoHash, want)
	}
	if h, err := s.PhotoHash(ctx, alice); err != nil || h != got.PhotoHash {
		t.Errorf("PhotoHash = %q, %v; want %q, the hash stored with the vCard", h, err, got.PhotoHash)
	}
}

func mustPut(t *testing.T, s vcard.Store, owner string, c vcard.Card) {
	t.Helper()
	if err := s.Put(t.Context(), owner, c); err != nil {
		t.Fatalf("Put(%s): %v", owner, err)
	}
}

func equal(a, b vcard.Card) bool {
	return bytes.Equal(a.XML, b.XML) && a.PhotoHash == b.PhotoHash
}
