package muc

import (
	"context"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// Namespaces of room registration (§7.10).
const (
	NSRegister     = "jabber:iq:register"                      // XEP-0077
	NSRegisterForm = "http://jabber.org/protocol/muc#register" // FORM_TYPE of the form
	roomUserNode   = "x-roomuser-item"                         // §7.12 disco node
)

// reservedBy returns the bare JID that reserved nick in the room, or "".
// +checklocks:mu
func (r *room) reservedBy(nick string) string {
	for bare, n := range r.nicks {
		if n == nick {
			return bare
		}
	}
	return ""
}

// registerGet answers a jabber:iq:register get to a room (§7.10): <registered/> with the
// reserved nick for a member that has one, else the muc#register form.
func (m *Module) registerGet(r *room, from jid.JID) (*stanza.Element, error) {
	bare := from.Bare().String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.locked {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	aff := r.aff(bare)
	if aff == "outcast" {
		return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	}
	q := stanza.New(NSRegister, "query")
	if nick := r.nicks[bare]; nick != "" && affRank[aff] >= affRank["member"] {
		return q.Append(stanza.New(NSRegister, "registered"), stanza.New(NSRegister, "username").AppendText(nick)), nil
	}
	return q.Append(
		stanza.New(NSRegister, "instructions").AppendText("Fill in the form to register with the room."),
		stanza.New(NSData, "x", "type", "form").Append(
			stanza.New(NSData, "title").AppendText("Room registration"),
			field("FORM_TYPE", "hidden", NSRegisterForm),
			labelled(stanza.New(NSData, "field", "var", "muc#register_roomnick", "type", "text-single").
				Append(stanza.New(NSData, "required")), "Desired nickname"),
		)), nil
}

// registerSet handles a submitted muc#register form (§7.10): the sender becomes a member
// (in an open room; in a members-only room it must be one already) and its nick is
// reserved. A nick reserved by, or in use by, another account is a conflict.
func (m *Module) registerSet(ctx context.Context, r *room, from jid.JID, q *stanza.Element) error {
	form := q.Child(NSData, "x")
	if form == nil || form.Get("type") != "submit" || formType(form) != NSRegisterForm {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "a muc#register form is required"}
	}
	nick := formValues(form)["muc#register_roomnick"]
	if nick == "" {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "muc#register_roomnick is required"}
	}
	if _, err := jid.New("x", "y", nick); err != nil {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed, Text: "not a valid nickname"}
	}
	bare := from.Bare().String()
	r.mu.Lock()
	if r.locked || r.destroyed {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	aff := r.aff(bare)
	switch {
	case aff == "outcast":
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	case r.cfg.MembersOnly && affRank[aff] < affRank["member"]:
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Auth, Condition: stanza.RegistrationRequired, Text: "only members may register with this room"}
	}
	if other := r.reservedBy(nick); other != "" && other != bare {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict}
	}
	if o := r.occupants[nick]; o != nil && o.bare != bare {
		r.mu.Unlock()
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict}
	}
	if affRank[aff] < affRank["member"] {
		r.affs[bare] = "member"
	}
	if r.nicks == nil {
		r.nicks = map[string]string{}
	}
	r.nicks[bare] = nick
	saved, persistent := r.stored(), r.cfg.Persistent
	r.mu.Unlock()
	if persistent {
		m.save(ctx, saved, true)
	}
	return nil
}

// reservedNick answers disco#info with node x-roomuser-item (§7.12): an identity naming
// the sender's reserved nick, or an empty query when it has none.
func (m *Module) reservedNick(r *room, from jid.JID) *stanza.Element {
	r.mu.Lock()
	nick := r.nicks[from.Bare().String()]
	r.mu.Unlock()
	q := stanza.New(NSInfo, "query", "node", roomUserNode)
	if nick != "" {
		q.Append(stanza.New(NSInfo, "identity", "category", "conference", "type", "text", "name", nick))
	}
	return q
}
