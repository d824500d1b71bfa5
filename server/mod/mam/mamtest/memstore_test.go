package mamtest_test

import (
	"testing"

	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
)

func TestMemStore(t *testing.T) {
	mamtest.Run(t, func(*testing.T) mam.Archive { return mamtest.NewMemStore() })
}
