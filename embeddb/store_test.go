package embeddb_test

import (
	"testing"

	"xmppbox/admin"
	"xmppbox/embeddb"
	"xmppbox/server/mod/offline"
	"xmppbox/server/mod/offline/offlinetest"
	"xmppbox/server/mod/private"
	"xmppbox/server/mod/private/privatetest"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/mod/vcard"
	"xmppbox/server/mod/vcard/vcardtest"
)

var (
	_ admin.AccountStore = (*embeddb.Accounts)(nil)
	_ roster.Store       = (*embeddb.Rosters)(nil)
	_ offline.Store      = (*embeddb.Offline)(nil)
	_ vcard.Store        = (*embeddb.VCards)(nil)
	_ private.Store      = (*embeddb.Private)(nil)
)

// backends are the ways a test opens a database: the conformance suites run
// against both, since only the disk one syncs, GCs and locks.
var backends = []struct {
	name string
	open func(t *testing.T) *embeddb.DB
}{
	{"InMemory", openMem},
	{"OnDisk", func(t *testing.T) *embeddb.DB { return openDir(t, t.TempDir()) }},
}

func openMem(t *testing.T) *embeddb.DB {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{InMemory: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	return db
}

func openDir(t *testing.T, dir string) *embeddb.DB {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	return db
}

func closeDB(t *testing.T, db *embeddb.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestRostersConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			rostertest.Run(t, func(t *testing.T) roster.Store { return b.open(t).Rosters() })
		})
	}
}

func TestOfflineConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			offlinetest.Run(t, func(t *testing.T) offline.Store { return b.open(t).Offline() })
		})
	}
}

func TestVCardsConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			vcardtest.Run(t, func(t *testing.T) vcard.Store { return b.open(t).VCards() })
		})
	}
}

func TestPrivateConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			privatetest.Run(t, func(t *testing.T) private.Store { return b.open(t).Private() })
		})
	}
}
