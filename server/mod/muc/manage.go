package muc

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// Operator operations: what admin.Service needs to list, create and destroy rooms and to
// set affiliations, acting with the service's authority rather than an occupant's. They
// follow the lock discipline of the rest of the package (Module.mu before room.mu, the
// router called with neither held).

// ErrRoomExists is returned by CreateRoom for a room that is live or stored.
var ErrRoomExists = errors.New("muc: room already exists")

// ErrInvalid is wrapped by errors about arguments that can never work: a malformed room
// name or JID, an unknown affiliation.
var ErrInvalid = errors.New("muc: invalid")

// RoomInfo describes one room for operators.
type RoomInfo struct {
	JID        string // bare room JID
	Name       string // the configured name; "" when none is set
	Persistent bool
	Public     bool
	Locked     bool // created by a client and not configured yet (§10.1)
	Occupants  int  // nicks in the room; 0 for a stored room nobody joined since a restart
}

// Rooms lists every room, live or stored, sorted by JID.
func (m *Module) Rooms(ctx context.Context) ([]RoomInfo, error) {
	m.mu.Lock()
	live := make([]*room, 0, len(m.rooms))
	for _, r := range m.rooms {
		live = append(live, r)
	}
	m.mu.Unlock()
	seen := map[string]bool{}
	var out []RoomInfo
	for _, r := range live {
		r.mu.Lock()
		if !r.destroyed {
			seen[r.bare] = true
			out = append(out, RoomInfo{JID: r.bare, Name: r.cfg.Name, Persistent: r.cfg.Persistent,
				Public: r.cfg.Public, Locked: r.locked, Occupants: len(r.occupants)})
		}
		r.mu.Unlock()
	}
	if m.store != nil {
		stored, err := m.store.Rooms(ctx)
		if err != nil {
			return nil, fmt.Errorf("muc: listing stored rooms: %w", err)
		}
		for _, s := range stored {
			if !seen[s.Room] {
				out = append(out, RoomInfo{JID: s.Room, Name: s.Config.Name, Persistent: s.Config.Persistent, Public: s.Config.Public})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out, nil
}

// roomJID returns the bare JID of the room called localpart on this service.
func (m *Module) roomJID(localpart string) (jid.JID, error) {
	if localpart == "" {
		return jid.JID{}, fmt.Errorf("%w room name: it is empty", ErrInvalid)
	}
	j, err := jid.New(localpart, m.domain.Domainpart(), "")
	if err != nil {
		return jid.JID{}, fmt.Errorf("%w room name %q: %v", ErrInvalid, localpart, err)
	}
	return j, nil
}

// CreateRoom creates the room localpart@service, unlocked and ready to join, with owner
// (a bare JID; "" for none) as its owner. cfg nil means the default configuration made
// persistent; rooms created here do not count against the owner's room limit. The room
// is stored before CreateRoom returns when it is persistent. It fails with ErrRoomExists
// for a room that is live or stored.
func (m *Module) CreateRoom(ctx context.Context, localpart, owner string, cfg *Config) (RoomInfo, error) {
	j, err := m.roomJID(localpart)
	if err != nil {
		return RoomInfo{}, err
	}
	bare := j.String()
	var ownerBare string
	if owner != "" {
		o, err := jid.Parse(owner)
		if err != nil {
			return RoomInfo{}, fmt.Errorf("%w owner %q: %v", ErrInvalid, owner, err)
		}
		ownerBare = o.Bare().String()
	}
	c := defaultConfig()
	c.Persistent = true
	if cfg != nil {
		c = *cfg
	}
	if existing, err := m.lookup(ctx, bare); err != nil {
		return RoomInfo{}, fmt.Errorf("muc: looking up %s: %w", bare, err)
	} else if existing != nil {
		return RoomInfo{}, fmt.Errorf("%s: %w", bare, ErrRoomExists)
	}
	r := newRoom(j, c, m.opts)
	if ownerBare != "" {
		r.affs[ownerBare] = "owner"
	}
	m.mu.Lock()
	if m.rooms[bare] != nil {
		// A client created it in between.
		m.mu.Unlock()
		return RoomInfo{}, fmt.Errorf("%s: %w", bare, ErrRoomExists)
	}
	m.rooms[bare] = r
	m.mu.Unlock()

	r.mu.Lock()
	saved := r.stored()
	r.mu.Unlock()
	if c.Persistent && m.store != nil {
		if err := m.store.PutRoom(ctx, saved); err != nil {
			m.forget(r)
			return RoomInfo{}, fmt.Errorf("muc: storing %s: %w", bare, err)
		}
	}
	m.log.Info("room created by the operator", "room", bare, "owner", ownerBare, "persistent", c.Persistent)
	return RoomInfo{JID: bare, Name: c.Name, Persistent: c.Persistent, Public: c.Public}, nil
}

// forget removes a room that failed to be created, if nobody replaced it meanwhile.
func (m *Module) forget(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.destroyed = true
	if m.rooms[r.bare] == r {
		delete(m.rooms, r.bare)
	}
	// Occupants who joined in the short window are not told: they rejoin and create it anew.
}

// liveRoom returns the room called localpart, loading a stored one; ErrNotFound when it
// exists nowhere.
func (m *Module) liveRoom(ctx context.Context, localpart string) (*room, error) {
	j, err := m.roomJID(localpart)
	if err != nil {
		return nil, err
	}
	r, err := m.lookup(ctx, j.String())
	if err != nil {
		return nil, fmt.Errorf("muc: looking up %s: %w", j, err)
	}
	if r == nil {
		return nil, fmt.Errorf("%s: %w", j, ErrNotFound)
	}
	return r, nil
}

// DestroyRoom destroys the room localpart@service (§10.9) as the service: every occupant
// gets unavailable presence with <destroy/> and reason, and the stored room is deleted.
// It fails with ErrNotFound for a room that exists nowhere.
func (m *Module) DestroyRoom(ctx context.Context, localpart, reason string) error {
	for range 3 { // a room destroyed under us is looked up again
		r, err := m.liveRoom(ctx, localpart)
		if err != nil {
			return err
		}
		ud := stanza.New(NSUser, "destroy")
		if reason != "" {
			ud.Append(stanza.New(NSUser, "reason").AppendText(reason))
		}
		if m.teardown(ctx, r, ud) {
			m.log.Info("room destroyed by the operator", "room", r.bare)
			return nil
		}
	}
	return fmt.Errorf("%s: %w", localpart, ErrNotFound)
}

// teardown is destroy without the owner check: it removes r from the service, sends each
// occupant its unavailable presence carrying ud (a muc#user <destroy/>) and deletes the
// stored room. It reports false when r was already destroyed.
func (m *Module) teardown(ctx context.Context, r *room, ud *stanza.Element) bool {
	m.mu.Lock()
	r.mu.Lock()
	if r.destroyed {
		r.mu.Unlock()
		m.mu.Unlock()
		return false
	}
	r.destroyed = true
	if m.rooms[r.bare] == r {
		delete(m.rooms, r.bare)
		if r.creator != "" {
			if m.created[r.creator]--; m.created[r.creator] <= 0 {
				delete(m.created, r.creator)
			}
		}
	}
	type leaving struct {
		pv    presenceVariants
		fulls []string
	}
	var out []leaving
	nonAnon := r.cfg.nonAnonymous()
	for _, o := range r.sortedOccupants() {
		v := r.view(o)
		v.presence = nil
		pv := m.buildPresence(r.jid, v, nonAnon, true, nil, []string{"110"}, "", nil, "", ud)
		out = append(out, leaving{pv, append([]string(nil), o.order...)})
	}
	r.occupants = map[string]*occupant{}
	r.byReal = map[string]*occupant{}
	r.mu.Unlock()
	m.mu.Unlock()
	if m.store != nil {
		if err := m.store.DeleteRoom(ctx, r.bare); err != nil {
			m.log.Error("destroyed room not deleted", "room", r.bare, "err", err)
		}
	}
	for _, l := range out {
		for _, f := range l.fulls {
			m.send(ctx, l.pv.self, f)
		}
	}
	return true
}

// SetAffiliation gives the account bareJID the affiliation (owner, admin, member, outcast
// or none) in the room localpart@service, as the service: none of the occupant privilege
// rules apply, and the last owner may be removed. Occupants of that account learn their
// new role; an outcast is banned (301) and, in a members-only room, someone who stops
// being a member is removed (321), as with muc#admin. A persistent room is stored again.
func (m *Module) SetAffiliation(ctx context.Context, localpart, bareJID, affiliation string) error {
	if _, ok := affRank[affiliation]; !ok {
		return fmt.Errorf("%w affiliation %q: want owner, admin, member, outcast or none", ErrInvalid, affiliation)
	}
	j, err := jid.Parse(bareJID)
	if err != nil {
		return fmt.Errorf("%w JID %q: %v", ErrInvalid, bareJID, err)
	}
	bare := j.Bare().String()
	for range 3 {
		r, err := m.liveRoom(ctx, localpart)
		if err != nil {
			return err
		}
		r.mu.Lock()
		if r.destroyed {
			r.mu.Unlock()
			continue
		}
		if affiliation == "none" {
			delete(r.affs, bare)
		} else {
			r.affs[bare] = affiliation
		}
		if affRank[affiliation] < affRank["member"] {
			delete(r.nicks, bare) // a reservation belongs to a member (§7.10)
		}
		notices := m.affiliationChanged(r, bare, affiliation, nil, "")
		saved, persistent := r.stored(), r.cfg.Persistent
		r.mu.Unlock()
		if persistent {
			m.save(ctx, saved, true)
		}
		for _, n := range notices {
			for _, f := range n.removed {
				m.send(ctx, n.pv.self, f)
			}
			m.fanOut(ctx, n.targets, n.pv)
		}
		m.dropIfEmpty(r)
		m.log.Info("affiliation set by the operator", "room", r.bare, "jid", bare, "affiliation", affiliation)
		return nil
	}
	return fmt.Errorf("%s: %w", localpart, ErrNotFound)
}

// affiliationChanged updates the occupants of account bare after its affiliation became
// aff, as adminSet does, and returns the presence to send once r is unlocked.
// +checklocks:r.mu
func (m *Module) affiliationChanged(r *room, bare, aff string, actor *stanza.Element, reason string) []notice {
	var notices []notice
	nonAnon := r.cfg.nonAnonymous()
	for _, o := range r.sortedOccupants() {
		if o.bare != bare {
			continue
		}
		switch {
		case aff == "outcast":
			pv, targets, fulls := m.removeOccupant(r, o, []string{"301"}, actor, reason)
			notices = append(notices, notice{pv, targets, fulls})
		case r.cfg.MembersOnly && affRank[aff] < affRank["member"]:
			pv, targets, fulls := m.removeOccupant(r, o, []string{"321"}, actor, reason)
			notices = append(notices, notice{pv, targets, fulls})
		default:
			o.role = r.roleFor(aff)
			pv := m.buildPresence(r.jid, r.view(o), nonAnon, false, nil, []string{"110"}, "", actor, reason)
			notices = append(notices, notice{pv: pv, targets: r.targets(o)})
		}
	}
	return notices
}
