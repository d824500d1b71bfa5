package privatetest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"xmppbox/server/mod/private"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two storages up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"

	nsBookmarks = "storage:bookmarks"
	nsNotes     = "storage:rosternotes"
)

// Run tests the private.Store contract. open is called once per subtest and must return an
// empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) private.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s private.Store)
	}{
		{"Empty", testEmpty},
		{"PutThenGet", testPutThenGet},
		{"PutReplaces", testPutReplaces},
		{"KeyedByNamespaceAndName", testKeys},
		{"Remove", testRemove},
		{"OwnersIsolated", testOwnersIsolated},
		{"FullAtMax", testFullAtMax},
		{"FullWritesNothing", testFullWritesNothing},
		{"MaxLoweredBelowCount", testMaxLowered},
		{"SameKeyTwiceInOnePut", testSameKeyTwice},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentPutsRespectMax", testConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func entry(space, local, xml string) private.Entry {
	return private.Entry{Space: space, Local: local, XML: []byte(xml)}
}

func removal(space, local string) private.Entry {
	return private.Entry{Space: space, Local: local}
}

func testEmpty(t *testing.T, s private.Store) {
	ctx := t.Context()
	if raw, err := s.Get(ctx, alice, nsBookmarks, "storage"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of missing entry = %q, %v; want fs.ErrNotExist", raw, err)
	}
	if err := s.Put(ctx, alice, []private.Entry{removal(nsBookmarks, "storage")}, 10); err != nil {
		t.Errorf("removing a missing entry: %v, want nil", err)
	}
	if err := s.Put(ctx, alice, nil, 10); err != nil {
		t.Errorf("Put of nothing: %v, want nil", err)
	}
}

func testPutThenGet(t *testing.T, s private.Store) {
	want := "<storage xmlns='storage:bookmarks'><conference jid='room@muc.example.org' name='Ñandú &lt;&amp;&gt;'/></storage>"
	mustPut(t, s, alice, 10, entry(nsBookmarks, "storage", want))
	wantGet(t, s, alice, nsBookmarks, "storage", want)
}

func testPutReplaces(t *testing.T, s private.Store) {
	mustPut(t, s, alice, 10, entry(nsBookmarks, "storage", "<storage xmlns='storage:bookmarks'><old/></storage>"))
	want := "<storage xmlns='storage:bookmarks'><new/></storage>"
	mustPut(t, s, alice, 1, entry(nsBookmarks, "storage", want)) // a replacement needs no room
	wantGet(t, s, alice, nsBookmarks, "storage", want)
}

// testKeys: the same local name in two namespaces, two names in one namespace, and
// namespaces that are prefixes of each other are all distinct entries.
func testKeys(t *testing.T, s private.Store) {
	entries := []private.Entry{
		entry(nsBookmarks, "storage", "<storage xmlns='storage:bookmarks'/>"),
		entry(nsNotes, "storage", "<storage xmlns='storage:rosternotes'/>"),
		entry(nsBookmarks, "other", "<other xmlns='storage:bookmarks'/>"),
		entry("storage", "bookmarks:storage", "<weird/>"),
		entry("urn:x:a", "b", "<b xmlns='urn:x:a'/>"),
		entry("urn:x:ab", "c", "<c xmlns='urn:x:ab'/>"),
		entry("http://example.org/ns/pref?x=1#y", "pref", "<pref xmlns='http://example.org/ns/pref?x=1#y'/>"),
	}
	mustPut(t, s, alice, 10, entries...)
	for _, e := range entries {
		wantGet(t, s, alice, e.Space, e.Local, string(e.XML))
	}
	// Joined without a separator, {urn:x:}ab and {urn:x:a}b would be one key.
	if _, err := s.Get(t.Context(), alice, "urn:x:", "ab"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get({urn:x:}ab) = %v, want fs.ErrNotExist (only {urn:x:a}b is stored)", err)
	}
}

func testRemove(t *testing.T, s private.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, 2,
		entry(nsBookmarks, "storage", "<storage xmlns='storage:bookmarks'/>"),
		entry(nsNotes, "storage", "<storage xmlns='storage:rosternotes'/>"))
	mustPut(t, s, alice, 2, removal(nsBookmarks, "storage"))
	if _, err := s.Get(ctx, alice, nsBookmarks, "storage"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get after removal: err = %v, want fs.ErrNotExist", err)
	}
	wantGet(t, s, alice, nsNotes, "storage", "<storage xmlns='storage:rosternotes'/>")
	// The removal made room for a new entry at max 2.
	mustPut(t, s, alice, 2, entry("urn:x", "new", "<new xmlns='urn:x'/>"))
}

func testOwnersIsolated(t *testing.T, s private.Store) {
	ctx := t.Context()
	owners := []struct{ owner, xml string }{
		{alice, "<storage xmlns='storage:bookmarks'><a/></storage>"},
		{aliceEvil, "<storage xmlns='storage:bookmarks'><evil/></storage>"},
		{bob, "<storage xmlns='storage:bookmarks'><b/></storage>"},
	}
	for _, o := range owners {
		mustPut(t, s, o.owner, 1, entry(nsBookmarks, "storage", o.xml))
	}
	for _, o := range owners {
		t.Run(o.owner, func(t *testing.T) { wantGet(t, s, o.owner, nsBookmarks, "storage", o.xml) })
	}
	// Each owner counts against its own max: alice at 1 of max 1 is full, bob too.
	if err := s.Put(ctx, alice, []private.Entry{entry(nsNotes, "storage", "<x/>")}, 1); !errors.Is(err, private.ErrFull) {
		t.Errorf("alice's second entry at max 1: %v, want ErrFull", err)
	}
	mustPut(t, s, alice, 1, removal(nsBookmarks, "storage"))
	wantGet(t, s, aliceEvil, nsBookmarks, "storage", owners[1].xml)
}

func testFullAtMax(t *testing.T, s private.Store) {
	ctx := t.Context()
	for i := range 3 {
		mustPut(t, s, alice, 3, entry(fmt.Sprintf("urn:x:%d", i), "x", "<x/>"))
	}
	err := s.Put(ctx, alice, []private.Entry{entry("urn:x:3", "x", "<x/>")}, 3)
	if !errors.Is(err, private.ErrFull) {
		t.Fatalf("fourth entry at max 3: %v, want ErrFull", err)
	}
	if _, err := s.Get(ctx, alice, "urn:x:3", "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused entry was stored: err = %v", err)
	}
	// Replacing one and removing one while adding one is within max.
	mustPut(t, s, alice, 3, entry("urn:x:0", "x", "<x>new</x>"), removal("urn:x:1", "x"), entry("urn:x:3", "x", "<x/>"))
	wantGet(t, s, alice, "urn:x:0", "x", "<x>new</x>")
	wantGet(t, s, alice, "urn:x:3", "x", "<x/>")
	if err := s.Put(ctx, alice, []private.Entry{entry("urn:x:9", "x", "<x/>")}, 0); !errors.Is(err, private.ErrFull) {
		t.Errorf("new entry at max 0: %v, want ErrFull", err)
	}
}

// testFullWritesNothing: a Put refused for ErrFull leaves every entry as it was, including
// the replacements and removals it carried.
func testFullWritesNothing(t *testing.T, s private.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, 2, entry("urn:x:a", "x", "<x>a</x>"), entry("urn:x:b", "x", "<x>b</x>"))
	err := s.Put(ctx, alice, []private.Entry{
		entry("urn:x:a", "x", "<x>changed</x>"),
		removal("urn:x:b", "x"),
		entry("urn:x:c", "x", "<x>c</x>"),
		entry("urn:x:d", "x", "<x>d</x>"),
	}, 2)
	if !errors.Is(err, private.ErrFull) {
		t.Fatalf("Put leaving 3 entries at max 2: %v, want ErrFull", err)
	}
	wantGet(t, s, alice, "urn:x:a", "x", "<x>a</x>")
	wantGet(t, s, alice, "urn:x:b", "x", "<x>b</x>")
	if _, err := s.Get(ctx, alice, "urn:x:c", "x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("entry of a refused Put was stored: err = %v", err)
	}
}

// testMaxLowered: an owner with more entries than a lowered max may still replace and
// remove them, but not add one.
func testMaxLowered(t *testing.T, s private.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, 3, entry("urn:x:a", "x", "<a/>"), entry("urn:x:b", "x", "<b/>"), entry("urn:x:c", "x", "<c/>"))
	mustPut(t, s, alice, 1, entry("urn:x:a", "x", "<a2/>"))
	wantGet(t, s, alice, "urn:x:a", "x", "<a2/>")
	mustPut(t, s, alice, 1, removal("urn:x:b", "x"))
	if err := s.Put(ctx, alice, []private.Entry{entry("urn:x:d", "x", "<d/>")}, 1); !errors.Is(err, private.ErrFull) {
		t.Errorf("adding an entry with 2 stored at max 1: %v, want ErrFull", err)
	}
	// Swapping one entry for another keeps the count.
	mustPut(t, s, alice, 1, removal("urn:x:c", "x"), entry("urn:x:d", "x", "<d/>"))
	wantGet(t, s, alice, "urn:x:d", "x", "<d/>")
}

func testSameKeyTwice(t *testing.T, s private.Store) {
	mustPut(t, s, alice, 1, entry(nsBookmarks, "storage", "<first/>"), entry(nsBookmarks, "storage", "<second/>"))
	wantGet(t, s, alice, nsBookmarks, "storage", "<second/>")
	mustPut(t, s, alice, 1, entry(nsNotes, "storage", "<n/>"), removal(nsNotes, "storage"))
	if _, err := s.Get(t.Context(), alice, nsNotes, "storage"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("entry stored then removed in one Put: err = %v, want fs.ErrNotExist", err)
	}
}

func testNoSharedMemory(t *testing.T, s private.Store) {
	ctx := t.Context()
	in := entry(nsBookmarks, "storage", "<storage xmlns='storage:bookmarks'/>")
	want := bytes.Clone(in.XML)
	mustPut(t, s, alice, 1, in)
	for i := range in.XML {
		in.XML[i] = 'x'
	}
	got, err := s.Get(ctx, alice, nsBookmarks, "storage")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get after the caller changed its buffer = %q, %v; want %q", got, err, want)
	}
	for i := range got {
		got[i] = 'y'
	}
	wantGet(t, s, alice, nsBookmarks, "storage", string(want))
}

// testConcurrentPuts: Puts racing for the last free places never leave more than max.
func testConcurrentPuts(t *testing.T, s private.Store) {
	ctx := t.Context()
	const n, max = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Put(ctx, alice, []private.Entry{entry(fmt.Sprintf("urn:x:%d", i), "x", "<x/>")}, max)
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, private.ErrFull):
			t.Errorf("Put: %v", err)
		}
	}
	stored := 0
	for i := range n {
		if _, err := s.Get(ctx, alice, fmt.Sprintf("urn:x:%d", i), "x"); err == nil {
			stored++
		}
	}
	if ok != max || stored != max {
		t.Errorf("%d Puts succeeded and %d entries are stored, want %d of each", ok, stored, max)
	}
}

func mustPut(t *testing.T, s private.Store, owner string, max int, entries ...private.Entry) {
	t.Helper()
	if err := s.Put(t.Context(), owner, entries, max); err != nil {
		t.Fatalf("Put(%s): %v", owner, err)
	}
}

func wantGet(t *testing.T, s private.Store, owner, space, local, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), owner, space, local)
	if err != nil || string(got) != want {
		t.Errorf("Get(%s, {%s}%s) = %q, %v; want %q", owner, space, local, got, err, want)
	}
}
