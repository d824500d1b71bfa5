package rostertest_test

import (
	"testing"

	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/roster/rostertest"
)

func TestMemStore(t *testing.T) {
	rostertest.Run(t, func(*testing.T) roster.Store { return rostertest.NewMemStore() })
}
