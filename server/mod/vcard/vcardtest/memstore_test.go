package vcardtest_test

import (
	"testing"

	"xmppbox/server/mod/vcard"
	"xmppbox/server/mod/vcard/vcardtest"
)

func TestMemStore(t *testing.T) {
	vcardtest.Run(t, func(*testing.T) vcard.Store { return vcardtest.NewMemStore() })
}
