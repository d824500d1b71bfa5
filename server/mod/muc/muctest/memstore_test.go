package muctest

import (
	"testing"

	"xmppbox/server/mod/muc"
)

func TestMemStore(t *testing.T) {
	Store(t, func(*testing.T) muc.Store { return NewMemStore() })
}
