package muc_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/muc"
	"xmppbox/server/mod/muc/muctest"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

const room = "office@conference." + modtest.Domain

type user struct {
	send func(string)
	conn *modtest.Conn
	full string
}

type env struct {
	f     *modtest.Fixture
	store *muctest.MemStore
	mod   *muc.Module
}

func newEnv(t *testing.T, opts muc.Options) *env {
	t.Helper()
	e := &env{store: muctest.NewMemStore()}
	e.f = modtest.New(t, []string{"alice", "bob", "carol", "dave"}, func(r *router.Router) {
		e.mod = muc.New(r, e.store, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
		e.mod.Register(r)
	})
	return e
}

func (e *env) user(t *testing.T, full string) *user {
	t.Helper()
	send, conn := e.f.Client(t, full)
	return &user{send: send, conn: conn, full: full}
}

// join sends a join presence for nick with extra XML inside <x/>.
func (u *user) join(roomJID, nick, inner string) {
	u.send(fmt.Sprintf(`<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'>%s</x></presence>`, roomJID, nick, inner))
}

// selfPresence takes the presence with status 110 from the received stanzas.
func (u *user) selfPresence(t *testing.T) *stanza.Element {
	t.Helper()
	p := u.conn.TakeFirst(func(el *stanza.Element) bool { return el.Name.Local == "presence" && hasCode(el, "110") })
	if p == nil {
		t.Fatalf("%s got no self-presence; got %v", u.full, u.conn.Received())
	}
	return p
}

func (u *user) errorFor(t *testing.T, kind string) string {
	t.Helper()
	el := u.conn.TakeFirst(func(el *stanza.Element) bool { return el.Name.Local == kind && el.Get("type") == "error" })
	if el == nil {
		t.Fatalf("%s got no %s error; got %v", u.full, kind, u.conn.Received())
	}
	return modtest.ErrorCondition(el)
}

func hasCode(el *stanza.Element, code string) bool {
	x := el.Child(muc.NSUser, "x")
	if x == nil {
		return false
	}
	for _, c := range x.ChildElements() {
		if c.Name.Local == "status" && c.Get("code") == code {
			return true
		}
	}
	return false
}

func item(el *stanza.Element) *stanza.Element {
	if x := el.Child(muc.NSUser, "x"); x != nil {
		return x.Child(muc.NSUser, "item")
	}
	return nil
}

// iq sends an IQ and returns the reply with that id.
func (u *user) iq(t *testing.T, typ, to, payload string) *stanza.Element {
	t.Helper()
	id := fmt.Sprintf("iq%d", time.Now().UnixNano())
	u.send(fmt.Sprintf(`<iq type='%s' id='%s' to='%s'>%s</iq>`, typ, id, to, payload))
	reply := u.conn.TakeFirst(func(el *stanza.Element) bool { return el.Name.Local == "iq" && el.Get("id") == id })
	if reply == nil {
		t.Fatalf("no reply to %s; got %v", payload, u.conn.Received())
	}
	return reply
}

func submit(fields map[string]string) string {
	var b strings.Builder
	b.WriteString(`<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>`)
	b.WriteString(`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`)
	for k, v := range fields {
		fmt.Fprintf(&b, `<field var='%s'><value>%s</value></field>`, k, v)
	}
	b.WriteString(`</x></query>`)
	return b.String()
}

// created makes alice create and configure the room with fields.
func (e *env) created(t *testing.T, fields map[string]string) *user {
	t.Helper()
	alice := e.user(t, "alice@"+modtest.Domain+"/desk")
	alice.join(room, "Alice", "")
	p := alice.selfPresence(t)
	if !hasCode(p, "201") || item(p).Get("affiliation") != "owner" || item(p).Get("role") != "moderator" {
		t.Fatalf("creator presence = %v", p)
	}
	if r := alice.iq(t, "set", room, submit(fields)); r.Get("type") != "result" {
		t.Fatalf("configure: %v", r)
	}
	alice.conn.Take()
	return alice
}

func TestJoinLockedThenConfigured(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.user(t, "alice@"+modtest.Domain+"/desk")
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	alice.join(room, "Alice", "")
	alice.selfPresence(t)
	bob.join(room, "Bob", "")
	if c := bob.errorFor(t, "presence"); c != stanza.ItemNotFound {
		t.Fatalf("join of a locked room: %s", c)
	}
	// An empty submit accepts the default configuration (§10.1.2).
	r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>`)
	if r.Get("type") != "result" {
		t.Fatalf("accept defaults: %v", r)
	}
	bob.join(room, "Bob", "")
	self := bob.selfPresence(t)
	if hasCode(self, "201") || item(self).Get("role") != "participant" || item(self).Get("affiliation") != "none" {
		t.Fatalf("bob's self presence = %v", self)
	}
	if self.Child(muc.NSOccID, "occupant-id") == nil {
		t.Fatalf("no occupant-id in %v", self)
	}
	// Bob saw Alice first; Alice saw Bob without his real JID (semi-anonymous, she is a
	// moderator so she does see it).
	got := bob.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("from") == room+"/Alice" })
	if got == nil || item(got).Get("jid") != "" {
		t.Fatalf("bob's view of alice = %v", got)
	}
	seen := alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("from") == room+"/Bob" })
	if seen == nil || item(seen).Get("jid") != bob.full {
		t.Fatalf("alice's view of bob = %v", seen)
	}
	// The subject comes last, empty.
	subj := bob.conn.TakeFirst(func(el *stanza.Element) bool { return el.Child(stanza.NSClient, "subject") != nil })
	if subj == nil {
		t.Fatal("no subject message on join")
	}
	// Nick conflict.
	carol := e.user(t, "carol@"+modtest.Domain+"/x")
	carol.join(room, "Bob", "")
	if c := carol.errorFor(t, "presence"); c != stanza.Conflict {
		t.Fatalf("nick conflict: %s", c)
	}
	// Leave.
	bob.send(`<presence type='unavailable' to='` + room + `/Bob'/>`)
	gone := bob.selfPresence(t)
	if gone.Get("type") != "unavailable" {
		t.Fatalf("leave self presence = %v", gone)
	}
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("from") == room+"/Bob" && el.Get("type") == "unavailable" }) == nil {
		t.Fatal("alice did not see bob leave")
	}
}

func TestGroupchatHistoryAndNickChange(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_whois": "anyone"})
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	if self := bob.selfPresence(t); !hasCode(self, "100") {
		t.Fatalf("non-anonymous room without 100: %v", self)
	}
	bob.conn.Take()
	alice.conn.Take()
	for i := range 3 {
		alice.send(fmt.Sprintf(`<message type='groupchat' to='%s' id='m%d'><body>hello %d</body><stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='forged'/></message>`, room, i, i, room))
	}
	msgs := bob.conn.Take()
	if len(msgs) != 3 {
		t.Fatalf("bob got %d messages: %v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Get("from") != room+"/Alice" || m.Get("type") != "groupchat" || m.Get("id") != "m0" {
		t.Fatalf("message = %v", m)
	}
	sid := m.Child(muc.NSSID, "stanza-id")
	if sid == nil || sid.Get("by") != room || sid.Get("id") == "forged" {
		t.Fatalf("stanza-id = %v", m)
	}
	if m.Child(muc.NSOccID, "occupant-id") == nil {
		t.Fatalf("no occupant-id: %v", m)
	}
	if echo := alice.conn.Take(); len(echo) != 3 {
		t.Fatalf("sender got %d reflections", len(echo))
	}
	// History with maxstanzas=2, delayed.
	carol := e.user(t, "carol@"+modtest.Domain+"/x")
	carol.join(room, "Carol", "<history maxstanzas='2'/>")
	var hist []*stanza.Element
	for _, el := range carol.conn.Take() {
		if el.Name.Local == "message" && el.Child(stanza.NSClient, "body") != nil {
			hist = append(hist, el)
		}
	}
	if len(hist) != 2 || hist[0].Child(stanza.NSClient, "body").Text() != "hello 1" || hist[0].Child(muc.NSDelay, "delay") == nil {
		t.Fatalf("history = %v", hist)
	}
	// Nick change: 303 then the new nick.
	bob.send(`<presence to='` + room + `/Robert'/>`)
	var sawGone, sawNew bool
	for _, el := range carol.conn.Take() {
		if el.Get("from") == room+"/Bob" && hasCode(el, "303") && item(el).Get("nick") == "Robert" {
			sawGone = true
		}
		if el.Get("from") == room+"/Robert" && el.Get("type") == "" {
			sawNew = true
		}
	}
	if !sawGone || !sawNew {
		t.Fatalf("nick change not seen (303 %v, new %v)", sawGone, sawNew)
	}
	// Subject: participants may not change it by default.
	bob.send(`<message type='groupchat' to='` + room + `'><subject>mine</subject></message>`)
	if c := bob.errorFor(t, "message"); c != stanza.Forbidden {
		t.Fatalf("subject by participant: %s", c)
	}
	alice.send(`<message type='groupchat' to='` + room + `'><subject>Agenda</subject></message>`)
	if s := carol.conn.TakeFirst(func(el *stanza.Element) bool { return el.Child(stanza.NSClient, "subject") != nil }); s == nil || s.Child(stanza.NSClient, "subject").Text() != "Agenda" {
		t.Fatalf("subject change not relayed: %v", s)
	}
	// Private message.
	carol.send(`<message type='chat' to='` + room + `/Robert'><body>psst</body></message>`)
	pm := bob.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("type") == "chat" })
	if pm == nil || pm.Get("from") != room+"/Carol" || pm.Child(muc.NSUser, "x") == nil {
		t.Fatalf("private message = %v", pm)
	}
	// Non-occupants may not post.
	dave := e.user(t, "dave@"+modtest.Domain+"/d")
	dave.send(`<message type='groupchat' to='` + room + `'><body>hi</body></message>`)
	if c := dave.errorFor(t, "message"); c != stanza.NotAcceptable {
		t.Fatalf("groupchat from non-occupant: %s", c)
	}
}

func TestEntryRules(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		setup  func(t *testing.T, alice *user)
		inner  string
		want   string
	}{
		{"wrong password", map[string]string{"muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "s3cret"}, nil, "<password>nope</password>", stanza.NotAuthorized},
		{"right password", map[string]string{"muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "s3cret"}, nil, "<password>s3cret</password>", ""},
		{"members only", map[string]string{"muc#roomconfig_membersonly": "1"}, nil, "", stanza.RegistrationRequired},
		{"members only, member", map[string]string{"muc#roomconfig_membersonly": "1"}, func(t *testing.T, alice *user) {
			if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
				t.Fatalf("make member: %v", r)
			}
		}, "", ""},
		{"banned", nil, func(t *testing.T, alice *user) {
			if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='bob@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
				t.Fatalf("ban: %v", r)
			}
		}, "", stanza.Forbidden},
		{"full", map[string]string{"muc#roomconfig_maxusers": "1"}, nil, "", stanza.ServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, muc.Options{})
			alice := e.created(t, tt.fields)
			if tt.setup != nil {
				tt.setup(t, alice)
			}
			bob := e.user(t, "bob@"+modtest.Domain+"/phone")
			bob.join(room, "Bob", tt.inner)
			if tt.want == "" {
				bob.selfPresence(t)
				return
			}
			if c := bob.errorFor(t, "presence"); c != tt.want {
				t.Fatalf("error = %s, want %s", c, tt.want)
			}
		})
	}
}

func TestModeration(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_moderatedroom": "1"})
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	if role := item(bob.selfPresence(t)).Get("role"); role != "visitor" {
		t.Fatalf("role in moderated room = %s", role)
	}
	bob.conn.Take()
	bob.send(`<message type='groupchat' to='` + room + `'><body>hi</body></message>`)
	if c := bob.errorFor(t, "message"); c != stanza.Forbidden {
		t.Fatalf("visitor message: %s", c)
	}
	// Voice request reaches the moderator.
	bob.send(`<message to='` + room + `'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#role'><value>participant</value></field></x></message>`)
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Child(muc.NSData, "x") != nil }) == nil {
		t.Fatal("moderator got no voice request")
	}
	// Grant voice.
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='participant'/></query>`); r.Get("type") != "result" {
		t.Fatalf("voice: %v", r)
	}
	if role := item(bob.selfPresence(t)).Get("role"); role != "participant" {
		t.Fatalf("after voice role = %s", role)
	}
	bob.send(`<message type='groupchat' to='` + room + `'><body>now I can</body></message>`)
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("from") == room+"/Bob" && el.Name.Local == "message" }) == nil {
		t.Fatal("voiced message not relayed")
	}
	// A participant cannot kick.
	if r := bob.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Alice' role='none'/></query>`); modtest.ErrorCondition(r) != stanza.Forbidden {
		t.Fatalf("kick by participant: %v", r)
	}
	// Kick: 307 with the actor.
	alice.conn.Take()
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='none'><reason>spam</reason></item></query>`); r.Get("type") != "result" {
		t.Fatalf("kick: %v", r)
	}
	kicked := bob.selfPresence(t)
	if kicked.Get("type") != "unavailable" || !hasCode(kicked, "307") {
		t.Fatalf("kicked presence = %v", kicked)
	}
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return hasCode(el, "307") }) == nil {
		t.Fatal("others did not see the kick")
	}
	// Ban while present: 301.
	bob.join(room, "Bob", "")
	bob.selfPresence(t)
	bob.conn.Take()
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@`+modtest.Domain+`' affiliation='outcast'/></query>`); r.Get("type") != "result" {
		t.Fatalf("ban: %v", r)
	}
	if banned := bob.selfPresence(t); !hasCode(banned, "301") {
		t.Fatalf("banned presence = %v", banned)
	}
	list := alice.iq(t, "get", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query>`)
	q := list.Child(muc.NSAdmin, "query")
	if q == nil || len(q.ChildElements()) != 1 || q.FirstChild().Get("jid") != "bob@"+modtest.Domain {
		t.Fatalf("outcast list = %v", list)
	}
	// The last owner cannot step down.
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item jid='alice@`+modtest.Domain+`' affiliation='admin'/></query>`); modtest.ErrorCondition(r) != stanza.Conflict {
		t.Fatalf("last owner demotion: %v", r)
	}
}

func TestMultiSessionAndSelfPing(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, nil)
	phone := e.user(t, "bob@"+modtest.Domain+"/phone")
	laptop := e.user(t, "bob@"+modtest.Domain+"/laptop")
	phone.join(room, "Bob", "")
	phone.selfPresence(t)
	alice.conn.Take()
	laptop.join(room, "Bob", "")
	laptop.selfPresence(t)
	if got := alice.conn.Take(); len(got) != 0 {
		t.Fatalf("second session changed presence for others: %v", got)
	}
	alice.send(`<message type='groupchat' to='` + room + `'><body>both</body></message>`)
	for _, u := range []*user{phone, laptop} {
		if u.conn.TakeFirst(func(el *stanza.Element) bool {
			return el.Name.Local == "message" && el.Child(stanza.NSClient, "body") != nil
		}) == nil {
			t.Fatalf("%s missed the message", u.full)
		}
	}
	alice.conn.Take()
	// Self-ping.
	if r := laptop.iq(t, "get", room+"/Bob", `<ping xmlns='urn:xmpp:ping'/>`); r.Get("type") != "result" {
		t.Fatalf("self-ping while joined: %v", r)
	}
	dave := e.user(t, "dave@"+modtest.Domain+"/d")
	if r := dave.iq(t, "get", room+"/Bob", `<ping xmlns='urn:xmpp:ping'/>`); modtest.ErrorCondition(r) != stanza.NotAcceptable {
		t.Fatalf("self-ping while not joined: %v", r)
	}
	// One session leaves: no change for the others; the last one leaves: unavailable.
	phone.send(`<presence type='unavailable' to='` + room + `/Bob'/>`)
	phone.selfPresence(t)
	if got := alice.conn.Take(); len(got) != 0 {
		t.Fatalf("first leave changed presence for others: %v", got)
	}
	laptop.send(`<presence type='unavailable' to='` + room + `/Bob'/>`)
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("type") == "unavailable" }) == nil {
		t.Fatal("last leave not seen")
	}
}

func TestDiscoHiddenAndPersistence(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_publicroom": "0", "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Office"})
	items := alice.iq(t, "get", "conference."+modtest.Domain, `<query xmlns='http://jabber.org/protocol/disco#items'/>`)
	if strings.Contains(items.String(), room) {
		t.Fatalf("hidden room listed: %v", items)
	}
	info := alice.iq(t, "get", room, `<query xmlns='http://jabber.org/protocol/disco#info'/>`)
	for _, f := range []string{"muc_hidden", "muc_persistent", "muc_open", "muc_semianonymous", "muc_unsecured", "urn:xmpp:occupant-id:0"} {
		if !strings.Contains(info.String(), "'"+f+"'") && !strings.Contains(info.String(), `"`+f+`"`) {
			t.Fatalf("disco#info lacks %s: %v", f, info)
		}
	}
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
		t.Fatalf("member: %v", r)
	}
	stored, err := e.store.Room(t.Context(), room)
	if err != nil || stored.Config.Name != "Office" || stored.Affiliations["bob@"+modtest.Domain] != "member" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
	// A second service on the same store finds the room (a restart).
	e2 := &env{store: e.store}
	e2.f = modtest.New(t, []string{"alice", "bob"}, func(r *router.Router) {
		e2.mod = muc.New(r, e2.store, muc.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		e2.mod.Register(r)
	})
	bob := e2.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	if self := bob.selfPresence(t); item(self).Get("affiliation") != "member" || hasCode(self, "201") {
		t.Fatalf("after restart = %v", self)
	}
	// Destroy with an alternate venue.
	alice2 := e2.user(t, "alice@"+modtest.Domain+"/desk")
	if r := alice2.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='new@conference.`+modtest.Domain+`'><reason>moved</reason></destroy></query>`); r.Get("type") != "result" {
		t.Fatalf("destroy: %v", r)
	}
	gone := bob.selfPresence(t)
	d := gone.Child(muc.NSUser, "x").Child(muc.NSUser, "destroy")
	if gone.Get("type") != "unavailable" || d == nil || d.Get("jid") != "new@conference."+modtest.Domain {
		t.Fatalf("destroy presence = %v", gone)
	}
	if _, err := e.store.Room(t.Context(), room); err == nil {
		t.Fatal("destroyed room still stored")
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, muc.Options{MessageBurst: 2, MessagesPerSec: 0.001, MaxRoomsPerUser: 1})
	alice := e.created(t, nil)
	for range 2 {
		alice.send(`<message type='groupchat' to='` + room + `'><body>x</body></message>`)
	}
	alice.send(`<message type='groupchat' to='` + room + `'><body>too many</body></message>`)
	if c := alice.errorFor(t, "message"); c != stanza.ResourceConstraint {
		t.Fatalf("rate limit: %s", c)
	}
	alice.join("second@conference."+modtest.Domain, "Alice", "")
	if c := alice.errorFor(t, "presence"); c != stanza.PolicyViolation {
		t.Fatalf("rooms per user: %s", c)
	}
}

func TestTemporaryRoomGoesAway(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, nil)
	alice.send(`<presence type='unavailable' to='` + room + `/Alice'/>`)
	alice.conn.Take()
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	if self := bob.selfPresence(t); !hasCode(self, "201") {
		t.Fatalf("the empty temporary room was kept: %v", self)
	}
}
