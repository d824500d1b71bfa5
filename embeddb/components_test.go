package embeddb_test

import (
	"testing"

	"xmppbox/admin"
	"xmppbox/embeddb"
	"xmppbox/server/component"
	"xmppbox/server/component/componenttest"
)

var (
	_ component.Secrets    = (*embeddb.Components)(nil)
	_ componenttest.Store  = (*embeddb.Components)(nil)
	_ admin.ComponentStore = (*embeddb.Components)(nil)
)

func TestComponentsConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			componenttest.Run(t, func(t *testing.T) componenttest.Store { return b.open(t).Components() })
		})
	}
}

// TestComponentsSurviveReopen: a component configured once connects after a restart.
func TestComponentsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db := openDir(t, dir)
	if err := db.Components().AddComponent(t.Context(), "irc.example.org", "s3cret-s3cret-s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDir(t, dir)
	if got, err := db.Components().ComponentSecret(t.Context(), "irc.example.org"); err != nil || got != "s3cret-s3cret-s3cret" {
		t.Errorf("after reopening, ComponentSecret = %q, %v", got, err)
	}
}
