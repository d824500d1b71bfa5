package c2s

import (
	"context"

	"xmppbox/server/stanza"
)

// readStanzas is the bound session's loop: every stanza gets its 'from' stamped and goes
// to the router (RFC 6120 §8.1.2.1).
func (c *conn) readStanzas(ctx context.Context) error {
	full, bare := c.res.Full(), c.res.Bare()
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		switch el.Name.Space {
		case stanza.NSClient:
		case nsSM:
			if err := c.handleSM(ctx, el); err != nil {
				return err
			}
			continue
		case nsCSI:
			switch el.Name.Local {
			case "active", "inactive":
				c.setInactive(el.Name.Local == "inactive")
				continue
			}
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		default:
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		}
		switch el.Name.Local {
		case "message", "presence", "iq":
		default:
			return &stanza.StreamError{Condition: stanza.UnsupportedStanzaType}
		}
		if from := el.Get("from"); from != "" && from != full && from != bare {
			// §8.1.2.1: a client may not speak for another address.
			return &stanza.StreamError{Condition: stanza.InvalidFrom}
		}
		el.Set("from", full)
		c.srv.stats.count(&c.srv.stats.in, el.Name.Local)
		if el.Name.Local == "iq" {
			if !c.checkIQ(el) || c.sessionIQ(el) {
				if c.sm != nil {
					c.sm.handled.Add(1)
				}
				continue
			}
		}
		c.srv.cfg.Router.Outbound(ctx, c.res, el)
		if c.sm != nil {
			c.sm.handled.Add(1)
		}
	}
}

// sessionIQ answers the RFC 3921 session IQ, a no-op kept for old clients.
func (c *conn) sessionIQ(el *stanza.Element) bool {
	if el.Get("type") != "set" || el.Child(nsSession, "session") == nil {
		return false
	}
	c.Send(stanza.ResultIQ(el, nil))
	return true
}

// checkIQ enforces RFC 6120 §8.2.3: an id, a known type, and exactly one payload for
// get and set. A bad request is answered here and not routed.
func (c *conn) checkIQ(el *stanza.Element) bool {
	typ := el.Get("type")
	bad := el.Get("id") == ""
	switch typ {
	case "get", "set":
		bad = bad || len(el.ChildElements()) != 1
	case "result", "error":
	default:
		bad = true
	}
	if bad && typ != "error" {
		reply := stanza.ErrorReply(el, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		reply.Set("from", "")
		c.Send(reply)
		return false
	}
	return !bad
}
