package carbons

import (
	"context"

	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

// toggle answers <enable/> and <disable/> (XEP-0280 §4, §5). Repeating either is not an
// error (§10.1): the state is simply set again.
func (m *Module) toggle(_ context.Context, iq router.IQ) (*stanza.Element, error) {
	if iq.Session == nil {
		// §4.1: only the server's own clients may enable carbons.
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed}
	}
	switch iq.Payload.Name.Local {
	case "enable":
		m.setEnabled(iq.Session, true)
	case "disable":
		m.setEnabled(iq.Session, false)
	default:
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "expected <enable/> or <disable/>"}
	}
	return nil, nil
}
