package blockingtest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"xmppbox/server/mod/blocking"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two lists up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
	carol     = "carol@example.net"
)

// Run tests the blocking.Store contract. open is called once per subtest and must
// return an empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) blocking.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s blocking.Store)
	}{
		{"Empty", testEmpty},
		{"BlockThenList", testBlockThenList},
		{"EntryShapesRoundTrip", testShapes},
		{"BlockTwiceKeepsOne", testBlockTwice},
		{"UnblockSome", testUnblockSome},
		{"UnblockAllNilVersusEmpty", testUnblockAll},
		{"OwnersIsolated", testOwnersIsolated},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentBlocks", testConcurrentBlocks},
		{"LargeList", testLargeList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func blocked(t *testing.T, s blocking.Store, owner string) []string {
	t.Helper()
	got, err := s.Blocked(t.Context(), owner)
	if err != nil {
		t.Fatalf("Blocked(%s): %v", owner, err)
	}
	return got
}

func mustBlock(t *testing.T, s blocking.Store, owner string, jids ...string) {
	t.Helper()
	if err := s.Block(t.Context(), owner, jids); err != nil {
		t.Fatalf("Block(%s, %q): %v", owner, jids, err)
	}
}

func mustUnblock(t *testing.T, s blocking.Store, owner string, jids []string) {
	t.Helper()
	if err := s.Unblock(t.Context(), owner, jids); err != nil {
		t.Fatalf("Unblock(%s, %q): %v", owner, jids, err)
	}
}

func testEmpty(t *testing.T, s blocking.Store) {
	if got := blocked(t, s, alice); len(got) != 0 {
		t.Errorf("Blocked = %q, want none", got)
	}
	mustUnblock(t, s, alice, []string{bob})
	mustUnblock(t, s, alice, nil)
	if got := blocked(t, s, alice); len(got) != 0 {
		t.Errorf("Blocked after unblocking nothing = %q, want none", got)
	}
}

func testBlockThenList(t *testing.T, s blocking.Store) {
	mustBlock(t, s, alice, carol, bob, "example.com")
	mustBlock(t, s, alice, "Zed@example.org")
	want := []string{"Zed@example.org", bob, carol, "example.com"}
	if got := blocked(t, s, alice); !slices.Equal(got, want) {
		t.Errorf("Blocked = %q, want %q (byte order)", got, want)
	}
}

func testShapes(t *testing.T, s blocking.Store) {
	shapes := []struct{ name, jid string }{
		{"FullJID", "bob@example.org/phone"},
		{"BareJID", bob},
		{"DomainResource", "example.com/bot"},
		{"Domain", "spam.example"},
		{"ResourceWithSlashAndAt", "bob@example.org/a/b@c"},
		{"Unicode", "ñandú@例え.jp/Ñ 🐦"},
	}
	for _, tt := range shapes {
		t.Run(tt.name, func(t *testing.T) {
			mustBlock(t, s, alice, tt.jid)
			if got := blocked(t, s, alice); !slices.Contains(got, tt.jid) {
				t.Errorf("Blocked = %q, want it to contain %q", got, tt.jid)
			}
			mustUnblock(t, s, alice, []string{tt.jid})
			if got := blocked(t, s, alice); slices.Contains(got, tt.jid) {
				t.Errorf("Blocked after Unblock = %q, still contains %q", got, tt.jid)
			}
		})
	}
}

func testBlockTwice(t *testing.T, s blocking.Store) {
	mustBlock(t, s, alice, bob, bob)
	mustBlock(t, s, alice, bob)
	if got := blocked(t, s, alice); !slices.Equal(got, []string{bob}) {
		t.Errorf("Blocked = %q, want [%s] once", got, bob)
	}
}

func testUnblockSome(t *testing.T, s blocking.Store) {
	mustBlock(t, s, alice, bob, carol, "example.com")
	mustUnblock(t, s, alice, []string{bob, "nobody@example.org"})
	if got := blocked(t, s, alice); !slices.Equal(got, []string{carol, "example.com"}) {
		t.Errorf("Blocked = %q, want [%s example.com]", got, carol)
	}
}

func testUnblockAll(t *testing.T, s blocking.Store) {
	mustBlock(t, s, alice, bob, carol)
	mustUnblock(t, s, alice, []string{})
	if got := blocked(t, s, alice); len(got) != 2 {
		t.Errorf("Blocked after Unblock(empty) = %q, want both entries kept", got)
	}
	mustUnblock(t, s, alice, nil)
	if got := blocked(t, s, alice); len(got) != 0 {
		t.Errorf("Blocked after Unblock(nil) = %q, want none", got)
	}
	mustBlock(t, s, alice, bob)
	if got := blocked(t, s, alice); !slices.Equal(got, []string{bob}) {
		t.Errorf("Blocked after blocking again = %q, want [%s]", got, bob)
	}
}

func testOwnersIsolated(t *testing.T, s blocking.Store) {
	mustBlock(t, s, alice, bob)
	mustBlock(t, s, aliceEvil, carol)
	mustUnblock(t, s, aliceEvil, nil)
	if got := blocked(t, s, alice); !slices.Equal(got, []string{bob}) {
		t.Errorf("alice's list = %q after clearing %s's, want [%s]", got, aliceEvil, bob)
	}
	if got := blocked(t, s, bob); len(got) != 0 {
		t.Errorf("bob's list = %q, want none", got)
	}
}

func testNoSharedMemory(t *testing.T, s blocking.Store) {
	in := []string{bob, carol}
	mustBlock(t, s, alice, in...)
	in[0] = "changed@example.org"
	got := blocked(t, s, alice)
	got[0] = "changed-too@example.org"
	if again := blocked(t, s, alice); !slices.Equal(again, []string{bob, carol}) {
		t.Errorf("Blocked = %q, want [%s %s]: the store shares memory with its caller", again, bob, carol)
	}
}

func testConcurrentBlocks(t *testing.T, s blocking.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Block(t.Context(), alice, []string{fmt.Sprintf("u%02d@example.org", i)})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Block: %v", err)
		}
	}
	if got := blocked(t, s, alice); len(got) != n {
		t.Errorf("Blocked has %d entries, want %d", len(got), n)
	}
}

// testLargeList blocks more entries, and longer ones, than one small transaction holds.
func testLargeList(t *testing.T, s blocking.Store) {
	const n = 3000
	pad := strings.Repeat("x", 500)
	jids := make([]string, n)
	for i := range jids {
		jids[i] = fmt.Sprintf("u%04d@example.org/%s", i, pad)
	}
	mustBlock(t, s, alice, jids...)
	got := blocked(t, s, alice)
	if !slices.Equal(got, jids) {
		t.Fatalf("Blocked has %d entries, want %d in order", len(got), n)
	}
	mustUnblock(t, s, alice, jids[:n/2])
	if got := blocked(t, s, alice); !slices.Equal(got, jids[n/2:]) {
		t.Fatalf("after unblocking half: %d entries, want %d", len(got), n-n/2)
	}
	mustUnblock(t, s, alice, nil)
	if got := blocked(t, s, alice); len(got) != 0 {
		t.Errorf("after unblocking all: %d entries, want none", len(got))
	}
}
