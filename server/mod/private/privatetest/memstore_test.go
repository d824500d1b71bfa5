package privatetest_test

import (
	"testing"

	"xmppbox/server/mod/private"
	"xmppbox/server/mod/private/privatetest"
)

func TestMemStore(t *testing.T) {
	privatetest.Run(t, func(*testing.T) private.Store { return privatetest.NewMemStore() })
}
