package offlinetest_test

import (
	"testing"

	"xmppbox/server/mod/offline"
	"xmppbox/server/mod/offline/offlinetest"
)

func TestMemStore(t *testing.T) {
	offlinetest.Run(t, func(*testing.T) offline.Store { return offlinetest.NewMemStore() })
}
