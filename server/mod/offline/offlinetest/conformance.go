package offlinetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"xmppbox/server/mod/offline"
)

const (
	alice = "alice@example.org"
	// aliceEvil has alice as a string prefix: a backend that builds keys by
	// concatenation without a separator would mix the two queues up.
	aliceEvil = "alice@example.org.evil"
	bob       = "bob@example.org"
)

// Run tests the offline.Store contract. open is called once per subtest and
// must return an empty store; it registers any cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) offline.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s offline.Store)
	}{
		{"Empty", testEmpty},
		{"TakeOldestFirstAndEmpties", testTakeOrder},
		{"FullAtMax", testFullAtMax},
		{"MaxLoweredBelowCount", testMaxLowered},
		{"OrderAcrossTakes", testOrderAcrossTakes},
		{"OwnersIsolated", testOwnersIsolated},
		{"NoSharedMemory", testNoSharedMemory},
		{"ConcurrentPushesRespectMax", testConcurrentPushes},
		{"ConcurrentTakesShareNothing", testConcurrentTakes},
		{"LargeQueue", testLargeQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

func testEmpty(t *testing.T, s offline.Store) {
	ctx := t.Context()
	if n, err := s.Count(ctx, alice); err != nil || n != 0 {
		t.Errorf("Count = %d, %v; want 0, nil", n, err)
	}
	if msgs, err := s.Take(ctx, alice); err != nil || len(msgs) != 0 {
		t.Errorf("Take = %q, %v; want none, nil", msgs, err)
	}
}

func testTakeOrder(t *testing.T, s offline.Store) {
	ctx := t.Context()
	want := pushN(t, s, alice, 5, 10)
	if n, err := s.Count(ctx, alice); err != nil || n != 5 {
		t.Errorf("Count = %d, %v; want 5", n, err)
	}
	mustTake(t, s, alice, want)
	if n, err := s.Count(ctx, alice); err != nil || n != 0 {
		t.Errorf("Count after Take = %d, %v; want 0", n, err)
	}
	mustTake(t, s, alice, nil)
}

func testFullAtMax(t *testing.T, s offline.Store) {
	tests := []struct {
		name  string
		owner string
		max   int
	}{
		{"Max1", "one@example.org", 1},
		{"Max3", "three@example.org", 3},
		// "Already has max" holds for an empty queue when max is 0.
		{"Max0RefusesAll", "zero@example.org", 0},
		{"NegativeRefusesAll", "negative@example.org", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			stored := pushN(t, s, tt.owner, max(tt.max, 0), tt.max)
			err := s.Push(ctx, tt.owner, []byte("<message>one too many</message>"), tt.max)
			if !errors.Is(err, offline.ErrFull) {
				t.Errorf("Push over max: err = %v, want offline.ErrFull", err)
			}
			if n, err := s.Count(ctx, tt.owner); err != nil || n != len(stored) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(stored))
			}
			mustTake(t, s, tt.owner, stored)
			if tt.max > 0 {
				if err := s.Push(ctx, tt.owner, []byte("<message>after take</message>"), tt.max); err != nil {
					t.Errorf("Push after Take: %v", err)
				}
			}
		})
	}
}

func testMaxLowered(t *testing.T, s offline.Store) {
	pushN(t, s, alice, 3, 10)
	if err := s.Push(t.Context(), alice, []byte("<message/>"), 2); !errors.Is(err, offline.ErrFull) {
		t.Errorf("Push with max 2 over 3 stored: err = %v, want offline.ErrFull", err)
	}
}

func testOrderAcrossTakes(t *testing.T, s offline.Store) {
	ctx := t.Context()
	rounds := []int{2, 1, 4}
	for i, n := range rounds {
		var want [][]byte
		for j := range n {
			m := fmt.Appendf(nil, "<message id='r%d-%d'/>", i, j)
			if err := s.Push(ctx, alice, m, 10); err != nil {
				t.Fatal(err)
			}
			want = append(want, m)
		}
		mustTake(t, s, alice, want)
	}
}

func testOwnersIsolated(t *testing.T, s offline.Store) {
	ctx := t.Context()
	owners := []struct {
		owner string
		n     int
	}{{alice, 2}, {aliceEvil, 3}, {bob, 1}}
	want := map[string][][]byte{}
	for _, o := range owners {
		want[o.owner] = pushN(t, s, o.owner, o.n, 10)
	}
	for _, o := range owners {
		t.Run(o.owner, func(t *testing.T) {
			if n, err := s.Count(ctx, o.owner); err != nil || n != o.n {
				t.Errorf("Count = %d, %v; want %d", n, err, o.n)
			}
			mustTake(t, s, o.owner, want[o.owner])
		})
	}
}

func testNoSharedMemory(t *testing.T, s offline.Store) {
	ctx := t.Context()
	buf := []byte("<message>first</message>")
	if err := s.Push(ctx, alice, buf, 10); err != nil {
		t.Fatal(err)
	}
	copy(buf, "<message>XXXXX</message>") // callers reuse their buffers
	if err := s.Push(ctx, alice, []byte("<message>second</message>"), 10); err != nil {
		t.Fatal(err)
	}
	mustTake(t, s, alice, [][]byte{[]byte("<message>first</message>"), []byte("<message>second</message>")})
}

func testConcurrentPushes(t *testing.T, s offline.Store) {
	ctx := t.Context()
	const pushers, max = 20, 10
	errs := make([]error, pushers)
	var wg sync.WaitGroup
	for i := range pushers {
		wg.Go(func() { errs[i] = s.Push(ctx, alice, fmt.Appendf(nil, "<message id='%d'/>", i), max) })
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, offline.ErrFull):
			t.Errorf("Push %d: %v", i, err)
		}
	}
	if ok != max {
		t.Errorf("%d pushes succeeded, want exactly %d", ok, max)
	}
	if n, err := s.Count(ctx, alice); err != nil || n != max {
		t.Errorf("Count = %d, %v; want %d", n, err, max)
	}
	if msgs, err := s.Take(ctx, alice); err != nil || len(msgs) != max {
		t.Errorf("Take = %d messages, %v; want %d", len(msgs), err, max)
	}
}

func testConcurrentTakes(t *testing.T, s offline.Store) {
	ctx := t.Context()
	want := pushN(t, s, alice, 50, 50)
	const takers = 4
	got := make([][][]byte, takers)
	errs := make([]error, takers)
	var wg sync.WaitGroup
	for i := range takers {
		wg.Go(func() { got[i], errs[i] = s.Take(ctx, alice) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Take: %v", err)
	}
	var all []string
	for i, msgs := range got {
		strs := toStrings(msgs)
		if !slices.IsSortedFunc(strs, strings.Compare) { // pushN's ids sort in push order
			t.Errorf("taker %d got messages out of order: %q", i, strs)
		}
		all = append(all, strs...)
	}
	slices.Sort(all)
	if !slices.Equal(all, toStrings(want)) {
		t.Errorf("takers got %d messages together, want each of %d exactly once", len(all), len(want))
	}
}

// testLargeQueue exercises backends that split big operations into batches.
func testLargeQueue(t *testing.T, s offline.Store) {
	const n = 2500
	want := pushN(t, s, alice, n, n)
	if n, err := s.Count(t.Context(), alice); err != nil || n != len(want) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(want))
	}
	mustTake(t, s, alice, want)
	mustTake(t, s, alice, nil)
}

// pushN pushes n messages for owner with the given max and returns them in
// push order. Their ids are zero-padded so that byte order is push order.
func pushN(t *testing.T, s offline.Store, owner string, n, max int) [][]byte {
	t.Helper()
	var msgs [][]byte
	for i := range n {
		m := fmt.Appendf(nil, "<message to='%s' id='m%05d'><body>hello</body></message>", owner, i)
		if err := s.Push(t.Context(), owner, m, max); err != nil {
			t.Fatalf("Push %d for %s: %v", i, owner, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func mustTake(t *testing.T, s offline.Store, owner string, want [][]byte) {
	t.Helper()
	got, err := s.Take(t.Context(), owner)
	if err != nil {
		t.Fatalf("Take(%s): %v", owner, err)
	}
	g, w := toStrings(got), toStrings(want)
	if slices.Equal(g, w) {
		return
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	at := func(s []string) string {
		if i < len(s) {
			return s[i]
		}
		return "(end)"
	}
	t.Errorf("Take(%s) = %d messages, want %d; first difference at %d: got %q, want %q",
		owner, len(g), len(w), i, at(g), at(w))
}

func toStrings(msgs [][]byte) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, string(m))
	}
	return s
}
