package muc

import (
	"context"
	"sort"
	"strconv"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/mam"
	"xmppbox/server/stanza"
)

// iq handles IQs to a room (disco, muc#admin, muc#owner) and to an occupant (XEP-0410
// self-ping; other IQs to occupants are not relayed).
func (m *Module) iq(ctx context.Context, st *stanza.Element, from, to jid.JID) {
	typ := st.Get("type")
	if typ != "get" && typ != "set" {
		return
	}
	payload := st.FirstChild()
	if payload == nil {
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		return
	}
	r, err := m.lookup(ctx, to.Bare().String())
	if err != nil {
		m.reply(ctx, st, to, nil, err)
		return
	}
	if r == nil {
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound})
		return
	}
	if to.Resourcepart() != "" {
		m.occupantIQ(ctx, r, st, payload, from, to)
		return
	}
	var result *stanza.Element
	switch {
	case typ == "get" && payload.Name.Space == NSInfo && payload.Get("node") == roomUserNode:
		result = m.reservedNick(r, from)
	case typ == "get" && payload.Name.Space == NSInfo:
		result, err = m.roomInfo(r)
	case typ == "get" && payload.Name.Space == NSItems:
		result = stanza.New(NSItems, "query")
	case typ == "get" && payload.Name.Space == NSPing:
	case payload.Name.Space == NSAdmin && typ == "get":
		result, err = m.adminGet(r, from, payload)
	case payload.Name.Space == NSAdmin && typ == "set":
		err = m.adminSet(ctx, r, from, payload)
	case payload.Name.Space == NSOwner && typ == "get":
		result, err = m.ownerGet(r, from)
	case payload.Name.Space == NSOwner && typ == "set":
		err = m.ownerSet(ctx, r, from, payload)
	case payload.Name.Space == NSRegister && typ == "get":
		result, err = m.registerGet(r, from)
	case payload.Name.Space == NSRegister && typ == "set":
		err = m.registerSet(ctx, r, from, payload)
	case payload.Name.Space == mam.NS:
		result, err = m.archiveIQ(ctx, r, st, payload, from)
	default:
		err = stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}
	}
	m.reply(ctx, st, to, result, err)
}

// occupantIQ answers XEP-0410 self-pings: a joined session pinging its own occupant JID
// gets a result, anyone else not-acceptable.
func (m *Module) occupantIQ(ctx context.Context, r *room, st, payload *stanza.Element, from, to jid.JID) {
	if st.Get("type") != "get" || payload.Name.Space != NSPing {
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Cancel, Condition: stanza.FeatureNotImplemented})
		return
	}
	r.mu.Lock()
	o := r.byReal[from.String()]
	joined := o != nil && o.nick == to.Resourcepart()
	exists := r.occupants[to.Resourcepart()] != nil
	r.mu.Unlock()
	switch {
	case joined:
		m.reply(ctx, st, to, nil, nil)
	case o == nil:
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable})
	case exists:
		// A ping of another occupant: the service answers for the nick being in the room.
		m.reply(ctx, st, to, nil, nil)
	default:
		m.bounce(ctx, st, to, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound})
	}
}

// roomInfo is disco#info of a room (§6.4) with the muc#roominfo form.
func (m *Module) roomInfo(r *room) (*stanza.Element, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.locked {
		return nil, stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	}
	cfg := r.cfg
	name := cfg.Name
	if name == "" {
		name = r.jid.Localpart()
	}
	q := stanza.New(NSInfo, "query").Append(
		stanza.New(NSInfo, "identity", "category", "conference", "type", "text", "name", name))
	features := []string{NS, NSRegister, NSStableID, NSSelfPing, NSOccID, NSSID, NSInfo, NSItems, NSPing,
		pick(cfg.Public, "muc_public", "muc_hidden"),
		pick(cfg.Persistent, "muc_persistent", "muc_temporary"),
		pick(cfg.MembersOnly, "muc_membersonly", "muc_open"),
		pick(cfg.Moderated, "muc_moderated", "muc_unmoderated"),
		pick(cfg.nonAnonymous(), "muc_nonanonymous", "muc_semianonymous"),
		pick(cfg.Password != "", "muc_passwordprotected", "muc_unsecured"),
	}
	features = append(features, m.archiveFeatures(r)...)
	sort.Strings(features)
	for _, f := range features {
		q.Append(stanza.New(NSInfo, "feature", "var", f))
	}
	q.Append(stanza.New(NSData, "x", "type", "result").Append(
		field("FORM_TYPE", "hidden", NSRoomInfo),
		labelled(field("muc#roominfo_description", "", cfg.Description), "Description"),
		labelled(field("muc#roominfo_occupants", "", strconv.Itoa(len(r.occupants))), "Occupants"),
		labelled(field("muc#roominfo_subject", "", r.subject), "Subject"),
		labelled(field("muc#roomconfig_changesubject", "", boolValue(cfg.ChangeSubject)), "Participants may change the subject"),
	))
	return q, nil
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// publicRooms lists the listed, unlocked rooms, live and stored (§6.3).
func (m *Module) publicRooms(ctx context.Context) (*stanza.Element, error) {
	names := map[string]string{}
	m.mu.Lock()
	live := make([]*room, 0, len(m.rooms))
	for _, r := range m.rooms {
		live = append(live, r)
	}
	m.mu.Unlock()
	seen := map[string]bool{}
	for _, r := range live {
		r.mu.Lock()
		seen[r.bare] = true
		if r.cfg.Public && !r.locked && !r.destroyed {
			names[r.bare] = r.cfg.Name
		}
		r.mu.Unlock()
	}
	if m.store != nil {
		stored, err := m.store.Rooms(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range stored {
			if !seen[s.Room] && s.Config.Public {
				names[s.Room] = s.Config.Name
			}
		}
	}
	rooms := make([]string, 0, len(names))
	for r := range names {
		rooms = append(rooms, r)
	}
	sort.Strings(rooms)
	q := stanza.New(NSItems, "query")
	for _, r := range rooms {
		item := stanza.New(NSItems, "item", "jid", r)
		if names[r] != "" {
			item.Set("name", names[r])
		}
		q.Append(item)
	}
	return q, nil
}
