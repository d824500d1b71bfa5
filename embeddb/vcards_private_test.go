package embeddb_test

import (
	"errors"
	"io/fs"
	"testing"

	"xmppbox/server/mod/private"
	"xmppbox/server/mod/vcard"
)

// TestVCardsPrivateInvalid: keys that would break the layout are refused with fs.ErrInvalid.
func TestVCardsPrivateInvalid(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	entry := func(space, local string) []private.Entry {
		return []private.Entry{{Space: space, Local: local, XML: []byte("<x/>")}}
	}
	tests := []struct {
		name string
		run  func() error
	}{
		{"VCardEmptyOwner", func() error { return db.VCards().Put(ctx, "", vcard.Card{XML: []byte("<vCard/>")}) }},
		{"VCardFullJID", func() error { _, err := db.VCards().Get(ctx, "alice@example.org/phone"); return err }},
		{"PhotoHashNUL", func() error { _, err := db.VCards().PhotoHash(ctx, "al\x00ice@example.org"); return err }},
		{"PrivateEmptyOwner", func() error { return db.Private().Put(ctx, "", entry("urn:x", "x"), 10) }},
		{"PrivateNULInNamespace", func() error { return db.Private().Put(ctx, alice, entry("urn:\x00x", "x"), 10) }},
		{"PrivateNULInName", func() error { _, err := db.Private().Get(ctx, alice, "urn:x", "x\x00y"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("err = %v, want fs.ErrInvalid", err)
			}
		})
	}
}

// TestDeleteAccountRemovesVCardAndPrivate: an account's vCard and private XML go with it,
// and a re-created account starts with neither (and with an empty private entry count).
func TestDeleteAccountRemovesVCardAndPrivate(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	for _, owner := range []string{alice, aliceEvil} {
		if err := db.Accounts().CreateAccount(ctx, owner, creds(1)); err != nil {
			t.Fatal(err)
		}
		if err := db.VCards().Put(ctx, owner, vcard.Card{XML: []byte("<vCard xmlns='vcard-temp'/>"), PhotoHash: "ab"}); err != nil {
			t.Fatal(err)
		}
		if err := db.Private().Put(ctx, owner, []private.Entry{
			{Space: "storage:bookmarks", Local: "storage", XML: []byte("<storage xmlns='storage:bookmarks'/>")},
		}, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VCards().Get(ctx, alice); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("vCard after DeleteAccount: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := db.VCards().PhotoHash(ctx, alice); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("photo hash after DeleteAccount: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := db.Private().Get(ctx, alice, "storage:bookmarks", "storage"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("private XML after DeleteAccount: err = %v, want fs.ErrNotExist", err)
	}
	// The count went too: a new account with the same JID has its whole allowance.
	if err := db.Private().Put(ctx, alice, []private.Entry{{Space: "urn:x", Local: "x", XML: []byte("<x/>")}}, 1); err != nil {
		t.Errorf("first private entry after re-creation at max 1: %v", err)
	}
	if _, err := db.VCards().Get(ctx, aliceEvil); err != nil {
		t.Errorf("%s's vCard after deleting %s: %v", aliceEvil, alice, err)
	}
	if _, err := db.Private().Get(ctx, aliceEvil, "storage:bookmarks", "storage"); err != nil {
		t.Errorf("%s's private XML after deleting %s: %v", aliceEvil, alice, err)
	}
}
