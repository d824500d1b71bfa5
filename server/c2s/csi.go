package c2s

import "xmppbox/server/stanza"

// nsCSI is XEP-0352 Client State Indication.
const nsCSI = "urn:xmpp:csi:0"

// maxHeld bounds what an inactive client's connection holds back.
const maxHeld = 500

const nsChatStates = "http://jabber.org/protocol/chatstates"

// held is what an inactive client (XEP-0352) has not been sent yet: the latest presence
// and chat state per sender, in the order the senders first appeared. It is guarded by
// conn.wmu.
type held struct {
	order []string
	last  map[string]*stanza.Element
}

// hold keeps an unimportant stanza back, replacing an older one from the same sender,
// and reports whether it did. Important stanzas are not held: they flush what is.
func (h *held) hold(el *stanza.Element) bool {
	if !unimportant(el) {
		return false
	}
	key := el.Name.Local + " " + el.Get("from")
	if h.last == nil {
		h.last = make(map[string]*stanza.Element)
	}
	if _, ok := h.last[key]; !ok {
		h.order = append(h.order, key)
	}
	h.last[key] = el.Copy()
	return true
}

// take returns the held stanzas in order and empties h.
func (h *held) take() []*stanza.Element {
	out := make([]*stanza.Element, 0, len(h.order))
	for _, k := range h.order {
		out = append(out, h.last[k])
	}
	h.order, h.last = nil, nil
	return out
}

func (h *held) len() int { return len(h.order) }

// unimportant tells stanzas an inactive client need not get at once: presence updates
// (not subscription requests or errors) and messages that carry only a chat state.
func unimportant(el *stanza.Element) bool {
	switch el.Name.Local {
	case "presence":
		t := el.Get("type")
		return t == "" || t == "unavailable"
	case "message":
		children := el.ChildElements()
		if len(children) == 0 || el.Get("type") == "error" {
			return false
		}
		for _, c := range children {
			if c.Name.Space != nsChatStates {
				return false
			}
		}
		return true
	}
	return false
}

// setInactive handles <active/> and <inactive/>; going active sends what was held.
func (c *conn) setInactive(inactive bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.inactive = inactive
	if !inactive {
		c.releaseHeldLocked()
	}
}

// releaseHeldLocked queues the held stanzas. Call with wmu held.
func (c *conn) releaseHeldLocked() {
	if c.held.len() == 0 {
		return
	}
	for _, el := range c.held.take() {
		c.enqueueLocked(el)
	}
}
