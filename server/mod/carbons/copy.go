package carbons

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// Payloads XEP-0280 §6 names as instant messaging (chat states, receipts, markers) or as
// invitations (XEP-0249 direct, XEP-0045 mediated), and the MUC user namespace that marks
// private messages from room occupants.
const (
	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsReceipts   = "urn:xmpp:receipts"
	nsMarkers    = "urn:xmpp:chat-markers:0"
	nsConference = "jabber:x:conference"
	nsMUCUser    = "http://jabber.org/protocol/muc#user"
)

// eligible applies XEP-0280 §6 (urn:xmpp:carbons:rules:0) to a message a local user sent
// (inbound false) or received (inbound true). A message is never copied when it carries
// <private/> (§8) or <no-copy/> (XEP-0334 §4.2), or when it is itself a copy: carbons of
// carbons would loop between the user's resources.
func eligible(msg *stanza.Element, inbound bool) bool {
	typ := msg.Get("type")
	if typ == "groupchat" {
		// The room sends these to each joined client itself.
		return false
	}
	var body, imPayload, invite, mucUser bool
	for _, n := range msg.Children {
		c, ok := n.(*stanza.Element)
		if !ok || c == nil {
			continue
		}
		switch c.Name.Space {
		case NS:
			// <private/>, <sent/> or <received/>.
			return false
		case NSHints:
			if c.Name.Local == "no-copy" {
				return false
			}
		case stanza.NSClient:
			body = body || c.Name.Local == "body"
		case nsChatStates, nsReceipts, nsMarkers:
			imPayload = true
		case nsConference:
			invite = invite || c.Name.Local == "x"
		case nsMUCUser:
			mucUser = true
			invite = invite || c.Child(nsMUCUser, "invite") != nil
		}
	}
	from := msg.Get("from")
	switch {
	case invite:
		return true
	case inbound && mucUser && strings.IndexByte(from, '/') >= 0:
		// A private message from a room occupant: the room already sends it to every
		// client that joined.
		return false
	}
	switch typ {
	case "chat":
		return true
	case "", "normal":
		if body {
			return true
		}
	case "error":
		// §6 copies errors to eligible messages, which needs tracking what was sent. A
		// message to a bare JID bounces from that bare JID, and messages to bare JIDs are
		// the usual chats, so such errors are copied; errors a client sends are not.
		return inbound && from != "" && strings.IndexByte(from, '/') < 0
	}
	return imPayload
}

// outbound sends <sent/> copies of a message a local client sends to the account's other
// carbons-enabled resources (XEP-0280 §7). The sender itself gets none, enabled or not.
func (m *Module) outbound(ctx context.Context, res *session.Resource, st *stanza.Element, to jid.JID) bool {
	if st.Name.Local != "message" {
		return true
	}
	bare := res.Bare()
	targets := m.enabledOf(bare)
	if len(targets) == 0 || (len(targets) == 1 && targets[0] == res) {
		return true
	}
	if to.Domainpart() == "" || to.Bare().String() == bare {
		// To the user's own account: the other resources get the message itself, or a
		// <received/> copy when it went to one resource only.
		return true
	}
	if !eligible(st, false) {
		return true
	}
	m.send(ctx, "sent", bare, st, targets, func(r *session.Resource) bool { return r != res })
	return true
}

// inbound removes <private/> from a message on its way to a local account (XEP-0280 §8:
// the receiving server SHOULD) and remembers that the message must not be copied.
func (m *Module) inbound(_ context.Context, st *stanza.Element, _ jid.JID) bool {
	if st.Name.Local != "message" {
		return true
	}
	i := slices.IndexFunc(st.Children, func(n stanza.Node) bool {
		c, ok := n.(*stanza.Element)
		return ok && c != nil && c.Name.Space == NS && c.Name.Local == "private"
	})
	if i < 0 {
		return true
	}
	st.Children = slices.Delete(st.Children, i, i+1)
	m.private.add(st)
	return true
}

// delivered sends <received/> copies of a message delivered to some resources of a local
// account to its carbons-enabled resources that did not get it (XEP-0280 §6): the others,
// when it went to a full JID, or those with a negative priority, when it went to the bare
// JID. Nothing is copied for a message kept offline.
func (m *Module) delivered(ctx context.Context, msg *stanza.Element, _ jid.JID, delivered []*session.Resource) {
	if m.private.take(msg) || len(delivered) == 0 {
		return
	}
	bare := delivered[0].Bare()
	targets := m.enabledOf(bare)
	if len(targets) == 0 {
		return
	}
	from := msg.Get("from")
	missed := func(r *session.Resource) bool {
		// The sender is one of the account's own resources when the user wrote to
		// another of them; it has the message already.
		return !slices.Contains(delivered, r) && r.Full() != from
	}
	if !slices.ContainsFunc(targets, missed) || !eligible(msg, true) {
		return
	}
	m.send(ctx, "received", bare, msg, targets, missed)
}

// send wraps a copy of msg in <dir><forwarded/></dir> (XEP-0297) and queues it for each
// target that want accepts, from the account's bare JID as §6 and §7 require.
func (m *Module) send(ctx context.Context, dir, bare string, msg *stanza.Element, targets []*session.Resource, want func(*session.Resource) bool) {
	// One forwarded copy serves every wrapper: nothing changes it once it is built, and
	// a connection encodes or copies what it is given before Send returns.
	fwd := stanza.New(NSForward, "forwarded").Append(msg.Copy())
	typ := msg.Get("type")
	for _, r := range targets {
		if !want(r) {
			continue
		}
		wrapper := stanza.New(stanza.NSClient, "message", "from", bare, "to", r.Full(), "type", typ)
		wrapper.Append(stanza.New(NS, dir).Append(fwd))
		if err := r.Send(wrapper); err != nil && m.log.Enabled(ctx, slog.LevelDebug) {
			m.log.LogAttrs(ctx, slog.LevelDebug, "carbon not queued", slog.String("jid", r.Full()), slog.Any("err", err))
		}
	}
}
