package component

import (
	"context"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// readStanzas is the authenticated component's loop: each stanza is checked and handed
// to the router as it is (XEP-0114 §3).
func (c *conn) readStanzas(ctx context.Context) error {
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		if el.Name.Space != NS && el.Name.Space != stanza.NSClient {
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		}
		switch el.Name.Local {
		case "message", "presence", "iq":
		default:
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		}
		el.Rename(NS, stanza.NSClient) // the namespace of stanzas inside the server
		if err := c.checkFrom(el); err != nil {
			return err
		}
		if el.Get("to") == "" {
			c.refuse(el, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "a component's stanzas need a 'to' address"})
			continue
		}
		c.srv.cfg.Router.Route(ctx, el)
	}
}

// checkFrom enforces XEP-0114 §3: the component speaks only for its own domain, though
// for any address at it. A missing 'from' is stamped with the domain (see doc.go).
func (c *conn) checkFrom(el *stanza.Element) error {
	raw := el.Get("from")
	if raw == "" {
		el.Set("from", c.domain)
		return nil
	}
	from, err := jid.Parse(raw)
	if err != nil || from.Domainpart() != c.domain {
		return fail(CloseStreamError, stanza.InvalidFrom, "stanzas must come from "+c.domain+" or an address at it")
	}
	return nil
}

// refuse answers a stanza the router will not see with an error, straight down the
// component's stream, unless it is an error itself (RFC 6120 §8.3.1).
func (c *conn) refuse(el *stanza.Element, e stanza.Error) {
	if el.Get("type") == "error" {
		return
	}
	reply := stanza.ErrorReply(el, e)
	if reply.Get("from") == "" {
		reply.Set("from", c.srv.cfg.Domain.String())
	}
	c.Send(reply)
}
