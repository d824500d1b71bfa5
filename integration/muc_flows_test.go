package integration

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Multi-User Chat flows beyond muc_test.go: a Debian-packaged client (slixmpp's XEP-0045
// plugin), multi-session nicks, moderation (voice, ban), nick changes and full rooms.

// joinRoom sends a join presence for room/nick (extra goes inside the muc <x/>) and
// returns the self-presence.
func joinRoom(t *testing.T, c *Client, room, nick, extra string) *Elem {
	t.Helper()
	c.Send(t, `<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'>%s</x></presence>`, room, nick, extra)
	return c.WaitFor(t, nick+" joining "+room, func(e *Elem) bool {
		return isSelfPresence(room)(e) && e.Get("from") == room+"/"+nick && e.Get("type") == ""
	})
}

// isOccupantPresence matches presence of type typ ("" available) from room/nick.
func isOccupantPresence(room, nick, typ string) func(*Elem) bool {
	return func(e *Elem) bool {
		return e.Is(nsClient, "presence") && e.Get("from") == room+"/"+nick && e.Get("type") == typ
	}
}

// isErrorFrom matches a stanza of kind (presence or message) of type error from 'from'.
func isErrorFrom(kind, from string) func(*Elem) bool {
	return func(e *Elem) bool {
		return e.Is(nsClient, kind) && e.Get("type") == "error" && e.Get("from") == from
	}
}

// mucItem returns the muc#user item of a room presence.
func mucItem(t *testing.T, p *Elem) *Elem {
	t.Helper()
	item := p.Child(nsMUCUser, "x").Child(nsMUCUser, "item")
	if item == nil {
		t.Fatalf("presence without a muc#user item: %s", p)
	}
	return item
}

// wantError checks an error stanza's type and condition.
func wantError(t *testing.T, what string, e *Elem, typ, condition string) {
	t.Helper()
	errEl := e.Child(nsClient, "error")
	if errEl == nil || errEl.Get("type") != typ || e.ErrorCondition() != condition {
		t.Fatalf("%s: want a %s/%s error, got %s", what, typ, condition, e)
	}
}

// received returns the stanzas c has received so far that match.
func (c *Client) matching(match func(*Elem) bool) []*Elem {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Elem
	for _, s := range c.stanzas {
		if match(s) {
			out = append(out, s)
		}
	}
	return out
}

// roundTrip has c post a groupchat message and wait for the room to reflect it: every
// room stanza routed to c before that message has then been received.
func roundTrip(t *testing.T, c *Client, room, body string) {
	t.Helper()
	c.Send(t, `<message type='groupchat' to='%s'><body>%s</body></message>`, room, body)
	c.WaitFor(t, "reflection of "+body, func(e *Elem) bool {
		return isMessageWithBody(body)(e) && strings.HasPrefix(e.Get("from"), room+"/")
	})
}

// slixmppExit is the end of a slixmpp process: done is closed once it exited with err.
type slixmppExit struct {
	done chan struct{}
	err  error
}

// startSlixmppMUC runs testdata/slixmpp_muc.py as user, joining room as nick.
func startSlixmppMUC(t *testing.T, srv *Server, user, password, room, nick string) (*lineWatcher, *slixmppExit) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_muc.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, python, script, srv.CAFile, srv.JID(user), password, host, port, room, nick)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = logWriter{t}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting slixmpp: %v", err)
	}
	w := watchLines(t, stdout)
	exit := &slixmppExit{done: make(chan struct{})}
	go func() { exit.err = cmd.Wait(); close(exit.done) }()
	t.Cleanup(func() { cancel(); <-exit.done })
	return w, exit
}

// TestMUCSlixmpp: slixmpp's XEP-0045 plugin joins a room a mellium client created and
// configured, sees the creator in the room, posts a message the creator receives, gets the
// creator's message and leaves when told to.
func TestMUCSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	alice.Presence(t)
	room := mucRoom(srv, "pyroom")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_roomname'><value>Python room</value></field><field var='muc#roomconfig_whois'><value>anyone</value></field>`)

	bob, exited := startSlixmppMUC(t, srv, "bob", "pw-bob", room, "Bob")
	// Non-anonymous room: the self-presence carries 100 (everyone sees real JIDs) and 110.
	bob.wait(t, "JOINED Bob 100,110", 1)
	bob.wait(t, "OCCUPANT Alice", 1)
	joined := alice.WaitFor(t, "bob's join", isOccupantPresence(room, "Bob", ""))
	if jid := mucItem(t, joined).Get("jid"); !strings.HasPrefix(jid, srv.JID("bob")+"/") {
		t.Errorf("non-anonymous room: bob's item jid = %q, want his full JID", jid)
	}

	m := alice.WaitFor(t, "slixmpp's groupchat message", isMessageWithBody("hello from slixmpp"))
	if m.Get("from") != room+"/Bob" || m.Get("type") != "groupchat" || m.Child("urn:xmpp:sid:0", "stanza-id") == nil {
		t.Errorf("slixmpp's message as alice got it: %s", m)
	}
	bob.wait(t, "ECHO hello from slixmpp", 1)

	alice.Send(t, `<message type='groupchat' to='%s'><body>hi slixmpp</body></message>`, room)
	bob.wait(t, "MSG Alice hi slixmpp", 1)
	alice.Send(t, `<message type='groupchat' to='%s'><body>quit</body></message>`, room)
	bob.wait(t, "MSG Alice quit", 1)
	alice.WaitFor(t, "bob leaving", isOccupantPresence(room, "Bob", "unavailable"))
	select {
	case <-exited.done:
		if exited.err != nil {
			t.Fatalf("slixmpp exited with %v", exited.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("slixmpp did not exit after leaving")
	}
	if n := bob.count("JOIN ERROR"); n != 0 {
		t.Errorf("slixmpp reported a join error")
	}
}

// TestMUCMultiSessionNick: alice joins one room under one nick from two resources. Both
// sessions get the room's messages; bob sees one occupant Alice; when one session leaves,
// only that session is told, and the others see Alice leave with the last one.
func TestMUCMultiSessionNick(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	phone := dial(t, srv, "alice", "pw-alice", dialOpts{Resource: "phone"})
	laptop := dial(t, srv, "alice", "pw-alice", dialOpts{Resource: "laptop"})
	for _, c := range []*Client{bob, phone, laptop} {
		c.Presence(t)
	}
	room := mucRoom(srv, "devices")
	createRoom(t, bob, room, "Bob", "")

	joinRoom(t, phone, room, "Alice", "")
	first := bob.WaitFor(t, "alice's join", isOccupantPresence(room, "Alice", ""))
	occID := first.Child("urn:xmpp:occupant-id:0", "occupant-id")
	if occID == nil {
		t.Fatalf("presence without occupant-id: %s", first)
	}
	self := joinRoom(t, laptop, room, "Alice", "")
	if hasStatus(self, "201") {
		t.Errorf("second session's self-presence says the room was created: %s", self)
	}
	laptop.WaitFor(t, "bob in the room, for the second session", isOccupantPresence(room, "Bob", ""))

	// Both sessions get a message; bob sees one occupant.
	bob.Send(t, `<message type='groupchat' to='%s'><body>to both</body></message>`, room)
	phone.WaitFor(t, "message on the phone", isMessageWithBody("to both"))
	laptop.WaitFor(t, "message on the laptop", isMessageWithBody("to both"))
	bob.WaitFor(t, "reflection", isMessageWithBody("to both"))
	for _, p := range bob.matching(isOccupantPresence(room, "Alice", "")) {
		if id := p.Child("urn:xmpp:occupant-id:0", "occupant-id"); id == nil || id.Get("id") != occID.Get("id") {
			t.Errorf("bob got presence for Alice as another occupant: %s", p)
		}
	}
	info := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, room)
	if n := roomInfo(info, "muc#roominfo_occupants"); n != "2" {
		t.Errorf("room info does not count 2 occupants: %s", info)
	}
	list := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item role='participant'/></query></iq>`, room)
	if items := list.Child(nsMUCAdmin, "query").All(nsMUCAdmin, "item"); len(items) != 1 || items[0].Get("nick") != "Alice" {
		t.Errorf("participant list = %s, want Alice once", list)
	}
	// Alice's messages come from the one nick, to both her sessions.
	phone.Send(t, `<message type='groupchat' to='%s'><body>from the phone</body></message>`, room)
	for _, c := range []*Client{bob, phone, laptop} {
		m := c.WaitFor(t, "alice's message", isMessageWithBody("from the phone"))
		if m.Get("from") != room+"/Alice" {
			t.Errorf("alice's message from %q", m.Get("from"))
		}
	}

	// The phone leaves: it is told (110), bob and the laptop are not.
	phone.Send(t, `<presence type='unavailable' to='%s/Alice'/>`, room)
	gone := phone.WaitFor(t, "phone's leave", isOccupantPresence(room, "Alice", "unavailable"))
	if !hasStatus(gone, "110") {
		t.Errorf("leave presence to the leaving session without 110: %s", gone)
	}
	roundTrip(t, bob, room, "still here?")
	laptop.WaitFor(t, "message on the laptop after the phone left", isMessageWithBody("still here?"))
	if got := bob.matching(isOccupantPresence(room, "Alice", "unavailable")); len(got) != 0 {
		t.Fatalf("bob saw Alice leave while her laptop is still joined: %s", got[0])
	}
	if got := laptop.matching(isOccupantPresence(room, "Alice", "unavailable")); len(got) != 0 {
		t.Fatalf("the laptop was told it left: %s", got[0])
	}
	if got := phone.matching(isMessageWithBody("still here?")); len(got) != 0 {
		t.Errorf("the phone got a message after leaving: %s", got[0])
	}

	// The laptop leaves: now Alice is gone for bob.
	laptop.Send(t, `<presence type='unavailable' to='%s/Alice'/>`, room)
	laptop.WaitFor(t, "laptop's leave", func(e *Elem) bool {
		return isOccupantPresence(room, "Alice", "unavailable")(e) && hasStatus(e, "110")
	})
	left := bob.WaitFor(t, "alice leaving", isOccupantPresence(room, "Alice", "unavailable"))
	if hasStatus(left, "110") || mucItem(t, left).Get("role") != "none" {
		t.Errorf("alice's leave as bob sees it: %s", left)
	}
}

const nsMUCAdmin = "http://jabber.org/protocol/muc#admin"

// roomInfo returns a field's value in a room's disco#info answer (XEP-0128 form).
func roomInfo(info *Elem, name string) string {
	for _, f := range info.Child(nsDiscoInf, "query").Child("jabber:x:data", "x").All("jabber:x:data", "field") {
		if f.Get("var") == name {
			return f.ChildText("jabber:x:data", "value")
		}
	}
	return "(absent)"
}

// TestMUCModeration: in a moderated room a newcomer is a visitor whose messages are
// refused (forbidden) until a moderator grants voice; a ban removes him with 301 and keeps
// him out (forbidden).
func TestMUCModeration(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	alice.Presence(t)
	bob.Presence(t)
	room := mucRoom(srv, "stage")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_moderatedroom'><value>1</value></field>`)
	info := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, room)
	if !strings.Contains(info.String(), "muc_moderated") {
		t.Fatalf("room not moderated: %s", info)
	}

	self := joinRoom(t, bob, room, "Bob", "")
	if item := mucItem(t, self); item.Get("role") != "visitor" || item.Get("affiliation") != "none" {
		t.Fatalf("newcomer in a moderated room: %s, want role visitor", self)
	}
	alice.WaitFor(t, "bob's join", isOccupantPresence(room, "Bob", ""))

	// A visitor may not post.
	bob.Send(t, `<message type='groupchat' to='%s' id='v1'><body>can I speak?</body></message>`, room)
	refused := bob.WaitFor(t, "refusal of the visitor's message", isErrorFrom("message", room))
	wantError(t, "visitor's message", refused, "auth", "forbidden")
	if refused.Get("id") != "v1" {
		t.Errorf("error without the message's id: %s", refused)
	}

	// A participant (bob) may not grant voice; the moderator may.
	res := bob.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='participant'/></query></iq>`, room)
	wantError(t, "visitor granting himself voice", res, "auth", "forbidden")
	res = alice.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='participant'><reason>go ahead</reason></item></query></iq>`, room)
	if res.Get("type") != "result" {
		t.Fatalf("grant voice: %s", res)
	}
	voiced := bob.WaitFor(t, "voice", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "" })
	if mucItem(t, voiced).Get("role") != "participant" {
		t.Fatalf("presence after voice: %s", voiced)
	}
	seen := alice.WaitFor(t, "bob's new role", isOccupantPresence(room, "Bob", ""))
	if mucItem(t, seen).Get("role") != "participant" {
		t.Fatalf("alice sees bob as %s", seen)
	}
	bob.Send(t, `<message type='groupchat' to='%s' id='v2'><body>thank you</body></message>`, room)
	if m := alice.WaitFor(t, "bob's message after voice", isMessageWithBody("thank you")); m.Get("from") != room+"/Bob" {
		t.Errorf("message from %q", m.Get("from"))
	}
	bob.WaitFor(t, "reflection", isMessageWithBody("thank you"))

	// Ban: 301 to bob (with 110) and to alice; bob cannot come back.
	res = alice.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='%s'><reason>spam</reason></item></query></iq>`, room, srv.JID("bob"))
	if res.Get("type") != "result" {
		t.Fatalf("ban: %s", res)
	}
	banned := bob.WaitFor(t, "ban", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "unavailable" })
	if !hasStatus(banned, "301") || mucItem(t, banned).Get("affiliation") != "outcast" || mucItem(t, banned).Get("role") != "none" {
		t.Fatalf("ban presence to bob: %s", banned)
	}
	if reason := mucItem(t, banned).ChildText(nsMUCUser, "reason"); reason != "spam" {
		t.Errorf("ban reason %q, want spam", reason)
	}
	other := alice.WaitFor(t, "bob banned", isOccupantPresence(room, "Bob", "unavailable"))
	if !hasStatus(other, "301") || hasStatus(other, "110") {
		t.Fatalf("ban presence to alice: %s", other)
	}
	outcasts := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`, room)
	if items := outcasts.Child(nsMUCAdmin, "query").All(nsMUCAdmin, "item"); len(items) != 1 || items[0].Get("jid") != srv.JID("bob") {
		t.Errorf("outcast list = %s", outcasts)
	}

	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	back := bob.WaitFor(t, "refusal of the banned user", isErrorFrom("presence", room+"/Bob"))
	wantError(t, "banned user rejoining", back, "auth", "forbidden")
	bob.Send(t, `<presence to='%s/Robert'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	back = bob.WaitFor(t, "refusal under another nick", isErrorFrom("presence", room+"/Robert"))
	wantError(t, "banned user rejoining under another nick", back, "auth", "forbidden")
	// After a ban, bob's posts are refused, not relayed.
	bob.Send(t, `<message type='groupchat' to='%s'><body>let me in</body></message>`, room)
	bob.WaitFor(t, "refusal of the outcast's message", isErrorFrom("message", room))
	roundTrip(t, alice, room, "barrier")
	if got := alice.matching(isMessageWithBody("let me in")); len(got) != 0 {
		t.Fatalf("the outcast's message reached the room: %s", got[0])
	}
}

// TestMUCNickChange: an occupant changes nick; everyone gets the unavailable presence
// with 303 and the new nick, then the presence under the new nick; taking a nick in use
// is a conflict.
func TestMUCNickChange(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	users := onlineUsers(t, srv, "alice", "bob", "carol")
	alice, bob, carol := users[0], users[1], users[2]
	room := mucRoom(srv, "names")
	createRoom(t, alice, room, "Alice", "")
	joinRoom(t, bob, room, "Bob", "")
	joinRoom(t, carol, room, "Carol", "")
	bob.WaitFor(t, "carol's join", isOccupantPresence(room, "Carol", ""))
	alice.WaitFor(t, "carol's join", isOccupantPresence(room, "Carol", ""))
	alice.WaitFor(t, "bob's join", isOccupantPresence(room, "Bob", ""))
	bobOccID := carol.WaitFor(t, "bob in the room", isOccupantPresence(room, "Bob", "")).Child("urn:xmpp:occupant-id:0", "occupant-id").Get("id")

	bob.Send(t, `<presence to='%s/Robert'/>`, room)
	for _, c := range []*Client{alice, bob, carol} {
		self := c == bob
		old := c.WaitFor(t, "303 for the nick change", isOccupantPresence(room, "Bob", "unavailable"))
		if !hasStatus(old, "303") || hasStatus(old, "110") != self || mucItem(t, old).Get("nick") != "Robert" {
			t.Fatalf("%s: nick change presence = %s", c.JID, old)
		}
		if hasStatus(old, "307") || hasStatus(old, "301") {
			t.Fatalf("%s: nick change looks like a removal: %s", c.JID, old)
		}
		nw := c.WaitFor(t, "presence under the new nick", isOccupantPresence(room, "Robert", ""))
		if hasStatus(nw, "110") != self || mucItem(t, nw).Get("role") != "participant" {
			t.Fatalf("%s: presence under the new nick = %s", c.JID, nw)
		}
		if id := nw.Child("urn:xmpp:occupant-id:0", "occupant-id"); id == nil || id.Get("id") != bobOccID {
			t.Errorf("%s: occupant-id changed with the nick: %s", c.JID, nw)
		}
	}
	bob.Send(t, `<message type='groupchat' to='%s'><body>call me Robert</body></message>`, room)
	if m := carol.WaitFor(t, "message under the new nick", isMessageWithBody("call me Robert")); m.Get("from") != room+"/Robert" {
		t.Fatalf("message from %q after the nick change", m.Get("from"))
	}
	// The old nick is free: a private message to it is undeliverable.
	carol.Send(t, `<message type='chat' to='%s/Bob'><body>bob?</body></message>`, room)
	wantError(t, "private message to the old nick", carol.WaitFor(t, "error", isErrorFrom("message", room+"/Bob")), "cancel", "item-not-found")

	// Taking a nick in use is a conflict, and carol keeps hers.
	carol.Send(t, `<presence to='%s/Alice'/>`, room)
	conflict := carol.WaitFor(t, "conflict", isErrorFrom("presence", room+"/Alice"))
	wantError(t, "nick in use", conflict, "cancel", "conflict")
	roundTrip(t, carol, room, "still carol")
	if m := alice.WaitFor(t, "carol's message", isMessageWithBody("still carol")); m.Get("from") != room+"/Carol" {
		t.Fatalf("carol's message from %q after a refused nick change", m.Get("from"))
	}
}

// TestMUCMaxOccupants: a room configured for two occupants refuses a third
// (service-unavailable, wait) and takes him once a seat is free; the service-wide ceiling
// applies as well.
func TestMUCMaxOccupants(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{"muc.max_occupants": "3"}})
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		srv.AddUser(t, u, "pw-"+u)
	}
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	carol := dial(t, srv, "carol", "pw-carol", dialOpts{})
	dave := dial(t, srv, "dave", "pw-dave", dialOpts{})
	for _, c := range []*Client{alice, bob, carol, dave} {
		c.Presence(t)
	}

	t.Run("room setting", func(t *testing.T) {
		room := mucRoom(srv, "small")
		createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_maxusers'><value>2</value></field>`)
		joinRoom(t, bob, room, "Bob", "")
		carol.Send(t, `<presence to='%s/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
		full := carol.WaitFor(t, "refusal", isErrorFrom("presence", room+"/Carol"))
		wantError(t, "joining a full room", full, "wait", "service-unavailable")
		roundTrip(t, alice, room, "who is here")
		if got := alice.matching(isOccupantPresence(room, "Carol", "")); len(got) != 0 {
			t.Fatalf("carol joined a full room: %s", got[0])
		}
		if got := carol.matching(isMessageWithBody("who is here")); len(got) != 0 {
			t.Fatalf("carol, refused, got the room's message: %s", got[0])
		}
		bob.Send(t, `<presence type='unavailable' to='%s/Bob'/>`, room)
		alice.WaitFor(t, "bob leaving", isOccupantPresence(room, "Bob", "unavailable"))
		joinRoom(t, carol, room, "Carol", "")
	})
	t.Run("service ceiling", func(t *testing.T) {
		room := mucRoom(srv, "big")
		// Asking for more than the service allows gets the service's limit.
		createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_maxusers'><value>100</value></field>`)
		joinRoom(t, bob, room, "Bob", "")
		joinRoom(t, carol, room, "Carol", "")
		dave.Send(t, `<presence to='%s/Dave'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
		full := dave.WaitFor(t, "refusal", isErrorFrom("presence", room+"/Dave"))
		wantError(t, "joining a room at the service's limit", full, "wait", "service-unavailable")
	})
}
