package mamtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xmppbox/server/mod/mam"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two archives up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
	bobPhone  = "bob@example.org/phone"
	bobLaptop = "bob@example.org/laptop"
	carol     = "carol@example.net"
)

// base is the time of the first record most tests append; records follow a second apart.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Run tests the mam.Archive contract. open is called once per subtest and must return an
// empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) mam.Archive) {
	tests := []struct {
		name string
		test func(t *testing.T, s mam.Archive)
	}{
		{"Empty", testEmpty},
		{"AppendThenQuery", testAppendThenQuery},
		{"TimeNeverGoesBack", testTimeNeverGoesBack},
		{"PageForward", testPageForward},
		{"PageBackward", testPageBackward},
		{"BeforeAndAfterTogether", testBeforeAndAfter},
		{"MaxZeroCounts", testMaxZero},
		{"With", testWith},
		{"StartEnd", testStartEnd},
		{"AfterIDBeforeID", testAfterIDBeforeID},
		{"IDs", testIDs},
		{"UnknownIDs", testUnknownIDs},
		{"OwnersIsolated", testOwnersIsolated},
		{"DeleteBefore", testDeleteBefore},
		{"Prefs", testPrefs},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentAppends", testConcurrentAppends},
		{"LargeArchive", testLargeArchive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// fill appends n records for owner a second apart from start, With cycling through withs,
// and returns them with the IDs the store gave.
func fill(t *testing.T, s mam.Archive, owner string, start time.Time, n int, withs ...string) []mam.Record {
	t.Helper()
	if len(withs) == 0 {
		withs = []string{bobPhone}
	}
	out := make([]mam.Record, n)
	for i := range n {
		r := mam.Record{
			Time:   start.Add(time.Duration(i) * time.Second),
			With:   withs[i%len(withs)],
			Stanza: fmt.Appendf(nil, "<message xmlns='jabber:client' id='m%d'><body>%s %d</body></message>", i, owner, i),
		}
		id, err := s.Append(t.Context(), owner, r)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		r.ID = id
		out[i] = r
	}
	return out
}

func query(t *testing.T, s mam.Archive, owner string, q mam.Query) mam.Page {
	t.Helper()
	p, err := s.Query(t.Context(), owner, q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return p
}

func ids(recs []mam.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// checkPage compares a page with the records wanted, in order, and its count and completeness.
func checkPage(t *testing.T, got mam.Page, want []mam.Record, count int, complete bool) {
	t.Helper()
	if !slices.Equal(ids(got.Items), ids(want)) {
		t.Errorf("page IDs = %v, want %v", ids(got.Items), ids(want))
	}
	if got.Count != count {
		t.Errorf("Count = %d, want %d", got.Count, count)
	}
	if got.Complete != complete {
		t.Errorf("Complete = %v, want %v", got.Complete, complete)
	}
}

func testEmpty(t *testing.T, s mam.Archive) {
	for _, q := range []mam.Query{{Max: 10}, {Max: 10, Last: true}, {Max: 10, With: bob}, {Max: 0}} {
		checkPage(t, query(t, s, alice, q), nil, 0, true)
	}
	if p, err := s.Prefs(t.Context(), alice); err != nil || p.Default != "" || len(p.Always)+len(p.Never) != 0 {
		t.Errorf("Prefs = %+v, %v; want zero, nil", p, err)
	}
}

func testAppendThenQuery(t *testing.T, s mam.Archive) {
	want := fill(t, s, alice, base, 5, bobPhone, carol)
	got := query(t, s, alice, mam.Query{Max: 10})
	checkPage(t, got, want, 5, true)
	seen := map[string]bool{}
	for i, r := range got.Items {
		if seen[r.ID] || r.ID == "" {
			t.Errorf("record %d: ID %q empty or repeated", i, r.ID)
		}
		seen[r.ID] = true
		if i > 0 && r.ID <= got.Items[i-1].ID {
			t.Errorf("IDs not increasing: %q after %q", r.ID, got.Items[i-1].ID)
		}
		if !r.Time.Equal(want[i].Time) {
			t.Errorf("record %d: Time %v, want %v", i, r.Time, want[i].Time)
		}
		if r.With != want[i].With || string(r.Stanza) != string(want[i].Stanza) {
			t.Errorf("record %d = {%q %q}, want {%q %q}", i, r.With, r.Stanza, want[i].With, want[i].Stanza)
		}
	}
}

// testTimeNeverGoesBack: a record appended with an older time (the clock stepped back, or
// two appends in one microsecond) still sorts after the previous one.
func testTimeNeverGoesBack(t *testing.T, s mam.Archive) {
	ctx := t.Context()
	times := []time.Time{base, base.Add(-time.Hour), base, base.Add(time.Nanosecond)}
	var prev mam.Record
	for i, at := range times {
		if _, err := s.Append(ctx, alice, mam.Record{Time: at, With: bob, Stanza: []byte("<message/>")}); err != nil {
			t.Fatal(err)
		}
		got := query(t, s, alice, mam.Query{Max: 1, Last: true}).Items
		if len(got) != 1 {
			t.Fatalf("append %d: last page has %d records", i, len(got))
		}
		if i > 0 && (!got[0].Time.After(prev.Time) || got[0].ID <= prev.ID) {
			t.Errorf("append %d at %v: record {%q %v} not after {%q %v}", i, at, got[0].ID, got[0].Time, prev.ID, prev.Time)
		}
		if got[0].Time.Before(at.Truncate(time.Microsecond)) {
			t.Errorf("append %d: Time %v before the time given, %v", i, got[0].Time, at)
		}
		prev = got[0]
	}
}

func testPageForward(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 10)
	var after string
	for start := 0; start < 10; start += 3 {
		end := min(start+3, 10)
		got := query(t, s, alice, mam.Query{Max: 3, After: after})
		checkPage(t, got, all[start:end], 10, end == 10)
		after = all[end-1].ID
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 3, After: after}), nil, 10, true)
	// A page that ends exactly at the last record is complete.
	checkPage(t, query(t, s, alice, mam.Query{Max: 4, After: all[5].ID}), all[6:], 10, true)
}

func testPageBackward(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 10)
	checkPage(t, query(t, s, alice, mam.Query{Max: 3, Last: true}), all[7:], 10, false)
	before := all[7].ID
	for end := 7; end > 0; end -= 3 {
		start := max(end-3, 0)
		got := query(t, s, alice, mam.Query{Max: 3, Before: before})
		checkPage(t, got, all[start:end], 10, start == 0)
		before = all[start].ID
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 3, Before: all[0].ID}), nil, 10, true)
	checkPage(t, query(t, s, alice, mam.Query{Max: 20, Last: true}), all, 10, true)
}

// testBeforeAndAfter: RSM leaves the two together undefined; stores return the records
// between them, paging backwards.
func testBeforeAndAfter(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 10)
	checkPage(t, query(t, s, alice, mam.Query{Max: 2, After: all[2].ID, Before: all[7].ID}), all[5:7], 10, false)
	checkPage(t, query(t, s, alice, mam.Query{Max: 9, After: all[2].ID, Before: all[7].ID}), all[3:7], 10, true)
}

func testMaxZero(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 4)
	checkPage(t, query(t, s, alice, mam.Query{Max: 0}), nil, 4, false)
	checkPage(t, query(t, s, alice, mam.Query{Max: 0, After: all[3].ID}), nil, 4, true)
	checkPage(t, query(t, s, alice, mam.Query{Max: 0, With: carol}), nil, 0, true)
}

func testWith(t *testing.T, s mam.Archive) {
	// bob's phone and laptop, bob bare, carol, and alice herself (a note to self).
	all := fill(t, s, alice, base, 10, bobPhone, carol, bobLaptop, bob, alice+"/desk")
	pick := func(idx ...int) []mam.Record {
		var out []mam.Record
		for _, i := range idx {
			out = append(out, all[i])
		}
		return out
	}
	tests := []struct {
		with string
		want []mam.Record
	}{
		{bob, pick(0, 2, 3, 5, 7, 8)},
		{bobPhone, pick(0, 5)},
		{bobLaptop, pick(2, 7)},
		{"bob@example.org/tablet", nil},
		{carol, pick(1, 6)},
		{alice, pick(4, 9)},
		{"bob@example", nil},    // a prefix of bob's domain is another JID
		{"bob@example.or", nil}, // and so is a prefix of it
	}
	for _, tt := range tests {
		t.Run(tt.with, func(t *testing.T) {
			checkPage(t, query(t, s, alice, mam.Query{With: tt.with, Max: 20}), tt.want, len(tt.want), true)
			if len(tt.want) < 2 {
				return
			}
			// Paging within the filter, both ways.
			got := query(t, s, alice, mam.Query{With: tt.with, Max: 1})
			checkPage(t, got, tt.want[:1], len(tt.want), false)
			got = query(t, s, alice, mam.Query{With: tt.with, Max: 1, After: tt.want[0].ID})
			checkPage(t, got, tt.want[1:2], len(tt.want), len(tt.want) == 2)
			got = query(t, s, alice, mam.Query{With: tt.with, Max: 1, Last: true})
			checkPage(t, got, tt.want[len(tt.want)-1:], len(tt.want), false)
			// The cursor may be a record outside the filter: paging is by position.
			got = query(t, s, alice, mam.Query{With: tt.with, Max: 20, After: all[1].ID})
			var rest []mam.Record
			for _, r := range tt.want {
				if r.ID > all[1].ID {
					rest = append(rest, r)
				}
			}
			checkPage(t, got, rest, len(tt.want), true)
		})
	}
}

func testStartEnd(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 10) // base, base+1s, ... base+9s
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	tests := []struct {
		name       string
		start, end time.Time
		want       []mam.Record
	}{
		{"StartInclusive", at(7), time.Time{}, all[7:]},
		{"EndInclusive", time.Time{}, at(2), all[:3]},
		{"Both", at(3), at(5), all[3:6]},
		{"BetweenRecords", at(3).Add(time.Millisecond), at(5).Add(-time.Millisecond), all[4:5]},
		{"SubMicrosecond", at(3).Add(time.Nanosecond), at(5).Add(time.Nanosecond), all[4:6]},
		{"Empty", at(5).Add(time.Millisecond), at(6).Add(-time.Millisecond), nil},
		{"EndBeforeStart", at(6), at(3), nil},
		{"BeforeAll", base.Add(-time.Hour), base.Add(-time.Minute), nil},
		{"AfterAll", at(10), time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(t, s, alice, mam.Query{Start: tt.start, End: tt.end, Max: 20})
			checkPage(t, got, tt.want, len(tt.want), true)
			if len(tt.want) > 1 {
				got = query(t, s, alice, mam.Query{Start: tt.start, End: tt.end, Max: 1, Last: true})
				checkPage(t, got, tt.want[len(tt.want)-1:], len(tt.want), false)
			}
		})
	}
}

func testAfterIDBeforeID(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 10, bobPhone, carol)
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[6].ID, Max: 20}), all[7:], 3, true)
	checkPage(t, query(t, s, alice, mam.Query{BeforeID: all[2].ID, Max: 20}), all[:2], 2, true)
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[2].ID, BeforeID: all[6].ID, Max: 20}), all[3:6], 3, true)
	// Unlike RSM's before, BeforeID pages forwards (XEP-0313 §9).
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[2].ID, BeforeID: all[6].ID, Max: 2}), all[3:5], 3, false)
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[2].ID, BeforeID: all[3].ID, Max: 20}), nil, 0, true)
	// Combined with other filters.
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[2].ID, With: carol, Max: 20}), []mam.Record{all[3], all[5], all[7], all[9]}, 4, true)
	checkPage(t, query(t, s, alice, mam.Query{AfterID: all[2].ID, End: base.Add(4 * time.Second), Max: 20}), all[3:5], 2, true)
}

func testIDs(t *testing.T, s mam.Archive) {
	all := fill(t, s, alice, base, 8, bobPhone, carol)
	q := mam.Query{IDs: []string{all[5].ID, all[1].ID, all[3].ID, all[1].ID}, Max: 20}
	checkPage(t, query(t, s, alice, q), []mam.Record{all[1], all[3], all[5]}, 3, true)
	q.Max = 2
	checkPage(t, query(t, s, alice, q), []mam.Record{all[1], all[3]}, 3, false)
	q.After = all[3].ID
	checkPage(t, query(t, s, alice, q), []mam.Record{all[5]}, 3, true)
	q = mam.Query{IDs: []string{all[0].ID, all[1].ID, all[2].ID}, With: carol, Max: 20}
	checkPage(t, query(t, s, alice, q), []mam.Record{all[1]}, 1, true)
	q = mam.Query{IDs: []string{all[0].ID, all[6].ID}, Max: 1, Last: true}
	checkPage(t, query(t, s, alice, q), []mam.Record{all[6]}, 2, false)
	q = mam.Query{IDs: []string{}, Max: 20}
	checkPage(t, query(t, s, alice, q), nil, 0, true)
}

func testUnknownIDs(t *testing.T, s mam.Archive) {
	mine := fill(t, s, alice, base, 3)
	theirs := fill(t, s, bob, base, 1)
	for _, bad := range []string{theirs[0].ID, "no-such-id", strings.Repeat("0", 24), mine[0].ID + "0", strings.ToLower(mine[0].ID)} {
		if bad == mine[0].ID {
			continue // a store whose IDs are lower case already
		}
		for name, q := range map[string]mam.Query{
			"After":    {After: bad, Max: 5},
			"Before":   {Before: bad, Max: 5},
			"AfterID":  {AfterID: bad, Max: 5},
			"BeforeID": {BeforeID: bad, Max: 5},
			"IDs":      {IDs: []string{mine[1].ID, bad}, Max: 5},
		} {
			if _, err := s.Query(t.Context(), alice, q); !errors.Is(err, mam.ErrNotFound) {
				t.Errorf("%s %q: err = %v, want mam.ErrNotFound", name, bad, err)
			}
		}
	}
}

func testOwnersIsolated(t *testing.T, s mam.Archive) {
	a := fill(t, s, alice, base, 3, bobPhone)
	e := fill(t, s, aliceEvil, base, 2, bobPhone)
	checkPage(t, query(t, s, alice, mam.Query{Max: 10}), a, 3, true)
	checkPage(t, query(t, s, aliceEvil, mam.Query{Max: 10}), e, 2, true)
	checkPage(t, query(t, s, alice, mam.Query{Max: 10, With: bob}), a, 3, true)
	checkPage(t, query(t, s, aliceEvil, mam.Query{Max: 10, Last: true}), e, 2, true)
	checkPage(t, query(t, s, bob, mam.Query{Max: 10}), nil, 0, true)
}

func testDeleteBefore(t *testing.T, s mam.Archive) {
	ctx := t.Context()
	// Appended in time order: a store may move a record's time forward past the latest
	// record of any archive.
	a := fill(t, s, alice, base, 6, bobPhone, carol)
	b := fill(t, s, bob, base.Add(6*time.Second), 3, alice)
	n, err := s.DeleteBefore(ctx, base.Add(3*time.Second))
	if err != nil || n != 3 {
		t.Fatalf("DeleteBefore = %d, %v; want 3", n, err)
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 10}), a[3:], 3, true)
	checkPage(t, query(t, s, alice, mam.Query{Max: 10, With: carol}), []mam.Record{a[3], a[5]}, 2, true)
	checkPage(t, query(t, s, bob, mam.Query{Max: 10}), b, 3, true)
	if _, err := s.Query(ctx, alice, mam.Query{After: a[0].ID, Max: 5}); !errors.Is(err, mam.ErrNotFound) {
		t.Errorf("After a deleted record: err = %v, want mam.ErrNotFound", err)
	}
	if n, err := s.DeleteBefore(ctx, base.Add(3*time.Second)); err != nil || n != 0 {
		t.Errorf("DeleteBefore again = %d, %v; want 0", n, err)
	}
	// Across archives, and at sub-second precision.
	if n, err := s.DeleteBefore(ctx, base.Add(6*time.Second+time.Nanosecond)); err != nil || n != 4 {
		t.Fatalf("DeleteBefore = %d, %v; want 4 (3 of alice, 1 of bob)", n, err)
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 10}), nil, 0, true)
	checkPage(t, query(t, s, bob, mam.Query{Max: 10, Last: true}), b[1:], 2, true)
	// IDs are not reused, even for records given an old time.
	c := fill(t, s, alice, base, 1)
	for _, r := range a {
		if c[0].ID == r.ID {
			t.Errorf("ID %q reused after deletion", r.ID)
		}
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 10}), c, 1, true)
	// Everything goes.
	if n, err := s.DeleteBefore(ctx, time.Now().Add(time.Hour)); err != nil || n != 3 {
		t.Errorf("DeleteBefore(all) = %d, %v; want 3", n, err)
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 10}), nil, 0, true)
	checkPage(t, query(t, s, bob, mam.Query{Max: 10, Last: true}), nil, 0, true)
}

func testPrefs(t *testing.T, s mam.Archive) {
	ctx := t.Context()
	want := mam.Prefs{Default: mam.Roster, Always: []string{bob, carol}, Never: []string{"dave@example.com/phone"}}
	if err := s.SetPrefs(ctx, alice, want); err != nil {
		t.Fatal(err)
	}
	want.Always[0] = "mallory@example.org" // the store keeps its own copy
	want.Always[0] = bob
	got, err := s.Prefs(ctx, alice)
	if err != nil || got.Default != want.Default || !slices.Equal(got.Always, want.Always) || !slices.Equal(got.Never, want.Never) {
		t.Errorf("Prefs = %+v, %v; want %+v", got, err, want)
	}
	if err := s.SetPrefs(ctx, alice, mam.Prefs{Default: mam.Never}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Prefs(ctx, alice)
	if err != nil || got.Default != mam.Never || len(got.Always)+len(got.Never) != 0 {
		t.Errorf("Prefs after replace = %+v, %v; want {never}", got, err)
	}
	if got, err := s.Prefs(ctx, aliceEvil); err != nil || got.Default != "" {
		t.Errorf("Prefs of another owner = %+v, %v; want zero", got, err)
	}
}

// testNoSharedMemory: what Query returns is the caller's (Append keeps the stanza it
// is given: its callers do not reuse it).
func testNoSharedMemory(t *testing.T, s mam.Archive) {
	ctx := t.Context()
	if _, err := s.Append(ctx, alice, mam.Record{Time: base, With: bob, Stanza: []byte("<message>first</message>")}); err != nil {
		t.Fatal(err)
	}
	got := query(t, s, alice, mam.Query{Max: 1})
	if len(got.Items) != 1 || string(got.Items[0].Stanza) != "<message>first</message>" {
		t.Fatalf("stored stanza = %q", got.Items)
	}
	copy(got.Items[0].Stanza, "<message>YYYYY</message>")
	again := query(t, s, alice, mam.Query{Max: 1})
	if string(again.Items[0].Stanza) != "<message>first</message>" {
		t.Errorf("stanza changed through a returned slice: %q", again.Items[0].Stanza)
	}
}

func testConcurrentAppends(t *testing.T, s mam.Archive) {
	const writers, each = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]bool{}
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				owner := alice
				if i%2 == 1 {
					owner = bob
				}
				id, err := s.Append(t.Context(), owner, mam.Record{
					Time: time.Now(), With: carol, Stanza: fmt.Appendf(nil, "<message id='%d-%d'/>", w, i)})
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				got[owner+" "+id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != writers*each {
		t.Fatalf("%d distinct IDs, want %d", len(got), writers*each)
	}
	for _, owner := range []string{alice, bob} {
		p := query(t, s, owner, mam.Query{Max: writers * each})
		checkPage(t, p, p.Items, writers*each/2, true)
		for i, r := range p.Items {
			if !got[owner+" "+r.ID] {
				t.Errorf("%s: record %q was not returned by Append", owner, r.ID)
			}
			if i > 0 && (r.ID <= p.Items[i-1].ID || r.Time.Before(p.Items[i-1].Time)) {
				t.Errorf("%s: record %d {%q %v} out of order", owner, i, r.ID, r.Time)
			}
		}
	}
}

// testLargeArchive goes past the sizes a backend may batch or chunk by.
func testLargeArchive(t *testing.T, s mam.Archive) {
	const n = 2500
	all := fill(t, s, alice, base, n, bobPhone, carol, bobLaptop)
	checkPage(t, query(t, s, alice, mam.Query{Max: 50, Last: true}), all[n-50:], n, false)
	checkPage(t, query(t, s, alice, mam.Query{Max: 50, After: all[1000].ID}), all[1001:1051], n, false)
	var withCarol []mam.Record
	for i := 1; i < n; i += 3 {
		withCarol = append(withCarol, all[i])
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: 10, Last: true, With: carol}), withCarol[len(withCarol)-10:], len(withCarol), false)
	start, end := base.Add(1200*time.Second), base.Add(1299*time.Second)
	checkPage(t, query(t, s, alice, mam.Query{Max: 100, Start: start, End: end}), all[1200:1300], 100, true)
	if got, err := s.DeleteBefore(t.Context(), base.Add(2000*time.Second)); err != nil || got != 2000 {
		t.Fatalf("DeleteBefore = %d, %v; want 2000", got, err)
	}
	checkPage(t, query(t, s, alice, mam.Query{Max: n}), all[2000:], n-2000, true)
}
