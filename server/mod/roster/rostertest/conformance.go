package rostertest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"xmppbox/server/mod/roster"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two rosters up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
	carol     = "carol@example.net"
	dave      = "dave@example.com"
)

// Run tests the roster.Store contract. open is called once per subtest and
// must return an empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) roster.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s roster.Store)
	}{
		{"Empty", testEmpty},
		{"PutThenRead", testPutThenRead},
		{"FieldsRoundTrip", testFieldsRoundTrip},
		{"PutReplaces", testPutReplaces},
		{"RosterSortedByJID", testRosterSorted},
		{"DeleteItem", testDeleteItem},
		{"OwnersIsolated", testOwnersIsolated},
		{"Pending", testPending},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentPutsGetDistinctVersions", testConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func testEmpty(t *testing.T, s roster.Store) {
	ctx := t.Context()
	items, _, err := s.Roster(ctx, alice)
	if err != nil || len(items) != 0 {
		t.Errorf("Roster = %v, %v; want no items, nil", items, err)
	}
	if _, err := s.Item(ctx, alice, bob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Item of missing contact: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.DeleteItem(ctx, alice, bob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DeleteItem of missing contact: err = %v, want fs.ErrNotExist", err)
	}
	if p, err := s.Pending(ctx, alice); err != nil || len(p) != 0 {
		t.Errorf("Pending = %v, %v; want none, nil", p, err)
	}
	if err := s.DeletePending(ctx, alice, bob); err != nil {
		t.Errorf("DeletePending of missing request = %v, want nil", err)
	}
}

func testPutThenRead(t *testing.T, s roster.Store) {
	ctx := t.Context()
	_, v0, err := s.Roster(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := roster.Item{JID: bob, Name: "Bob", Groups: []string{"Friends"}, Subscription: "both"}
	v1, err := s.PutItem(ctx, alice, want)
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	if v1 <= v0 {
		t.Errorf("PutItem version %d, want > %d", v1, v0)
	}
	got, err := s.Item(ctx, alice, bob)
	if err != nil || !equalItem(got, want) {
		t.Errorf("Item = %+v, %v; want %+v", got, err, want)
	}
	items, v, err := s.Roster(ctx, alice)
	if err != nil || v != v1 || len(items) != 1 || !equalItem(items[0], want) {
		t.Errorf("Roster = %+v, %d, %v; want [%+v], %d", items, v, err, want, v1)
	}
}

func testFieldsRoundTrip(t *testing.T, s roster.Store) {
	items := []struct {
		name string
		item roster.Item
	}{
		{"Minimal", roster.Item{JID: bob, Subscription: "none"}},
		{"AskOut", roster.Item{JID: carol, Subscription: "none", Ask: true}},
		{"To", roster.Item{JID: dave, Subscription: "to"}},
		{"FromWithGroups", roster.Item{JID: "eve@example.org", Subscription: "from", Groups: []string{"A", "B", "C"}}},
		{"Unicode", roster.Item{JID: "ñandú@例え.jp", Name: "Ñandú 🐦 <&>\"'", Groups: []string{"Família"}, Subscription: "both"}},
		{"DomainOnly", roster.Item{JID: "conference.example.org", Subscription: "both"}},
	}
	for _, tt := range items {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if _, err := s.PutItem(ctx, alice, tt.item); err != nil {
				t.Fatalf("PutItem: %v", err)
			}
			got, err := s.Item(ctx, alice, tt.item.JID)
			if err != nil || !equalItem(got, tt.item) {
				t.Errorf("Item = %+v, %v; want %+v", got, err, tt.item)
			}
		})
	}
}

func testPutReplaces(t *testing.T, s roster.Store) {
	ctx := t.Context()
	v1 := mustPut(t, s, alice, roster.Item{JID: bob, Name: "Bob", Groups: []string{"A"}, Subscription: "none", Ask: true})
	want := roster.Item{JID: bob, Name: "Robert", Subscription: "to"}
	v2 := mustPut(t, s, alice, want)
	if v2 <= v1 {
		t.Errorf("second PutItem version %d, want > %d", v2, v1)
	}
	items, v, err := s.Roster(ctx, alice)
	if err != nil || v != v2 || len(items) != 1 || !equalItem(items[0], want) {
		t.Errorf("Roster = %+v, %d, %v; want [%+v], %d", items, v, err, want, v2)
	}
}

func testRosterSorted(t *testing.T, s roster.Store) {
	ctx := t.Context()
	for _, jid := range []string{dave, bob, "zed@example.org", carol, "adam@example.org", "Bob@example.org"} {
		mustPut(t, s, alice, roster.Item{JID: jid, Subscription: "none"})
	}
	items, _, err := s.Roster(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.JID)
	}
	want := []string{"Bob@example.org", "adam@example.org", bob, carol, dave, "zed@example.org"}
	if !slices.Equal(got, want) {
		t.Errorf("Roster JIDs = %q, want %q (byte order)", got, want)
	}
}

func testDeleteItem(t *testing.T, s roster.Store) {
	ctx := t.Context()
	mustPut(t, s, alice, roster.Item{JID: bob, Subscription: "both"})
	v1 := mustPut(t, s, alice, roster.Item{JID: carol, Subscription: "to"})
	v2, err := s.DeleteItem(ctx, alice, bob)
	if err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if v2 <= v1 {
		t.Errorf("DeleteItem version %d, want > %d", v2, v1)
	}
	if _, err := s.Item(ctx, alice, bob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Item after delete: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.DeleteItem(ctx, alice, bob); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second DeleteItem: err = %v, want fs.ErrNotExist", err)
	}
	items, v, err := s.Roster(ctx, alice)
	if err != nil || v != v2 || len(items) != 1 || items[0].JID != carol {
		t.Errorf("Roster = %+v, %d, %v; want [%s], %d (a failed delete keeps the version)", items, v, err, carol, v2)
	}
}

func testOwnersIsolated(t *testing.T, s roster.Store) {
	ctx := t.Context()
	vAlice := mustPut(t, s, alice, roster.Item{JID: bob, Subscription: "both"})
	mustPut(t, s, aliceEvil, roster.Item{JID: carol, Subscription: "both"})
	mustPut(t, s, bob, roster.Item{JID: alice, Subscription: "both"})
	mustAddPending(t, s, aliceEvil, dave, []byte("<presence/>"))

	owners := []struct {
		owner   string
		items   []string
		pending int
	}{
		{alice, []string{bob}, 0},
		{aliceEvil, []string{carol}, 1},
		{bob, []string{alice}, 0},
	}
	for _, o := range owners {
		t.Run(o.owner, func(t *testing.T) {
			items, _, err := s.Roster(ctx, o.owner)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.JID)
			}
			if !slices.Equal(got, o.items) {
				t.Errorf("Roster JIDs = %q, want %q", got, o.items)
			}
			p, err := s.Pending(ctx, o.owner)
			if err != nil || len(p) != o.pending {
				t.Errorf("Pending = %d requests, %v; want %d", len(p), err, o.pending)
			}
		})
	}
	if _, v, _ := s.Roster(ctx, alice); v != vAlice {
		t.Errorf("alice's version changed to %d by other owners' writes, want %d", v, vAlice)
	}
	if _, err := s.Item(ctx, alice, carol); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Item(alice, carol): err = %v, want fs.ErrNotExist (carol is in %s's roster)", err, aliceEvil)
	}
}

func testPending(t *testing.T, s roster.Store) {
	ctx := t.Context()
	steps := []struct {
		name string
		do   func() error
		want []roster.Pending
	}{
		{"AddTwo", func() error {
			if err := s.AddPending(ctx, alice, dave, []byte("<presence from='dave' type='subscribe'/>")); err != nil {
				return err
			}
			return s.AddPending(ctx, alice, bob, []byte("<presence from='bob' type='subscribe'/>"))
		}, []roster.Pending{
			pending(bob, "<presence from='bob' type='subscribe'/>"),
			pending(dave, "<presence from='dave' type='subscribe'/>"),
		}},
		{"AddReplaces", func() error {
			return s.AddPending(ctx, alice, bob, []byte("<presence from='bob' type='subscribe'><status>again</status></presence>"))
		}, []roster.Pending{
			pending(bob, "<presence from='bob' type='subscribe'><status>again</status></presence>"),
			pending(dave, "<presence from='dave' type='subscribe'/>"),
		}},
		{"Delete", func() error { return s.DeletePending(ctx, alice, bob) }, []roster.Pending{
			pending(dave, "<presence from='dave' type='subscribe'/>"),
		}},
		{"DeleteAgain", func() error { return s.DeletePending(ctx, alice, bob) }, []roster.Pending{
			pending(dave, "<presence from='dave' type='subscribe'/>"),
		}},
		{"DeleteLast", func() error { return s.DeletePending(ctx, alice, dave) }, nil},
	}
	// The steps build on each other, so a failure stops the sequence.
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			got, err := s.Pending(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if !equalPending(got, st.want) {
				t.Errorf("Pending = %s, want %s", fmtPending(got), fmtPending(st.want))
			}
		}) {
			return
		}
	}
}

func testNoSharedMemory(t *testing.T, s roster.Store) {
	ctx := t.Context()
	groups := []string{"A", "B"}
	mustPut(t, s, alice, roster.Item{JID: bob, Groups: groups, Subscription: "both"})
	groups[0] = "changed by caller"

	got, err := s.Item(ctx, alice, bob)
	if err != nil {
		t.Fatal(err)
	}
	got.Groups[1] = "changed by reader"
	items, _, err := s.Roster(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	items[0].Groups[0] = "changed by reader"
	if got, err := s.Item(ctx, alice, bob); err != nil || !slices.Equal(got.Groups, []string{"A", "B"}) {
		t.Errorf("Groups = %q, %v; want [A B] whatever callers do with their slices", got.Groups, err)
	}

	stanza := []byte("<presence type='subscribe'/>")
	mustAddPending(t, s, alice, carol, stanza)
	stanza[1] = 'X'
	p, err := s.Pending(ctx, alice)
	if err != nil || len(p) != 1 {
		t.Fatalf("Pending = %v, %v", p, err)
	}
	p[0].Stanza[2] = 'X'
	if p, err := s.Pending(ctx, alice); err != nil || len(p) != 1 || string(p[0].Stanza) != "<presence type='subscribe'/>" {
		t.Errorf("Pending = %s, %v; want the stanza as added", fmtPending(p), err)
	}
}

func testConcurrentPuts(t *testing.T, s roster.Store) {
	ctx := t.Context()
	const n = 16
	versions := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			versions[i], errs[i] = s.PutItem(ctx, alice, roster.Item{JID: fmt.Sprintf("c%02d@example.org", i), Subscription: "none"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	slices.Sort(versions)
	if distinct := slices.Compact(slices.Clone(versions)); len(distinct) != n {
		t.Errorf("versions %v: want %d distinct", versions, n)
	}
	items, v, err := s.Roster(ctx, alice)
	if err != nil || len(items) != n || v != versions[n-1] {
		t.Errorf("Roster = %d items, version %d, %v; want %d items, version %d", len(items), v, err, n, versions[n-1])
	}
}

func mustPut(t *testing.T, s roster.Store, owner string, it roster.Item) uint64 {
	t.Helper()
	v, err := s.PutItem(t.Context(), owner, it)
	if err != nil {
		t.Fatalf("PutItem(%s, %s): %v", owner, it.JID, err)
	}
	return v
}

func mustAddPending(t *testing.T, s roster.Store, owner, from string, stanza []byte) {
	t.Helper()
	if err := s.AddPending(t.Context(), owner, from, stanza); err != nil {
		t.Fatalf("AddPending(%s, %s): %v", owner, from, err)
	}
}

// equalItem treats nil and empty Groups alike: backends need not keep the
// difference.
func equalItem(a, b roster.Item) bool {
	return a.JID == b.JID && a.Name == b.Name && a.Subscription == b.Subscription &&
		a.Ask == b.Ask && slices.Equal(a.Groups, b.Groups)
}

func pending(from, stanza string) roster.Pending {
	return roster.Pending{From: from, Stanza: []byte(stanza)}
}

func equalPending(a, b []roster.Pending) bool {
	return slices.EqualFunc(a, b, func(x, y roster.Pending) bool {
		return x.From == y.From && bytes.Equal(x.Stanza, y.Stanza)
	})
}

func fmtPending(p []roster.Pending) string {
	var b []byte
	for _, x := range p {
		b = fmt.Appendf(b, "{%s %q}", x.From, x.Stanza)
	}
	return "[" + string(b) + "]"
}
