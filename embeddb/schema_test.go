package embeddb

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func openRaw(t *testing.T) *badger.DB {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	return bdb
}

func TestEnsureSchema(t *testing.T) {
	// ran records the migrations run, as "from:name".
	var ran []string
	step := func(from int, name string, err error) migration {
		return migration{from: from, name: name, run: func(*badger.DB) error {
			ran = append(ran, name)
			return err
		}}
	}
	steps := []migration{step(2, "b", nil), step(1, "a", nil), step(3, "c", nil)}
	failing := []migration{step(1, "a", nil), step(2, "b", errors.New("disk on fire"))}

	tests := []struct {
		name        string
		stored      int // 0: no schema key
		otherData   bool
		current     int
		steps       []migration
		wantRan     []string
		wantVersion int
		wantErr     string // substring; "" for success
	}{
		{name: "Fresh", current: 1, wantVersion: 1},
		{name: "Current", stored: 1, current: 1, wantVersion: 1},
		{name: "MigratesInOrder", stored: 1, current: 4, steps: steps, wantRan: []string{"a", "b", "c"}, wantVersion: 4},
		{name: "MigratesFromMiddle", stored: 3, current: 4, steps: steps, wantRan: []string{"c"}, wantVersion: 4},
		{name: "MissingStep", stored: 1, current: 5, steps: steps, wantRan: []string{"a", "b", "c"}, wantVersion: 4, wantErr: "no migration from version 4"},
		{name: "FailedStepKeepsProgress", stored: 1, current: 3, steps: failing, wantRan: []string{"a", "b"}, wantVersion: 2, wantErr: "disk on fire"},
		{name: "Newer", stored: 2, current: 1, wantVersion: 2, wantErr: "upgrade xmppbox"},
		{name: "DataWithoutSchema", otherData: true, current: 1, wantErr: "not an xmppbox database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = nil
			bdb := openRaw(t)
			if tt.stored > 0 {
				if err := writeSchema(bdb, tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			if tt.otherData {
				if err := bdb.Update(func(txn *badger.Txn) error { return txn.Set([]byte("x"), nil) }); err != nil {
					t.Fatal(err)
				}
			}
			err := ensureSchema(bdb, slog.New(slog.DiscardHandler), tt.current, tt.steps)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("ensureSchema = %v, want error containing %q", err, tt.wantErr)
			}
			if !slices.Equal(ran, tt.wantRan) {
				t.Errorf("ran %q, want %q", ran, tt.wantRan)
			}
			if v, err := readSchema(bdb); err != nil || v != tt.wantVersion {
				t.Errorf("stored version = %d, %v; want %d", v, err, tt.wantVersion)
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSchema(db.bdb, schemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Twice: the refused Open must have released the directory lock.
	for range 2 {
		db, err := Open(Options{Dir: dir})
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded")
		}
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Errorf("Open: err = %v, want ErrSchemaTooNew", err)
		}
	}
}
