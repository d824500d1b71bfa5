package muc

import (
	"context"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// presence handles presence to room/nick: join (§7.2), nick change (§7.6), presence
// update (§7.7) and leave (§7.14).
func (m *Module) presence(ctx context.Context, st *stanza.Element, from, to jid.JID) {
	typ := st.Get("type")
	switch typ {
	case "", "unavailable":
	case "error":
		// An occupant's client refused our stanza: treat it as gone (§7.14 ghost users).
		m.leave(ctx, st, from, to, true)
		return
	default:
		return
	}
	if typ == "unavailable" {
		m.leave(ctx, st, from, to, false)
		return
	}
	if to.Resourcepart() == "" {
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Modify, Condition: stanza.JIDMalformed, Text: "a nickname is required"})
		return
	}
	for range 3 { // a room removed under us is looked up again
		r, err := m.lookup(ctx, to.Bare().String())
		if err != nil {
			m.log.Error("room lookup failed", "room", to.Bare().String(), "err", err)
			m.bounce(ctx, st, to, stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError})
			return
		}
		created := false
		if r == nil {
			if r, created, err = m.create(to.Bare().String(), from); err != nil {
				m.bounce(ctx, st, to, err.(stanza.Error))
				return
			}
		}
		if m.join(ctx, r, st, from, to, created) {
			return
		}
	}
}

// join adds a session to a room, or updates its presence. It reports false when the room
// was destroyed meanwhile.
func (m *Module) join(ctx context.Context, r *room, st *stanza.Element, from, to jid.JID, created bool) bool {
	nick := to.Resourcepart()
	full := from.String()
	bare := from.Bare().String()
	presence := st.Copy()

	r.mu.Lock()
	if r.destroyed {
		r.mu.Unlock()
		return false
	}
	if o := r.byReal[full]; o != nil {
		if o.nick == nick {
			// §7.7: a presence update; the others see it only for the shown session.
			o.sessions[full] = presence
			if o.order[len(o.order)-1] != full {
				r.mu.Unlock()
				return true
			}
			v := r.view(o)
			targets := r.targets(o)
			nonAnon := r.cfg.nonAnonymous()
			r.mu.Unlock()
			pv := m.buildPresence(r.jid, v, nonAnon, false, nil, []string{"110"}, "", nil, "")
			m.fanOut(ctx, targets, pv)
			return true
		}
		m.changeNick(ctx, r, st, o, nick) // unlocks
		return true
	}
	if st.Child(NS, "x") == nil && created {
		// A presence without <x xmlns=muc> is not a join request; do not create rooms from it.
		r.mu.Unlock()
		m.dropIfEmpty(r)
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound})
		return true
	}
	aff := r.aff(bare)
	if e, refused := r.admit(st, bare, aff, nick); refused {
		r.mu.Unlock()
		m.bounce(ctx, st, to, e)
		return true
	}
	o := r.occupants[nick]
	multi := o != nil // §7.2.? multi-session: the same account, one more resource
	if !multi {
		o = &occupant{nick: nick, bare: bare, id: m.occupantID(r.bare, bare), role: r.roleFor(aff),
			sessions: map[string]*stanza.Element{}, tokens: float64(m.opts.MessageBurst), last: m.opts.Now()}
		r.occupants[nick] = o
	}
	o.sessions[full] = presence
	o.order = append(o.order, full)
	r.byReal[full] = o
	defer m.track(full, r.bare)

	// What the joiner gets: everyone's presence, its own, history, subject (§7.2.3-§7.2.15).
	nonAnon := r.cfg.nonAnonymous()
	var others []occupantView
	for _, other := range r.sortedOccupants() {
		if other != o {
			others = append(others, r.view(other))
		}
	}
	v := r.view(o)
	v.realJID = full
	var targets []target
	if !multi {
		targets = r.targets(o)
	}
	joinerIsModerator := o.role == "moderator"
	history := r.historyFor(st.Child(NS, "x"), m.opts.Now())
	subject, subjectBy := r.subject, r.subjectBy
	r.mu.Unlock()

	self := target{full: full, moderator: joinerIsModerator}
	for _, ov := range others {
		p := m.buildPresence(r.jid, ov, nonAnon, false, nil, nil, "", nil, "")
		m.send(ctx, p.pick(self), full)
	}
	selfCodes := []string{"110"}
	if nonAnon {
		selfCodes = append(selfCodes, "100")
	}
	if created {
		selfCodes = append(selfCodes, "201")
	}
	if nick != to.Resourcepart() {
		selfCodes = append(selfCodes, "210")
	}
	pv := m.buildPresence(r.jid, v, nonAnon, false, nil, selfCodes, "", nil, "")
	if multi {
		m.send(ctx, pv.self, full)
	} else {
		m.fanOut(ctx, targets, pv)
	}
	for _, h := range history {
		m.send(ctx, h, full)
	}
	subj := stanza.New(stanza.NSClient, "message", "type", "groupchat", "id", newID(), "from", r.bare)
	if subjectBy != "" {
		subj.Set("from", r.bare+"/"+subjectBy)
	}
	subj.Append(stanza.New(stanza.NSClient, "subject").AppendText(subject))
	m.send(ctx, subj, full)
	return true
}

// admit applies the entry rules of §7.2.5-§7.2.10 and returns the error for a refusal.
// +checklocks:mu
func (r *room) admit(st *stanza.Element, bare, aff, nick string) (stanza.Error, bool) {
	if r.locked && aff != "owner" {
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound, Text: "the room is locked"}, true
	}
	if aff == "outcast" {
		return stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}, true
	}
	if r.cfg.MembersOnly && affRank[aff] < affRank["member"] {
		return stanza.Error{Type: stanza.Auth, Condition: stanza.RegistrationRequired}, true
	}
	if o := r.occupants[nick]; o != nil && o.bare != bare {
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict}, true
	}
	if owner := r.reservedBy(nick); owner != "" && owner != bare {
		// §7.2.9: the nick is reserved by another member.
		return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict}, true
	}
	if r.cfg.Password != "" && affRank[aff] < affRank["admin"] {
		pw := ""
		if x := st.Child(NS, "x"); x != nil {
			if p := x.Child(NS, "password"); p != nil {
				pw = p.Text()
			}
		}
		if pw != r.cfg.Password {
			return stanza.Error{Type: stanza.Auth, Condition: stanza.NotAuthorized}, true
		}
	}
	if r.occupants[nick] == nil && len(r.occupants) >= r.maxOccupants() && affRank[aff] < affRank["admin"] {
		return stanza.Error{Type: stanza.Wait, Condition: stanza.ServiceUnavailable, Text: "the room is full"}, true
	}
	return stanza.Error{}, false
}

// changeNick renames an occupant (§7.6). It is called with r.mu held and releases it.
func (m *Module) changeNick(ctx context.Context, r *room, st *stanza.Element, o *occupant, nick string) {
	if other := r.occupants[nick]; (other != nil && other != o) || (r.reservedBy(nick) != "" && r.reservedBy(nick) != o.bare) {
		r.mu.Unlock()
		m.bounce(ctx, st, jid.MustParse(r.bare+"/"+nick), stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict})
		return
	}
	old := r.view(o)
	delete(r.occupants, o.nick)
	o.nick = nick
	r.occupants[nick] = o
	nv := r.view(o)
	targets := r.targets(o)
	nonAnon := r.cfg.nonAnonymous()
	r.mu.Unlock()
	gone := m.buildPresence(r.jid, old, nonAnon, true, []string{"303"}, []string{"110"}, nick, nil, "")
	m.fanOut(ctx, targets, gone)
	back := m.buildPresence(r.jid, nv, nonAnon, false, nil, []string{"110"}, "", nil, "")
	m.fanOut(ctx, targets, back)
}

// leave removes a session (§7.14); the others see the occupant leave with its last session.
func (m *Module) leave(ctx context.Context, st *stanza.Element, from, to jid.JID, silent bool) {
	m.mu.Lock()
	r := m.rooms[to.Bare().String()]
	m.mu.Unlock()
	if r == nil {
		return
	}
	full := from.String()
	r.mu.Lock()
	o := r.byReal[full]
	if o == nil {
		r.mu.Unlock()
		return
	}
	v := r.view(o)
	v.realJID = full
	v.presence = nil
	delete(r.byReal, full)
	delete(o.sessions, full)
	for i, f := range o.order {
		if f == full {
			o.order = append(o.order[:i:i], o.order[i+1:]...)
			break
		}
	}
	var targets []target
	if len(o.order) == 0 {
		targets = r.targets(o)
		delete(r.occupants, o.nick)
	}
	nonAnon := r.cfg.nonAnonymous()
	r.mu.Unlock()

	var status string
	if st != nil && !silent {
		if s := st.Child(stanza.NSClient, "status"); s != nil {
			status = s.Text()
		}
	}
	pv := m.buildPresence(r.jid, v, nonAnon, true, nil, []string{"110"}, "", nil, "")
	if status != "" {
		for _, p := range []*stanza.Element{pv.self, pv.withJID, pv.withoutJID} {
			p.Append(stanza.New(stanza.NSClient, "status").AppendText(status))
		}
	}
	if !silent {
		m.send(ctx, pv.self, full)
	}
	m.fanOut(ctx, targets, pv)
	m.dropIfEmpty(r)
}

// removeOccupant takes an occupant out of a room for a moderator's or admin's action
// (kick 307, ban 301, affiliation change 321, ...). Called with r.mu held; it returns the
// presence to send, and the targets, so the caller sends them after unlocking.
// +checklocks:mu
func (m *Module) removeOccupant(r *room, o *occupant, codes []string, actor *stanza.Element, reason string) (presenceVariants, []target, []string) {
	v := r.view(o)
	v.presence = nil
	targets := r.targets(o)
	fulls := append([]string(nil), o.order...)
	for _, f := range o.order {
		delete(r.byReal, f)
	}
	delete(r.occupants, o.nick)
	pv := m.buildPresence(r.jid, v, r.cfg.nonAnonymous(), true, codes, []string{"110"}, "", actor, reason)
	return pv, targets, fulls
}

// fanOut sends each target its variant of pv. The stanza is reused: routing encodes it
// before returning, so only 'to' changes between targets.
func (m *Module) fanOut(ctx context.Context, targets []target, pv presenceVariants) {
	for _, t := range targets {
		m.send(ctx, pv.pick(t), t.full)
	}
}

// send routes st to one real JID.
func (m *Module) send(ctx context.Context, st *stanza.Element, to string) {
	st.Set("to", to)
	m.router.Route(ctx, st)
}

// historyFor selects the history a joiner asked for (§7.2.15), stamped with a delay.
// +checklocks:mu
func (r *room) historyFor(x *stanza.Element, now time.Time) []*stanza.Element {
	entries := r.history
	if n := r.cfg.HistoryLength; len(entries) > n {
		entries = entries[len(entries)-n:]
	}
	var h *stanza.Element
	if x != nil {
		h = x.Child(NS, "history")
	}
	if h != nil {
		if s := h.Get("maxstanzas"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(entries) {
				entries = entries[len(entries)-n:]
			}
		}
		if s := h.Get("seconds"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				cut := now.Add(-time.Duration(n) * time.Second)
				for len(entries) > 0 && entries[0].stamp.Before(cut) {
					entries = entries[1:]
				}
			}
		}
		if s := h.Get("since"); s != "" {
			if since, err := time.Parse(time.RFC3339, s); err == nil {
				for len(entries) > 0 && !entries[0].stamp.After(since) {
					entries = entries[1:]
				}
			}
		}
		if s := h.Get("maxchars"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				total, i := 0, len(entries)
				for i > 0 && total+entries[i-1].chars <= n {
					total += entries[i-1].chars
					i--
				}
				entries = entries[i:]
			}
		}
	}
	out := make([]*stanza.Element, 0, len(entries))
	for _, e := range entries {
		msg := e.msg.Copy()
		msg.Append(stanza.New(NSDelay, "delay", "from", r.bare, "stamp", e.stamp.UTC().Format(time.RFC3339Nano)))
		out = append(out, msg)
	}
	return out
}
