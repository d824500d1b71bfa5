package muc

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// message handles messages to a room (groupchat, subject, invitations, voice requests)
// and to an occupant (private messages, §7.5).
func (m *Module) message(ctx context.Context, st *stanza.Element, from, to jid.JID) {
	if st.Get("type") == "error" {
		// An occupant's client bounced a room message: it is gone (§7.14 ghosts). Only a
		// bounce from a joined session to the room itself counts.
		if to.Resourcepart() == "" {
			m.leave(ctx, nil, from, to, true)
		}
		return
	}
	r, err := m.lookup(ctx, to.Bare().String())
	if err != nil || r == nil {
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound})
		return
	}
	if to.Resourcepart() != "" {
		m.private(ctx, r, st, from, to)
		return
	}
	if x := st.Child(NSUser, "x"); x != nil && x.Child(NSUser, "invite") != nil {
		m.invite(ctx, r, st, from, x)
		return
	}
	if st.Get("type") != "groupchat" {
		if form := st.Child(NSData, "x"); form != nil && formType(form) == NSRequest {
			m.voiceRequest(ctx, r, st, from, form)
			return
		}
		m.bounce(ctx, st, r.jid, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		return
	}
	m.groupchat(ctx, r, st, from)
}

// groupchat reflects a message to every occupant (§7.4) and keeps it for history.
func (m *Module) groupchat(ctx context.Context, r *room, st *stanza.Element, from jid.JID) {
	now := m.opts.Now()
	subject := st.Child(stanza.NSClient, "subject")
	body := st.Child(stanza.NSClient, "body")
	r.mu.Lock()
	o := r.byReal[from.String()]
	var refusal *stanza.Error
	switch {
	case o == nil:
		refusal = &stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "join the room first"}
	case o.role == "visitor":
		refusal = &stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden, Text: "you have no voice"}
	case subject != nil && body == nil && !(o.role == "moderator" || (r.cfg.ChangeSubject && o.role == "participant")):
		refusal = &stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden, Text: "you may not change the subject"}
	case !o.allow(now, m.opts):
		refusal = &stanza.Error{Type: stanza.Wait, Condition: stanza.ResourceConstraint, Text: "too many messages; slow down"}
	}
	if refusal != nil {
		r.mu.Unlock()
		m.bounce(ctx, st, r.jid, *refusal)
		return
	}
	out := stanza.New(stanza.NSClient, "message", "type", "groupchat", "from", r.bare+"/"+o.nick)
	if id := st.Get("id"); id != "" {
		out.Set("id", id)
	}
	if lang := st.Get("xml:lang"); lang != "" {
		out.Set("xml:lang", lang)
	}
	for _, c := range st.ChildElements() {
		switch {
		case c.Name.Space == NSSID && c.Name.Local == "stanza-id" && c.Get("by") == r.bare,
			c.Name.Space == NSOccID, c.Name.Space == NSDelay:
			continue // the room's own marks are the room's to set (XEP-0359 §5, XEP-0421 §4)
		}
		out.Append(c.Copy())
	}
	out.Append(stanza.New(NSOccID, "occupant-id", "id", o.id))
	out.Append(stanza.New(NSSID, "stanza-id", "id", m.stanzaID(ctx, r, out), "by", r.bare)) // archives it (mam.go)
	persist := false
	if subject != nil && body == nil {
		r.subject, r.subjectBy = subject.Text(), o.nick
		persist = r.cfg.Persistent
	} else if body != nil && r.cfg.HistoryLength > 0 {
		keep := out.Copy()
		r.history = append(r.history, historyEntry{msg: keep, stamp: now, chars: len(keep.AppendXML(nil, stanza.NSClient))})
		if limit := min(r.cfg.HistoryLength, m.opts.MaxHistory); len(r.history) > limit {
			r.history = append(r.history[:0:0], r.history[len(r.history)-limit:]...)
		}
	}
	targets := r.targets(nil)
	saved := r.stored()
	r.mu.Unlock()
	if persist {
		m.save(ctx, saved, true)
	}
	for _, t := range targets {
		m.send(ctx, out, t.full)
	}
}

// allow takes one token from the occupant's bucket. Guarded by the room's mu.
func (o *occupant) allow(now time.Time, opts Options) bool {
	o.tokens += now.Sub(o.last).Seconds() * opts.MessagesPerSec
	o.last = now
	if max := float64(opts.MessageBurst); o.tokens > max {
		o.tokens = max
	}
	if o.tokens < 1 {
		return false
	}
	o.tokens--
	return true
}

// private relays a message between occupants (§7.5).
func (m *Module) private(ctx context.Context, r *room, st *stanza.Element, from, to jid.JID) {
	now := m.opts.Now()
	r.mu.Lock()
	sender := r.byReal[from.String()]
	recipient := r.occupants[to.Resourcepart()]
	var refusal *stanza.Error
	switch {
	case sender == nil:
		refusal = &stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "join the room first"}
	case recipient == nil:
		refusal = &stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	case st.Get("type") == "groupchat":
		refusal = &stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	case !r.cfg.AllowPM && sender.role != "moderator":
		refusal = &stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed, Text: "private messages are not allowed here"}
	case !sender.allow(now, m.opts):
		refusal = &stanza.Error{Type: stanza.Wait, Condition: stanza.ResourceConstraint, Text: "too many messages; slow down"}
	}
	if refusal != nil {
		r.mu.Unlock()
		m.bounce(ctx, st, to, *refusal)
		return
	}
	fulls := append([]string(nil), recipient.order...)
	fromNick, senderID := sender.nick, sender.id
	r.mu.Unlock()
	out := st.Copy()
	out.Set("from", r.bare+"/"+fromNick)
	if out.Child(NSUser, "x") == nil {
		out.Append(stanza.New(NSUser, "x"))
	}
	out.Append(stanza.New(NSOccID, "occupant-id", "id", senderID))
	for _, f := range fulls {
		m.send(ctx, out, f)
	}
}

// invite relays a mediated invitation (§7.8.2); in a members-only room an admin's or
// owner's invitation makes the invitee a member.
func (m *Module) invite(ctx context.Context, r *room, st *stanza.Element, from jid.JID, x *stanza.Element) {
	r.mu.Lock()
	o := r.byReal[from.String()]
	inviterAff := r.aff(from.Bare().String())
	if o == nil {
		r.mu.Unlock()
		m.bounce(ctx, st, r.jid, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable})
		return
	}
	if r.cfg.MembersOnly && affRank[inviterAff] < affRank["admin"] {
		r.mu.Unlock()
		m.bounce(ctx, st, r.jid, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden})
		return
	}
	password := r.cfg.Password
	for _, inv := range x.ChildElements() {
		if inv.Name.Local != "invite" {
			continue
		}
		to, err := jid.Parse(inv.Get("to"))
		if err != nil {
			continue
		}
		if r.cfg.MembersOnly && affRank[r.aff(to.Bare().String())] < affRank["member"] {
			r.affs[to.Bare().String()] = "member"
		}
	}
	saved, persistent := r.stored(), r.cfg.Persistent
	r.mu.Unlock()
	if persistent {
		m.save(ctx, saved, true)
	}
	for _, inv := range x.ChildElements() {
		if inv.Name.Local != "invite" {
			continue
		}
		to, err := jid.Parse(inv.Get("to"))
		if err != nil {
			continue
		}
		out := stanza.New(stanza.NSClient, "message", "from", r.bare, "id", newID())
		ux := stanza.New(NSUser, "x")
		in := stanza.New(NSUser, "invite", "from", from.String())
		if reason := inv.Child(NSUser, "reason"); reason != nil {
			in.Append(reason.Copy())
		}
		ux.Append(in)
		if password != "" {
			ux.Append(stanza.New(NSUser, "password").AppendText(password))
		}
		out.Append(ux)
		m.send(ctx, out, to.String())
	}
}

// voiceRequest forwards a visitor's request for voice to the moderators (§8.6).
func (m *Module) voiceRequest(ctx context.Context, r *room, st *stanza.Element, from jid.JID, form *stanza.Element) {
	r.mu.Lock()
	o := r.byReal[from.String()]
	if o == nil {
		r.mu.Unlock()
		m.bounce(ctx, st, r.jid, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable})
		return
	}
	nick, realJID := o.nick, from.String()
	var moderators []string
	for _, other := range r.occupants {
		if other.role == "moderator" {
			moderators = append(moderators, other.order...)
		}
	}
	r.mu.Unlock()
	out := stanza.New(stanza.NSClient, "message", "from", r.bare, "id", newID())
	x := stanza.New(NSData, "x", "type", "form").Append(
		stanza.New(NSData, "title").AppendText("Voice request"),
		field("FORM_TYPE", "hidden", NSRequest),
		field("muc#role", "list-single", "participant"),
		field("muc#jid", "jid-single", realJID),
		field("muc#roomnick", "text-single", nick),
		field("muc#request_allow", "boolean", "false"),
	)
	out.Append(x)
	for _, f := range moderators {
		m.send(ctx, out, f)
	}
}
