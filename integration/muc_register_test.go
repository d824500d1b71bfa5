package integration

import (
	"strings"
	"testing"
)

// Room registration (XEP-0045 §7.10), reserved nicks (§7.2.9, §7.12) and mediated
// invitations (§7.8.2).

// registerNick submits the muc#register form for nick to room and returns the answer.
func registerNick(t *testing.T, c *Client, room, nick string) *Elem {
	t.Helper()
	return c.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>%s</value></field></x></query></iq>`, room, nick)
}

// reservedNick asks room for c's reserved nick (disco#info node x-roomuser-item).
func reservedNick(t *testing.T, c *Client, room string) string {
	t.Helper()
	res := c.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>`, room)
	if res.Get("type") != "result" {
		t.Fatalf("x-roomuser-item: %s", res)
	}
	if id := res.Child(nsDiscoInf, "query").Child(nsDiscoInf, "identity"); id != nil {
		return id.Get("name")
	}
	return ""
}

func TestMUCRegisterReservesNick(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	users := onlineUsers(t, srv, "alice", "bob", "carol")
	alice, bob, carol := users[0], users[1], users[2]
	room := mucRoom(srv, "guild")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_persistentroom'><value>1</value></field>`)

	form := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:register'/></iq>`, room)
	if form.Get("type") != "result" || !strings.Contains(form.String(), "muc#register_roomnick") {
		t.Fatalf("registration form: %s", form)
	}
	if res := registerNick(t, bob, room, "Bobby"); res.Get("type") != "result" {
		t.Fatalf("register: %s", res)
	}
	reg := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:register'/></iq>`, room)
	if q := reg.Child(nsRegister, "query"); q == nil || q.Child(nsRegister, "registered") == nil || !strings.Contains(q.String(), "Bobby") {
		t.Fatalf("registered answer: %s", reg)
	}
	if res := registerNick(t, carol, room, "Bobby"); res.Get("type") != "error" || res.ErrorCondition() != "conflict" {
		t.Fatalf("carol registering a reserved nick: %s", res)
	}
	carol.Send(t, `<presence to='%s/Bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	refused := carol.WaitFor(t, "refusal of a reserved nick", isErrorFrom("presence", room+"/Bobby"))
	wantError(t, "joining with a reserved nick", refused, "cancel", "conflict")
	if n := reservedNick(t, bob, room); n != "Bobby" {
		t.Fatalf("bob's reserved nick = %q", n)
	}
	if n := reservedNick(t, carol, room); n != "" {
		t.Fatalf("carol's reserved nick = %q", n)
	}
	alice.Close(t)
	bob.Close(t)
	carol.Close(t)

	srv.Restart(t)

	bob = dial(t, srv, "bob", "pw-bob", dialOpts{})
	carol = dial(t, srv, "carol", "pw-carol", dialOpts{})
	bob.Presence(t)
	carol.Presence(t)
	if n := reservedNick(t, bob, room); n != "Bobby" {
		t.Fatalf("bob's reserved nick after restart = %q", n)
	}
	carol.Send(t, `<presence to='%s/Bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	refused = carol.WaitFor(t, "refusal of a reserved nick after restart", isErrorFrom("presence", room+"/Bobby"))
	wantError(t, "joining with a reserved nick after restart", refused, "cancel", "conflict")
	self := joinRoom(t, bob, room, "Bobby", "")
	if mucItem(t, self).Get("affiliation") != "member" {
		t.Fatalf("bob's presence after restart: %s", self)
	}
}

func TestMUCMediatedInvitation(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "carol", "pw-carol")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	carol := dial(t, srv, "carol", "pw-carol", dialOpts{})
	alice.Presence(t)
	carol.Presence(t)
	room := mucRoom(srv, "cabal")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_membersonly'><value>1</value></field>`)

	alice.Send(t, `<message to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@%s'><reason>join us</reason></invite></x></message>`, room, srv.Domain)
	inv := carol.WaitFor(t, "the invitation", func(e *Elem) bool {
		x := e.Child(nsMUCUser, "x")
		return e.Is(nsClient, "message") && e.Get("from") == room && x != nil && x.Child(nsMUCUser, "invite") != nil
	})
	in := inv.Child(nsMUCUser, "x").Child(nsMUCUser, "invite")
	if from := in.Get("from"); !strings.HasPrefix(from, "alice@"+srv.Domain) {
		t.Fatalf("invitation from %q: %s", from, inv)
	}
	if !strings.Contains(in.String(), "join us") {
		t.Errorf("invitation without the reason: %s", inv)
	}
	self := joinRoom(t, carol, room, "Carol", "")
	if a := mucItem(t, self).Get("affiliation"); a != "member" {
		t.Fatalf("invited carol joined as %q: %s", a, self)
	}
	alice.WaitFor(t, "carol's join", isOccupantPresence(room, "Carol", ""))
}
