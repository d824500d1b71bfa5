package muc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/mam"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// Namespaces of XEP-0045 and the XEPs it works with.
const (
	NS         = "http://jabber.org/protocol/muc"
	NSUser     = "http://jabber.org/protocol/muc#user"
	NSAdmin    = "http://jabber.org/protocol/muc#admin"
	NSOwner    = "http://jabber.org/protocol/muc#owner"
	NSConfig   = "http://jabber.org/protocol/muc#roomconfig"
	NSRequest  = "http://jabber.org/protocol/muc#request"
	NSRoomInfo = "http://jabber.org/protocol/muc#roominfo"
	NSStableID = "http://jabber.org/protocol/muc#stable_id"
	NSSelfPing = "http://jabber.org/protocol/muc#self-ping-optimization"
	NSSID      = "urn:xmpp:sid:0"         // XEP-0359
	NSOccID    = "urn:xmpp:occupant-id:0" // XEP-0421
	NSDelay    = "urn:xmpp:delay"         // XEP-0203
	NSPing     = "urn:xmpp:ping"          // XEP-0199, for XEP-0410 self-ping
	NSData     = "jabber:x:data"          // XEP-0004
	NSInfo     = "http://jabber.org/protocol/disco#info"
	NSItems    = "http://jabber.org/protocol/disco#items"
)

// Options configure the service. Zero values take the defaults.
type Options struct {
	Domain          string  // service domain; default "conference."+server domain
	MaxOccupants    int     // per room, the ceiling of the room's own setting; default 200
	MaxRoomsPerUser int     // rooms one account may create and keep alive; default 20
	MessagesPerSec  float64 // sustained groupchat/PM rate per occupant; default 5
	MessageBurst    int     // messages an occupant may send at once; default 20
	MaxHistory      int     // the most messages a room keeps for joiners; default 100
	Now             func() time.Time
	Archive         mam.Archive // keeps persistent rooms' messages (XEP-0313, mam.go); nil = no room archives
}

func (o Options) withDefaults(serverDomain string) Options {
	if o.Domain == "" {
		o.Domain = "conference." + serverDomain
	}
	if o.MaxOccupants <= 0 {
		o.MaxOccupants = 200
	}
	if o.MaxRoomsPerUser <= 0 {
		o.MaxRoomsPerUser = 20
	}
	if o.MessagesPerSec <= 0 {
		o.MessagesPerSec = 5
	}
	if o.MessageBurst <= 0 {
		o.MessageBurst = 20
	}
	if o.MaxHistory <= 0 {
		o.MaxHistory = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Module is the MUC service. Lock order: Module.mu before room.mu; neither is held
// while the router is called.
type Module struct {
	router *router.Router
	store  Store
	opts   Options
	log    *slog.Logger
	domain jid.JID
	secret []byte // keys occupant-ids (XEP-0421)

	mu      sync.Mutex
	rooms   map[string]*room // by bare room JID; guarded by mu
	created map[string]int   // live rooms per creating account; guarded by mu
	// joined lists the rooms each real full JID joined, so a session that ends without
	// unavailable presence leaves them. Entries may be stale; guarded by mu.
	joined map[string]map[string]struct{}
}

// New returns the MUC service; store may be nil (no room survives a restart).
func New(r *router.Router, store Store, opts Options, log *slog.Logger) *Module {
	opts = opts.withDefaults(r.Domain().String())
	secret := make([]byte, 32)
	rand.Read(secret)
	return &Module{
		router:  r,
		store:   store,
		opts:    opts,
		log:     log,
		domain:  jid.MustParse(opts.Domain),
		secret:  secret,
		rooms:   map[string]*room{},
		created: map[string]int{},
		joined:  map[string]map[string]struct{}{},
	}
}

// Domain is the service's domain.
func (m *Module) Domain() string { return m.opts.Domain }

// Register makes the router hand the service domain's stanzas to the module.
func (m *Module) Register(r *router.Router) {
	r.RegisterService(m.opts.Domain, "Chatrooms", m.handle)
	r.OnSessionEnd(m.sessionEnd)
}

// sessionEnd takes a vanished resource out of every room it joined.
func (m *Module) sessionEnd(ctx context.Context, res *session.Resource) {
	m.mu.Lock()
	rooms := m.joined[res.Full()]
	delete(m.joined, res.Full())
	m.mu.Unlock()
	for bare := range rooms {
		to, err := jid.Parse(bare)
		if err != nil {
			continue
		}
		m.leave(ctx, nil, res.JID(), to, true)
	}
}

// track remembers that full joined room.
func (m *Module) track(full, room string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	set := m.joined[full]
	if set == nil {
		set = map[string]struct{}{}
		m.joined[full] = set
	}
	set[room] = struct{}{}
}

// handle dispatches one stanza addressed to the service, a room or an occupant.
func (m *Module) handle(ctx context.Context, st *stanza.Element, from, to jid.JID) {
	if to.Localpart() == "" {
		m.serviceStanza(ctx, st, from, to)
		return
	}
	switch st.Name.Local {
	case "presence":
		m.presence(ctx, st, from, to)
	case "message":
		m.message(ctx, st, from, to)
	case "iq":
		m.iq(ctx, st, from, to)
	}
}

// serviceStanza answers what is addressed to the service domain itself.
func (m *Module) serviceStanza(ctx context.Context, st *stanza.Element, from, to jid.JID) {
	if st.Name.Local != "iq" {
		if st.Name.Local == "message" {
			m.router.Bounce(ctx, st, stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable})
		}
		return
	}
	typ := st.Get("type")
	if typ != "get" && typ != "set" {
		return
	}
	payload := st.FirstChild()
	if payload == nil {
		m.router.Bounce(ctx, st, stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest})
		return
	}
	var result *stanza.Element
	var err error
	switch {
	case typ == "get" && payload.Name.Space == NSInfo && payload.Get("node") == "":
		result = stanza.New(NSInfo, "query").Append(
			stanza.New(NSInfo, "identity", "category", "conference", "type", "text", "name", "Chatrooms"),
			stanza.New(NSInfo, "feature", "var", NS),
			stanza.New(NSInfo, "feature", "var", NSInfo),
			stanza.New(NSInfo, "feature", "var", NSItems),
			stanza.New(NSInfo, "feature", "var", NSPing),
			stanza.New(NSInfo, "feature", "var", NSSelfPing),
			stanza.New(NSInfo, "feature", "var", NSOccID),
			stanza.New(NSInfo, "feature", "var", NSSID),
		)
	case typ == "get" && payload.Name.Space == NSItems && payload.Get("node") == "":
		result, err = m.publicRooms(ctx)
	case typ == "get" && payload.Name.Space == NSPing:
	default:
		err = stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}
	}
	m.reply(ctx, st, to, result, err)
}

// reply answers an IQ with result or with err.
func (m *Module) reply(ctx context.Context, st *stanza.Element, from jid.JID, result *stanza.Element, err error) {
	if err != nil {
		var se stanza.Error
		if !errors.As(err, &se) {
			m.log.Error("muc request failed", "err", err)
			se = stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError}
		}
		m.bounce(ctx, st, from, se)
		return
	}
	res := stanza.ResultIQ(st, result)
	res.Set("from", from.String())
	m.router.Route(ctx, res)
}

// bounce answers st with an error from the address it was sent to.
func (m *Module) bounce(ctx context.Context, st *stanza.Element, from jid.JID, e stanza.Error) {
	if st.Get("type") == "error" {
		return
	}
	reply := stanza.ErrorReply(st, e)
	reply.Set("from", from.String())
	m.router.Route(ctx, reply)
}

// lookup returns the live room for bare, loading a stored one. It returns nil when the
// room exists nowhere.
func (m *Module) lookup(ctx context.Context, bare string) (*room, error) {
	m.mu.Lock()
	r := m.rooms[bare]
	m.mu.Unlock()
	if r != nil || m.store == nil {
		return r, nil
	}
	stored, err := m.store.Room(ctx, bare)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	loaded := newRoom(jid.MustParse(bare), stored.Config, m.opts)
	loaded.affs = stored.Affiliations
	if loaded.affs == nil {
		loaded.affs = map[string]string{}
	}
	if stored.Nicks != nil {
		loaded.nicks = stored.Nicks
	}
	loaded.subject, loaded.subjectBy = stored.Subject, stored.SubjectBy
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rooms[bare]; r != nil {
		return r, nil
	}
	m.rooms[bare] = loaded
	return loaded, nil
}

// create makes a new locked room owned by creator, or returns the room another joiner
// made first (created false).
func (m *Module) create(bare string, creator jid.JID) (r *room, created bool, err error) {
	owner := creator.Bare().String()
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rooms[bare]; r != nil {
		return r, false, nil
	}
	if m.created[owner] >= m.opts.MaxRoomsPerUser {
		return nil, false, stanza.Error{Type: stanza.Cancel, Condition: stanza.PolicyViolation, Text: "too many rooms"}
	}
	r = newRoom(jid.MustParse(bare), defaultConfig(), m.opts)
	r.locked = true
	r.creator = owner
	r.affs[owner] = "owner"
	m.rooms[bare] = r
	m.created[owner]++
	return r, true, nil
}

// dropIfEmpty forgets a temporary room nobody is in any more.
func (m *Module) dropIfEmpty(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.occupants) > 0 || (r.cfg.Persistent && !r.destroyed) || m.rooms[r.bare] != r {
		return
	}
	r.destroyed = true
	delete(m.rooms, r.bare)
	if r.creator != "" {
		if m.created[r.creator]--; m.created[r.creator] <= 0 {
			delete(m.created, r.creator)
		}
	}
}

// occupantID is the XEP-0421 id of an account in a room: stable, and opaque.
func (m *Module) occupantID(room, bare string) string {
	h := hmac.New(sha256.New, m.secret)
	h.Write([]byte(room))
	h.Write([]byte{0})
	h.Write([]byte(bare))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}

// save writes a persistent room to the store, or removes a room that stopped being one.
func (m *Module) save(ctx context.Context, s Stored, persistent bool) {
	if m.store == nil {
		return
	}
	var err error
	if persistent {
		err = m.store.PutRoom(ctx, s)
	} else {
		err = m.store.DeleteRoom(ctx, s.Room)
	}
	if err != nil {
		m.log.Error("room not saved", "room", s.Room, "err", err)
	}
}

func newID() string { return rand.Text()[:16] }
