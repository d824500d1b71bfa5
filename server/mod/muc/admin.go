package muc

import (
	"context"
	"sort"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// adminGet returns an affiliation list (§9.5, §10.5) or a role list (§8.5).
func (m *Module) adminGet(r *room, from jid.JID, q *stanza.Element) (*stanza.Element, error) {
	item := q.Child(NSAdmin, "item")
	if item == nil {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	requester := r.aff(from.Bare().String())
	out := stanza.New(NSAdmin, "query")
	if aff := item.Get("affiliation"); aff != "" {
		if _, ok := affRank[aff]; !ok || aff == "none" {
			return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
		}
		// Admins and owners see every list; members see the member list of a members-only room.
		if affRank[requester] < affRank["admin"] && !(aff == "member" && r.cfg.MembersOnly && requester == "member") {
			return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
		}
		var jids []string
		for j, a := range r.affs {
			if a == aff {
				jids = append(jids, j)
			}
		}
		sort.Strings(jids)
		for _, j := range jids {
			it := stanza.New(NSAdmin, "item", "affiliation", aff, "jid", j)
			for _, o := range r.occupants {
				if o.bare == j {
					it.Set("nick", o.nick)
					it.Set("role", o.role)
				}
			}
			out.Append(it)
		}
		return out, nil
	}
	role := item.Get("role")
	if role != "moderator" && role != "participant" && role != "visitor" {
		return nil, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	if o := r.byReal[from.String()]; o == nil || o.role != "moderator" {
		return nil, stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	}
	for _, o := range r.sortedOccupants() {
		if o.role == role {
			out.Append(stanza.New(NSAdmin, "item", "role", role, "nick", o.nick, "jid", o.bare, "affiliation", r.aff(o.bare)))
		}
	}
	return out, nil
}

// notice is presence (or removal) to send once the room is unlocked.
type notice struct {
	pv      presenceVariants
	targets []target
	removed []string // removed sessions, which get the self variant
}

// adminSet changes roles (by nick: voice, moderator, kick) and affiliations (by JID: member,
// admin, owner, ban) — §8, §9, §10. All items apply or none does.
func (m *Module) adminSet(ctx context.Context, r *room, from jid.JID, q *stanza.Element) error {
	var items []*stanza.Element
	for _, it := range q.ChildElements() {
		if it.Name.Local == "item" && it.Name.Space == NSAdmin {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	r.mu.Lock()
	actorOcc := r.byReal[from.String()]
	actorAff := r.aff(from.Bare().String())
	actor := stanza.New(NSUser, "actor")
	if actorOcc != nil {
		actor.Set("nick", actorOcc.nick)
	}
	// Check everything first.
	for _, it := range items {
		if err := r.checkItem(it, from, actorOcc, actorAff); err != nil {
			r.mu.Unlock()
			return err
		}
	}
	affChanged := false
	var notices []notice
	nonAnon := r.cfg.nonAnonymous()
	for _, it := range items {
		reason := ""
		if rs := it.Child(NSAdmin, "reason"); rs != nil {
			reason = rs.Text()
		}
		if role := it.Get("role"); role != "" && it.Get("affiliation") == "" {
			o := r.occupants[it.Get("nick")]
			if role == "none" {
				pv, targets, fulls := m.removeOccupant(r, o, []string{"307"}, actor, reason)
				notices = append(notices, notice{pv, targets, fulls})
				continue
			}
			o.role = role
			pv := m.buildPresence(r.jid, r.view(o), nonAnon, false, nil, []string{"110"}, "", actor, reason)
			notices = append(notices, notice{pv: pv, targets: r.targets(o)})
			continue
		}
		j, _ := jid.Parse(it.Get("jid"))
		bare := j.Bare().String()
		aff := it.Get("affiliation")
		if aff == "none" {
			delete(r.affs, bare)
		} else {
			r.affs[bare] = aff
		}
		if affRank[aff] < affRank["member"] {
			delete(r.nicks, bare) // a reservation belongs to a member (§7.10)
		}
		affChanged = true
		notices = append(notices, m.affiliationChanged(r, bare, aff, actor, reason)...)
	}
	saved, persistent := r.stored(), r.cfg.Persistent
	r.mu.Unlock()
	if affChanged && persistent {
		m.save(ctx, saved, true)
	}
	for _, n := range notices {
		for _, f := range n.removed {
			m.send(ctx, n.pv.self, f)
		}
		m.fanOut(ctx, n.targets, n.pv)
	}
	m.dropIfEmpty(r)
	return nil
}

// checkItem applies the privilege rules of §8-§10 to one item.
// +checklocks:mu
func (r *room) checkItem(it *stanza.Element, from jid.JID, actorOcc *occupant, actorAff string) error {
	forbidden := stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden}
	notAllowed := stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed}
	if role := it.Get("role"); role != "" && it.Get("affiliation") == "" {
		if actorOcc == nil || actorOcc.role != "moderator" {
			return forbidden
		}
		o := r.occupants[it.Get("nick")]
		if o == nil {
			return stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
		}
		switch role {
		case "none", "visitor", "participant":
			// Nobody kicks or mutes an admin or owner (§8.2, §8.4), nor someone of higher rank.
			if affRank[r.aff(o.bare)] >= affRank["admin"] && (role != "participant" || o.role == "moderator") {
				return notAllowed
			}
			if role == "participant" && o.role == "moderator" && affRank[actorAff] < affRank["admin"] {
				return notAllowed
			}
		case "moderator":
			if affRank[actorAff] < affRank["admin"] {
				return notAllowed
			}
		default:
			return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
		}
		return nil
	}
	aff := it.Get("affiliation")
	j, err := jid.Parse(it.Get("jid"))
	if _, known := affRank[aff]; !known || err != nil || it.Get("jid") == "" {
		if it.Get("nick") != "" && err != nil {
			return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "affiliations are changed by JID"}
		}
		return stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}
	}
	bare := j.Bare().String()
	current := r.aff(bare)
	switch actorAff {
	case "owner":
		if bare == from.Bare().String() && current == "owner" && aff != "owner" {
			owners := 0
			for _, a := range r.affs {
				if a == "owner" {
					owners++
				}
			}
			if owners <= 1 {
				return stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict, Text: "a room keeps at least one owner"}
			}
		}
	case "admin":
		if affRank[current] >= affRank["admin"] || affRank[aff] >= affRank["admin"] {
			return notAllowed
		}
	default:
		return forbidden
	}
	return nil
}
