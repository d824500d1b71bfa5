package embeddb_test

import (
	"testing"

	"xmppbox/embeddb"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/muc/muctest"
)

var _ muc.Store = (*embeddb.Rooms)(nil)

func TestRoomsConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			muctest.Store(t, func(t *testing.T) muc.Store { return b.open(t).Rooms() })
		})
	}
}
