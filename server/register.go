package server

import (
	"xmppbox/server/c2s"
	"xmppbox/server/mod/register"
)

// Accounts is the account store: c2s reads credentials to authenticate, and the register
// module creates accounts, changes passwords and deletes accounts (XEP-0077).
type Accounts interface {
	c2s.Accounts
	register.Accounts
}

// registration hands the register module's per-stream state to c2s, which owns the
// PreAuth interface: a module does not import the connection layer.
type registration struct{ m *register.Module }

func (r registration) Open(remoteIP string) c2s.PreAuthStream { return r.m.Open(remoteIP) }
