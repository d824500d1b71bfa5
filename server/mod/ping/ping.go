// Package ping answers XEP-0199 XMPP Ping addressed to the server or to the client's own
// account. Server-initiated pings to find dead connections are not implemented here.
package ping

import (
	"context"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// NS is the XEP-0199 namespace.
const NS = "urn:xmpp:ping"

// Module answers pings.
type Module struct{}

// Register wires the ping IQ.
func (Module) Register(r *router.Router) {
	r.RegisterFeature(NS)
	r.RegisterIQ("get", NS, router.ToServer, pong)
	r.RegisterIQ("get", NS, router.ToSelf, pong)
}

func pong(context.Context, router.IQ) (*stanza.Element, error) { return nil, nil }
