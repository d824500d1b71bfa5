package embeddb

import (
	"log/slog"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
)

// TestArchiveChunkedConformance runs the conformance suite with a writer that commits
// only when a query waits for it: the records appended between two queries share one
// chunk per owner (and one index entry per contact), so lookups, paging and retention
// are tested inside and across chunks, not only on chunks of one record.
func TestArchiveChunkedConformance(t *testing.T) {
	for _, inMemory := range []bool{true, false} {
		name := "OnDisk"
		if inMemory {
			name = "InMemory"
		}
		t.Run(name, func(t *testing.T) {
			mamtest.Run(t, func(t *testing.T) mam.Archive {
				dir := ""
				if !inMemory {
					dir = t.TempDir()
				}
				a, err := openArchive(dir, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				a.batchDelay = time.Hour // commit when a query waits
				go a.writer()
				t.Cleanup(func() {
					if err := a.close(); err != nil {
						t.Error(err)
					}
				})
				return a
			})
		})
	}
}

// TestArchiveChunks checks the layout: records committed together share one chunk, and
// the index has one entry per contact of the chunk.
func TestArchiveChunks(t *testing.T) {
	a, err := openArchive("", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.batchDelay = time.Hour // commit when a query waits
	go a.writer()
	defer a.close()
	ctx := t.Context()
	withs := []string{"bob@example.org/a", "carol@example.org", "bob@example.org/b"}
	for i := range 9 {
		if _, err := a.Append(ctx, "alice@example.org", mam.Record{Time: time.Now(), With: withs[i%3], Stanza: []byte("<message/>")}); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := a.Query(ctx, "alice@example.org", mam.Query{Max: 20}); err != nil || p.Count != 9 || len(p.Items) != 9 {
		t.Fatalf("Query: %d items, count %d, %v", len(p.Items), p.Count, err)
	}
	keys := map[string]int{}
	for _, prefix := range [][]byte{mamPrefix("alice@example.org"), mamWithOwnerPrefix("alice@example.org")} {
		err := a.view(ctx, func(txn *badger.Txn) error {
			opts := badger.DefaultIteratorOptions
			opts.Prefix = prefix
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				keys[string(prefix)] += len(v)
				keys[string(prefix)+"#"]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := keys[string(mamPrefix("alice@example.org"))+"#"]; n != 1 {
		t.Errorf("%d chunks, want 1", n)
	}
	if n, size := keys[string(mamWithOwnerPrefix("alice@example.org"))+"#"], keys[string(mamWithOwnerPrefix("alice@example.org"))]; n != 2 || size != 9*idLen {
		t.Errorf("%d index entries of %d bytes, want 2 (bob, carol) of %d", n, size, 9*idLen)
	}
}
