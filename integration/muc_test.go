package integration

import (
	"strings"
	"testing"
)

const nsMUCUser = "http://jabber.org/protocol/muc#user"

func mucRoom(srv *Server, name string) string { return name + "@conference." + srv.Domain }

// hasStatus reports whether a MUC presence or message carries the status code.
func hasStatus(e *Elem, code string) bool {
	x := e.Child(nsMUCUser, "x")
	if x == nil {
		return false
	}
	for _, s := range x.All(nsMUCUser, "status") {
		if s.Get("code") == code {
			return true
		}
	}
	return false
}

func isSelfPresence(room string) func(*Elem) bool {
	return func(e *Elem) bool {
		return e.Is(nsClient, "presence") && strings.HasPrefix(e.Get("from"), room+"/") && hasStatus(e, "110")
	}
}

// createRoom has c create room as nick and submit config (data-form fields XML).
func createRoom(t *testing.T, c *Client, room, nick, fields string) {
	t.Helper()
	c.Send(t, `<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room, nick)
	p := c.WaitFor(t, "room creation", isSelfPresence(room))
	if !hasStatus(p, "201") {
		t.Fatalf("creation presence without 201: %s", p)
	}
	res := c.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>%s</x></query></iq>`, room, fields)
	if res.Get("type") != "result" {
		t.Fatalf("configure %s: %s", room, res)
	}
}

func TestMUCJoinMessageAndPassword(t *testing.T) {
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	srv.AddUser(t, "carol", "pw-carol")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	carol := dial(t, srv, "carol", "pw-carol", dialOpts{})
	for _, c := range []*Client{alice, bob, carol} {
		c.Presence(t)
	}
	// The service is discoverable.
	items := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`, srv.Domain)
	if !strings.Contains(items.String(), "conference."+srv.Domain) {
		t.Fatalf("server disco#items lacks the MUC service: %s", items)
	}
	room := mucRoom(srv, "lobby")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field><field var='muc#roomconfig_roomsecret'><value>sesame</value></field>`)

	carol.Send(t, `<presence to='%s/Carol'><x xmlns='http://jabber.org/protocol/muc'><password>wrong</password></x></presence>`, room)
	refused := carol.WaitFor(t, "refusal", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("type") == "error" })
	if c := refused.ErrorCondition(); c != "not-authorized" {
		t.Fatalf("wrong password: %s", refused)
	}
	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'><password>sesame</password></x></presence>`, room)
	bob.WaitFor(t, "bob's join", isSelfPresence(room))
	alice.WaitFor(t, "bob's presence", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("from") == room+"/Bob" })

	alice.Send(t, `<message type='groupchat' to='%s' id='g1'><body>welcome</body></message>`, room)
	got := bob.WaitFor(t, "groupchat", isMessageWithBody("welcome"))
	if got.Get("from") != room+"/Alice" || got.Child("urn:xmpp:sid:0", "stanza-id") == nil || got.Child("urn:xmpp:occupant-id:0", "occupant-id") == nil {
		t.Fatalf("groupchat = %s", got)
	}
	alice.WaitFor(t, "reflection", isMessageWithBody("welcome"))

	// Kick: bob gets 307.
	res := alice.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='none'/></query></iq>`, room)
	if res.Get("type") != "result" {
		t.Fatalf("kick: %s", res)
	}
	kicked := bob.WaitFor(t, "kick", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "unavailable" })
	if !hasStatus(kicked, "307") {
		t.Fatalf("kick presence = %s", kicked)
	}

	// A late joiner gets the history with a delay.
	carol.Send(t, `<presence to='%s/Carol'><x xmlns='http://jabber.org/protocol/muc'><password>sesame</password></x></presence>`, room)
	hist := carol.WaitFor(t, "history", isMessageWithBody("welcome"))
	if hist.Child("urn:xmpp:delay", "delay") == nil {
		t.Fatalf("history without delay: %s", hist)
	}
}

func TestMUCHiddenMembersOnlyAndRestart(t *testing.T) {
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	srv.AddUser(t, "carol", "pw-carol")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	alice.Presence(t)
	room := mucRoom(srv, "board")
	createRoom(t, alice, room, "Alice", `<field var='muc#roomconfig_publicroom'><value>0</value></field><field var='muc#roomconfig_membersonly'><value>1</value></field><field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_roomname'><value>Board</value></field>`)
	res := alice.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@%s'/></query></iq>`, room, srv.Domain)
	if res.Get("type") != "result" {
		t.Fatalf("add member: %s", res)
	}
	items := alice.IQ(t, `<iq type='get' id='%s' to='conference.%s'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`, srv.Domain)
	if strings.Contains(items.String(), room) {
		t.Fatalf("hidden room listed: %s", items)
	}
	alice.Close(t)

	srv.Restart(t)

	carol := dial(t, srv, "carol", "pw-carol", dialOpts{})
	carol.Presence(t)
	carol.Send(t, `<presence to='%s/Carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	refused := carol.WaitFor(t, "refusal", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("type") == "error" })
	if c := refused.ErrorCondition(); c != "registration-required" {
		t.Fatalf("non-member after restart: %s", refused)
	}
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	bob.Presence(t)
	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	self := bob.WaitFor(t, "member join after restart", isSelfPresence(room))
	if hasStatus(self, "201") || !strings.Contains(self.String(), "affiliation=\"member\"") && !strings.Contains(self.String(), "affiliation='member'") {
		t.Fatalf("member presence after restart = %s", self)
	}
	info := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, room)
	for _, f := range []string{"muc_hidden", "muc_membersonly", "muc_persistent", "Board"} {
		if !strings.Contains(info.String(), f) {
			t.Fatalf("room disco#info lacks %s: %s", f, info)
		}
	}
}
