package peptest

import (
	"testing"

	"xmppbox/server/mod/pep"
)

func TestMemStore(t *testing.T) {
	Run(t, func(t *testing.T) pep.Store { return NewMemStore() })
}
