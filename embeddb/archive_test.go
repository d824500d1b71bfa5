package embeddb_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
