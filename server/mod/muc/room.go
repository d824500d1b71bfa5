package muc

import (
	"maps"
	"sort"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/stanza"
)

// Config is a room's configuration (the muc#roomconfig form, XEP-0045 §10.2).
type Config struct {
	Name          string
	Description   string
	Persistent    bool
	Public        bool // listed in the service's disco#items
	MembersOnly   bool
	Password      string // "" = not password-protected
	Moderated     bool
	MaxOccupants  int    // 0 = the service's limit
	WhoIs         string // "moderators" (semi-anonymous) or "anyone" (non-anonymous)
	ChangeSubject bool   // participants may change the subject, not only moderators
	AllowPM       bool   // occupants may send each other private messages
	HistoryLength int    // messages replayed to joiners
}

func defaultConfig() Config {
	return Config{Public: true, WhoIs: "moderators", AllowPM: true, HistoryLength: 20}
}

func (c Config) nonAnonymous() bool { return c.WhoIs == "anyone" }

// Affiliation ranks, lowest first.
var affRank = map[string]int{"outcast": 0, "none": 1, "member": 2, "admin": 3, "owner": 4}

// occupant is one nick in a room: one account, joined from one or more resources.
type occupant struct {
	nick     string
	bare     string
	id       string                     // XEP-0421 occupant-id
	role     string                     // moderator, participant or visitor
	sessions map[string]*stanza.Element // real full JID → its last presence to the room
	order    []string                   // full JIDs in join order; the last one's presence is shown

	tokens float64 // rate limit bucket
	last   time.Time
}

// shown is the presence the occupant shows: the most recent session's.
func (o *occupant) shown() *stanza.Element { return o.sessions[o.order[len(o.order)-1]] }

// historyEntry is one message kept for joiners.
type historyEntry struct {
	msg   *stanza.Element // from=room/nick, no 'to'
	stamp time.Time
	chars int
}

// room is one live room. Every field is guarded by mu unless noted.
type room struct {
	jid  jid.JID // immutable
	bare string  // immutable
	opts Options // immutable

	mu        sync.Mutex
	cfg       Config
	locked    bool // created, not configured yet (§10.1)
	destroyed bool // removed from the service; a joiner must look again
	creator   string
	affs      map[string]string    // bare JID → affiliation; absent = none
	nicks     map[string]string    // bare JID → nick reserved by registering (§7.10)
	occupants map[string]*occupant // by nick
	byReal    map[string]*occupant // by real full JID
	subject   string
	subjectBy string
	history   []historyEntry
}

func newRoom(j jid.JID, cfg Config, opts Options) *room {
	return &room{
		jid: j, bare: j.String(), opts: opts, cfg: cfg,
		affs:      map[string]string{},
		nicks:     map[string]string{},
		occupants: map[string]*occupant{},
		byReal:    map[string]*occupant{},
	}
}

// +checklocks:mu
func (r *room) aff(bare string) string {
	if a, ok := r.affs[bare]; ok {
		return a
	}
	return "none"
}

// +checklocks:mu
func (r *room) roleFor(aff string) string {
	switch {
	case aff == "owner" || aff == "admin":
		return "moderator"
	case r.cfg.Moderated && aff == "none":
		return "visitor"
	}
	return "participant"
}

// +checklocks:mu
func (r *room) maxOccupants() int {
	if r.cfg.MaxOccupants > 0 && r.cfg.MaxOccupants < r.opts.MaxOccupants {
		return r.cfg.MaxOccupants
	}
	return r.opts.MaxOccupants
}

// +checklocks:mu
func (r *room) stored() Stored {
	return Stored{Room: r.bare, Config: r.cfg, Affiliations: maps.Clone(r.affs), Nicks: maps.Clone(r.nicks), Subject: r.subject, SubjectBy: r.subjectBy}
}

// target is one real session that gets a stanza.
type target struct {
	full      string
	moderator bool // sees real JIDs in a semi-anonymous room
	self      bool // the stanza is about this session's own occupant
}

// targets lists every joined session; about marks the sessions of one occupant as self.
// +checklocks:mu
func (r *room) targets(about *occupant) []target {
	var out []target
	for _, o := range r.occupants {
		for _, full := range o.order {
			out = append(out, target{full: full, moderator: o.role == "moderator", self: o == about})
		}
	}
	return out
}

// sortedOccupants returns the occupants in nick order (stable output for tests and clients).
// +checklocks:mu
func (r *room) sortedOccupants() []*occupant {
	out := make([]*occupant, 0, len(r.occupants))
	for _, o := range r.occupants {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].nick < out[j].nick })
	return out
}

// occupantView is a snapshot of an occupant for building presence outside the lock.
type occupantView struct {
	nick, bare, id, role, aff string
	realJID                   string // the session's full JID shown to those who may see it
	presence                  *stanza.Element
}

// +checklocks:mu
func (r *room) view(o *occupant) occupantView {
	return occupantView{nick: o.nick, bare: o.bare, id: o.id, role: o.role, aff: r.aff(o.bare),
		realJID: o.order[len(o.order)-1], presence: o.shown()}
}

// presenceVariants builds the presence about one occupant: for those who may see its real
// JID and those who may not, each with and without the self codes. 'to' is set per target.
type presenceVariants struct {
	withJID, withoutJID, self *stanza.Element
}

// buildPresence makes the room's presence about v. unavailable makes it an unavailable
// presence; codes go to everyone, selfCodes only to the occupant itself; extra is added to
// the muc#user element (a <destroy/>, ...); newNick is set on the item for a nick change.
func (m *Module) buildPresence(room jid.JID, v occupantView, nonAnonymous, unavailable bool, codes, selfCodes []string, newNick string, actor *stanza.Element, reason string, extra ...*stanza.Element) presenceVariants {
	from := room.String() + "/" + v.nick
	make1 := func(showJID, self bool) *stanza.Element {
		p := stanza.New(stanza.NSClient, "presence", "from", from)
		if unavailable {
			p.Set("type", "unavailable")
		} else if v.presence != nil {
			for _, c := range v.presence.ChildElements() {
				switch c.Name.Space {
				case NS, NSUser, NSOccID:
					continue
				}
				p.Append(c.Copy())
			}
		}
		x := stanza.New(NSUser, "x")
		item := stanza.New(NSUser, "item", "affiliation", v.aff, "role", v.role)
		if unavailable {
			item.Set("role", "none")
		}
		if showJID {
			item.Set("jid", v.realJID)
		}
		if newNick != "" {
			item.Set("nick", newNick)
		}
		if actor != nil {
			item.Append(actor.Copy())
		}
		if reason != "" {
			item.Append(stanza.New(NSUser, "reason").AppendText(reason))
		}
		x.Append(item)
		for _, e := range extra {
			x.Append(e.Copy())
		}
		if self {
			for _, c := range selfCodes {
				x.Append(stanza.New(NSUser, "status", "code", c))
			}
		}
		for _, c := range codes {
			x.Append(stanza.New(NSUser, "status", "code", c))
		}
		p.Append(x, stanza.New(NSOccID, "occupant-id", "id", v.id))
		return p
	}
	return presenceVariants{withJID: make1(true, false), withoutJID: make1(nonAnonymous, false), self: make1(true, true)}
}

// pick returns the variant for a target.
func (pv presenceVariants) pick(t target) *stanza.Element {
	switch {
	case t.self:
		return pv.self
	case t.moderator:
		return pv.withJID
	}
	return pv.withoutJID
}
