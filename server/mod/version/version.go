// Package version answers XEP-0092 Software Version for the server. The operating system
// is left out on purpose: it tells an attacker more than it tells a user.
package version

import (
	"context"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// NS is the XEP-0092 namespace.
const NS = "jabber:iq:version"

// Module answers version queries.
type Module struct {
	Version string // the running build's version
}

// Register wires the version IQ.
func (m Module) Register(r *router.Router) {
	r.RegisterFeature(NS)
	r.RegisterIQ("get", NS, router.ToServer, m.answer)
}

func (m Module) answer(context.Context, router.IQ) (*stanza.Element, error) {
	return stanza.New(NS, "query").Append(
		stanza.New(NS, "name").AppendText("xmppbox"),
		stanza.New(NS, "version").AppendText(m.Version),
	), nil
}
