package blockingtest_test

import (
	"testing"

	"xmppbox/server/mod/blocking"
	"xmppbox/server/mod/blocking/blockingtest"
)

func TestMemStore(t *testing.T) {
	blockingtest.Run(t, func(*testing.T) blocking.Store { return blockingtest.NewMemStore() })
}
