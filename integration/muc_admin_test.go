package integration

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMUCAdminCommands: `xmppbox room ...` manages the running server's rooms. A room made
// by `room create` is open at once and persistent; a client joining it is not its creator;
// `room affiliation ... outcast` bans; `room list --json` shows it; `room destroy` tells
// the occupants.
func TestMUCAdminCommands(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	room := mucRoom(srv, "office")

	out, _, err := srv.CLI(t, "", "room", "create", "Office", "--owner", "alice")
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	if strings.TrimSpace(out) != "room: "+room {
		t.Fatalf("room create printed %q", out)
	}
	if _, _, err := srv.CLI(t, "", "room", "create", "office"); err == nil {
		t.Error("room create of an existing room succeeded")
	}

	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	alice.Presence(t)
	bob.Presence(t)

	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	self := bob.WaitFor(t, "bob's join", isSelfPresence(room))
	if hasStatus(self, "201") {
		t.Fatalf("bob's join created the room (201): %s", self)
	}
	if it := self.Child(nsMUCUser, "x").Child(nsMUCUser, "item"); it == nil || it.Get("affiliation") != "none" || it.Get("role") != "participant" {
		t.Fatalf("bob joined as %s", self)
	}
	alice.Send(t, `<presence to='%s/Alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	self = alice.WaitFor(t, "alice's join", isSelfPresence(room))
	if it := self.Child(nsMUCUser, "x").Child(nsMUCUser, "item"); hasStatus(self, "201") || it == nil || it.Get("affiliation") != "owner" {
		t.Fatalf("alice (the owner) joined as %s", self)
	}

	if out, _, err := srv.CLI(t, "", "room", "affiliation", "office", "bob", "outcast"); err != nil || !strings.Contains(out, "bob@"+srv.Domain+" is now outcast") {
		t.Fatalf("room affiliation: %q, %v", out, err)
	}
	banned := bob.WaitFor(t, "ban", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "unavailable" })
	if !hasStatus(banned, "301") {
		t.Fatalf("ban presence = %s", banned)
	}
	bob.Send(t, `<presence to='%s/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	refused := bob.WaitFor(t, "refusal", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("type") == "error" })
	if c := refused.ErrorCondition(); c != "forbidden" {
		t.Fatalf("banned rejoin: %s", refused)
	}

	out, _, err = srv.CLI(t, "", "room", "list", "--json")
	if err != nil {
		t.Fatalf("room list --json: %v", err)
	}
	var list struct {
		Rooms []struct {
			JID        string `json:"jid"`
			Persistent bool   `json:"persistent"`
			Occupants  int    `json:"occupants"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("room list --json: %v in %q", err, out)
	}
	if len(list.Rooms) != 1 || list.Rooms[0].JID != room || !list.Rooms[0].Persistent || list.Rooms[0].Occupants != 1 {
		t.Fatalf("room list --json = %+v", list)
	}

	if _, _, err := srv.CLI(t, "", "room", "destroy", "office", "--reason", "moving out"); err != nil {
		t.Fatalf("room destroy: %v", err)
	}
	gone := alice.WaitFor(t, "destroy", func(e *Elem) bool { return isSelfPresence(room)(e) && e.Get("type") == "unavailable" })
	d := gone.Child(nsMUCUser, "x").Child(nsMUCUser, "destroy")
	if d == nil || d.ChildText(nsMUCUser, "reason") != "moving out" {
		t.Fatalf("destroy presence = %s", gone)
	}
	if out, _, err := srv.CLI(t, "", "room", "list", "--json"); err != nil || strings.Contains(out, room) {
		t.Fatalf("room list after destroy: %q, %v", out, err)
	}

	srv.Stop(t)
	if _, errOut, err := srv.CLI(t, "", "room", "list"); err == nil || !strings.Contains(errOut, "room commands need the running server: start xmppbox serve") {
		t.Fatalf("room list with the server stopped: %v, stderr %q", err, errOut)
	}
}
