package embeddb_test

import (
	"errors"
	"io/fs"
	"testing"

	"xmppbox/embeddb"
	"xmppbox/server/mod/pep"
	"xmppbox/server/mod/pep/peptest"
)

var _ pep.Store = (*embeddb.PEP)(nil)

func TestPEPConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			peptest.Run(t, func(t *testing.T) pep.Store { return b.open(t).PEP() })
		})
	}
}

// TestPEPSurvivesReopen: nodes and items are on disk, in order, after a restart.
func TestPEPSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg := pep.Config{AccessModel: "open", PersistItems: true, MaxItems: 2}
	if err := db.PEP().CreateNode(ctx, alice, "urn:xmpp:omemo:2:bundles", cfg); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"1", "2", "3"} {
		if err := db.PEP().PutItem(ctx, alice, "urn:xmpp:omemo:2:bundles", pep.Item{ID: id, Payload: []byte("<b/>")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDir(t, dir)
	items, err := db.PEP().Items(ctx, alice, "urn:xmpp:omemo:2:bundles", 0)
	if err != nil || len(items) != 2 || items[0].ID != "2" || items[1].ID != "3" {
		t.Fatalf("after reopening: %+v, %v; want items 2 and 3", items, err)
	}
	// The sequence continues after the reopen: a new item is the newest.
	if err := db.PEP().PutItem(ctx, alice, "urn:xmpp:omemo:2:bundles", pep.Item{ID: "4"}); err != nil {
		t.Fatal(err)
	}
	if last, err := db.PEP().Items(ctx, alice, "urn:xmpp:omemo:2:bundles", 1); err != nil || len(last) != 1 || last[0].ID != "4" {
		t.Errorf("last item after reopen and publish = %+v, %v; want 4", last, err)
	}
}

// TestDeleteAccountRemovesPEP: an account's nodes and items go with it.
func TestDeleteAccountRemovesPEP(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	if err := db.Accounts().CreateAccount(ctx, alice, creds(1)); err != nil {
		t.Fatal(err)
	}
	cfg := pep.Config{AccessModel: "presence", PersistItems: true, MaxItems: 10}
	for _, owner := range []string{alice, aliceEvil} {
		if err := db.PEP().CreateNode(ctx, owner, "urn:xmpp:avatar:metadata", cfg); err != nil {
			t.Fatal(err)
		}
		if err := db.PEP().PutItem(ctx, owner, "urn:xmpp:avatar:metadata", pep.Item{ID: "h", Payload: []byte("<m/>")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	if nodes, err := db.PEP().Nodes(ctx, alice); err != nil || len(nodes) != 0 {
		t.Errorf("after DeleteAccount, Nodes = %q, %v; want none", nodes, err)
	}
	if _, err := db.PEP().Item(ctx, alice, "urn:xmpp:avatar:metadata", "h"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after DeleteAccount, Item: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := db.PEP().Item(ctx, aliceEvil, "urn:xmpp:avatar:metadata", "h"); err != nil {
		t.Errorf("deleting %s took %s's item: %v", alice, aliceEvil, err)
	}
}

func TestPEPRefusesBadNames(t *testing.T) {
	s := openMem(t).PEP()
	ctx := t.Context()
	for _, c := range []struct{ owner, node string }{{"", "n"}, {alice, ""}, {alice, "a\x00b"}, {"alice@example.org/res", "n"}} {
		if err := s.CreateNode(ctx, c.owner, c.node, pep.Config{}); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CreateNode(%q, %q): err = %v, want fs.ErrInvalid", c.owner, c.node, err)
		}
	}
	if err := s.CreateNode(ctx, alice, "n", pep.Config{MaxItems: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutItem(ctx, alice, "n", pep.Item{ID: ""}); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("PutItem with an empty ID: err = %v, want fs.ErrInvalid", err)
	}
}
