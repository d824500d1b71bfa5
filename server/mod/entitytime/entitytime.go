// Package entitytime answers XEP-0202 Entity Time for the server.
package entitytime

import (
	"context"
	"time"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// NS is the XEP-0202 namespace.
const NS = "urn:xmpp:time"

// Module answers time queries.
type Module struct {
	Now func() time.Time // the clock; time.Now in production
}

// Register wires the time IQ.
func (m Module) Register(r *router.Router) {
	r.RegisterFeature(NS)
	r.RegisterIQ("get", NS, router.ToServer, m.answer)
}

func (m Module) answer(context.Context, router.IQ) (*stanza.Element, error) {
	now := m.Now()
	return stanza.New(NS, "time").Append(
		stanza.New(NS, "tzo").AppendText(now.Format("-07:00")),
		stanza.New(NS, "utc").AppendText(now.UTC().Format("2006-01-02T15:04:05Z")),
	), nil
}
