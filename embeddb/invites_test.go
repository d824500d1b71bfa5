package embeddb_test

import (
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/embeddb"
	"xmppbox/server/mod/register"
	"xmppbox/server/mod/register/registertest"
)

var (
	_ register.Invites   = (*embeddb.Invites)(nil)
	_ registertest.Store = (*embeddb.Invites)(nil)
	_ admin.InviteStore  = (*embeddb.Invites)(nil)
	_ register.Accounts  = (*embeddb.Accounts)(nil)
)

func TestInvitesConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			registertest.Run(t, func(t *testing.T) registertest.Store { return b.open(t).Invites() })
		})
	}
}

// TestInvitesSurviveReopen: an invitation handed out stays valid across a restart.
func TestInvitesSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := embeddb.Open(embeddb.Options{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	inv := register.Invite{Token: "t0ken", Created: time.Now(), Expires: time.Now().Add(time.Hour), Uses: 2}
	if err := db.Invites().CreateInvite(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invites().ConsumeInvite(t.Context(), "t0ken"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDir(t, dir)
	got, err := db.Invites().Invite(t.Context(), "t0ken")
	if err != nil || got.Uses != 1 || !got.Expires.Equal(inv.Expires) {
		t.Errorf("after reopening, Invite = %+v, %v; want one use left, expiring %v", got, err, inv.Expires)
	}
}
