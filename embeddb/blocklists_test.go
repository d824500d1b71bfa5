package embeddb_test

import (
	"testing"

	"xmppbox/embeddb"
	"xmppbox/server/mod/blocking"
	"xmppbox/server/mod/blocking/blockingtest"
	"xmppbox/server/sasl"
)

var _ blocking.Store = (*embeddb.Blocklists)(nil)

func TestBlocklistsConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			blockingtest.Run(t, func(t *testing.T) blocking.Store { return b.open(t).Blocklists() })
		})
	}
}

// TestDeleteAccountRemovesBlocklist: an account's block list goes with the account, so a
// new account of the same name starts with none.
func TestDeleteAccountRemovesBlocklist(t *testing.T) {
	db := openMem(t)
	ctx := t.Context()
	const alice = "alice@example.org"
	creds, err := sasl.NewCredentials("pw-alice-1", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Accounts().CreateAccount(ctx, alice, creds); err != nil {
		t.Fatal(err)
	}
	if err := db.Blocklists().Block(ctx, alice, []string{"bob@example.org", "spam.example"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Accounts().DeleteAccount(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Blocklists().Blocked(ctx, alice); err != nil || len(got) != 0 {
		t.Errorf("Blocked after DeleteAccount = %q, %v; want none", got, err)
	}
}
