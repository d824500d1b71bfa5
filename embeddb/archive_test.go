package embeddb_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"xmppbox/embeddb"
	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
)

var _ mam.Archive = (*embeddb.Archive)(nil)

func TestArchiveConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			mamtest.Run(t, func(t *testing.T) mam.Archive { return b.open(t).Archive() })
		})
	}
}

// TestArchiveSurvivesReopen: records queued just before Close are committed by it, and the
// archive clock carries over, so a record appended after a restart with an older time
// (the clock stepped back) still gets a later ID.
func TestArchiveSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var ids []string
	for i := range 100 {
		id, err := db.Archive().Append(ctx, "alice@example.org", mam.Record{
			Time: now, With: "bob@example.org", Stanza: fmt.Appendf(nil, "<message id='%d'/>", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Archive().Append(ctx, "alice@example.org", mam.Record{Time: now, With: "bob@example.org"}); err == nil {
		t.Error("Append after Close succeeded")
	}

	db = openDir(t, dir)
	a := db.Archive()
	got, err := a.Query(ctx, "alice@example.org", mam.Query{Max: 200})
	if err != nil || len(got.Items) != 100 || got.Count != 100 {
		t.Fatalf("after reopen: %d records, count %d, %v; want 100", len(got.Items), got.Count, err)
	}
	for i, r := range got.Items {
		if r.ID != ids[i] {
			t.Fatalf("record %d: ID %q, want %q", i, r.ID, ids[i])
		}
	}
	id, err := a.Append(ctx, "alice@example.org", mam.Record{Time: now.Add(-time.Hour), With: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if id <= ids[len(ids)-1] {
		t.Errorf("ID after reopen %q sorts before %q", id, ids[len(ids)-1])
	}
}

// TestArchiveDeletedWithAccount: deleting an account removes its archive and preferences.
func TestArchiveDeletedWithAccount(t *testing.T) {
	ctx := t.Context()
	db := openMem(t)
	const alice = "alice@example.org"
	if err := db.Accounts().CreateAccount(ctx, alice, creds(1)); err != nil {
		t.Fatal(err)
	}
	a := db.Archive()
	for range 3 {
		if _, err := a.Append(ctx, alice, mam.Record{Time: time.Now(), With: "bob@example.org/x", Stanza: []byte("<message/>")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetPrefs(ctx, alice, mam.Prefs{Default: mam.Never}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Query(ctx, alice, mam.Query{}); err != nil { // commits the appends
		t.Fatal(err)
	}
	if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	for _, q := range []mam.Query{{Max: 10}, {Max: 10, With: "bob@example.org"}} {
		if p, err := a.Query(ctx, alice, q); err != nil || len(p.Items) != 0 || p.Count != 0 {
			t.Errorf("Query(%+v) after DeleteAccount = %d records, count %d, %v", q, len(p.Items), p.Count, err)
		}
	}
	if p, err := a.Prefs(ctx, alice); err != nil || p.Default != "" {
		t.Errorf("Prefs after DeleteAccount = %+v, %v", p, err)
	}
}

func TestArchiveRefusesBadInput(t *testing.T) {
	a := openMem(t).Archive()
	ctx := t.Context()
	for _, owner := range []string{"", "alice@example.org/res", "a\x00b@example.org"} {
		if _, err := a.Append(ctx, owner, mam.Record{With: "bob@example.org"}); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Append for owner %q: err = %v, want fs.ErrInvalid", owner, err)
		}
	}
	for _, with := range []string{"", "/res", "b\x00b@example.org"} {
		if _, err := a.Append(ctx, "alice@example.org", mam.Record{With: with}); err == nil {
			t.Errorf("Append with With %q succeeded", with)
		}
	}
}

// BenchmarkArchiveQuery measures queries on one account with 100,000 archived messages
// (one year at ~270 a day, with 20 contacts), on disk: the last page (what a client asks
// first when it opens a chat history), a one-day date range, the last page with one
// contact, and a forward page in the middle. Each reports ns/op and p50/p99 in µs. The
// archive is filled once, through Append (batched writes), which is reported as
// fill-ns/msg.
func BenchmarkArchiveQuery(b *testing.B) {
	const (
		owner    = "alice@example.org"
		messages = 100_000
		contacts = 20
		page     = 50
	)
	db, err := embeddb.Open(embeddb.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := db.Archive()
	ctx := context.Background()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / messages
	stanza := []byte(`<message xmlns='jabber:client' from='alice@example.org/phone' to='bob7@example.org' type='chat' id='a1b2c3d4'><body>see you at eight, bring the charger and the blue notebook</body><origin-id xmlns='urn:xmpp:sid:0' id='4a9f1c2e-7f0e-4c7b-9d6a-0c1b2f3e4d5a'/></message>`)
	fillStart := time.Now()
	var ids []string
	for i := range messages {
		id, err := a.Append(ctx, owner, mam.Record{
			Time:   start.Add(time.Duration(i) * step),
			With:   fmt.Sprintf("bob%d@example.org/phone", i%contacts),
			Stanza: stanza,
		})
		if err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			ids = append(ids, id)
		}
	}
	if _, err := a.Query(ctx, owner, mam.Query{}); err != nil { // waits for the writer
		b.Fatal(err)
	}
	fill := time.Since(fillStart)

	day := start.Add(200 * 24 * time.Hour)
	cases := []struct {
		name string
		q    mam.Query
		want int
	}{
		{"LastPage", mam.Query{Max: page, Last: true}, page},
		{"DateRangePage", mam.Query{Start: day, End: day.Add(24*time.Hour - time.Nanosecond), Max: page}, page},
		{"DateRangeLastPage", mam.Query{Start: day, End: day.Add(24*time.Hour - time.Nanosecond), Max: page, Last: true}, page},
		{"WithLastPage", mam.Query{With: "bob7@example.org", Max: page, Last: true}, page},
		{"AfterPage", mam.Query{After: ids[50], Max: page}, page},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportMetric(float64(fill.Nanoseconds())/messages, "fill-ns/msg")
			var lat []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				p, err := a.Query(ctx, owner, c.q)
				lat = append(lat, time.Since(t0))
				if err != nil || len(p.Items) != c.want {
					b.Fatalf("Query: %d items, %v", len(p.Items), err)
				}
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkArchiveAppend is the cost of archiving one message as the router pays it (the
// queueing; the commit happens in the background), and, through the final Query, the
// writer's throughput.
func BenchmarkArchiveAppend(b *testing.B) {
	db, err := embeddb.Open(embeddb.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := db.Archive()
	ctx := context.Background()
	stanza := []byte(`<message xmlns='jabber:client' from='alice@example.org/phone' to='bob@example.org' type='chat' id='a1b2c3d4'><body>see you at eight, bring the charger</body></message>`)
	b.ReportAllocs()
	b.SetBytes(int64(len(stanza)))
	i := 0
	for b.Loop() {
		if _, err := a.Append(ctx, fmt.Sprintf("user%d@example.org", i%100), mam.Record{Time: time.Now(), With: "bob@example.org", Stanza: stanza}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if _, err := a.Query(ctx, "user0@example.org", mam.Query{}); err != nil {
		b.Fatal(err)
	}
}

// reportPercentiles adds the median and 99th percentile of lat, in µs.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
