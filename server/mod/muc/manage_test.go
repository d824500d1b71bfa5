package muc_test

import (
	"errors"
	"testing"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/muc"
	"xmppbox/server/stanza"
)

// TestOperatorRoomLifecycle: a room made by CreateRoom is persistent and open at once, its
// joiners are not its creator (no 201), SetAffiliation bans an occupant with 301, and
// DestroyRoom tells the occupants.
func TestOperatorRoomLifecycle(t *testing.T) {
	e := newEnv(t, muc.Options{})
	ctx := t.Context()
	info, err := e.mod.CreateRoom(ctx, "Office", "alice@"+modtest.Domain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.JID != room || !info.Persistent || !info.Public {
		t.Fatalf("CreateRoom = %+v", info)
	}
	if s, err := e.store.Room(ctx, room); err != nil || s.Affiliations["alice@"+modtest.Domain] != "owner" || !s.Config.Persistent {
		t.Fatalf("stored room = %+v, %v", s, err)
	}
	if _, err := e.mod.CreateRoom(ctx, "office", "", nil); !errors.Is(err, muc.ErrRoomExists) {
		t.Fatalf("creating it again: %v, want ErrRoomExists", err)
	}
	if _, err := e.mod.CreateRoom(ctx, "a b", "", nil); !errors.Is(err, muc.ErrInvalid) {
		t.Fatalf("bad name: %v, want ErrInvalid", err)
	}

	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	self := bob.selfPresence(t)
	if hasCode(self, "201") || item(self).Get("affiliation") != "none" || item(self).Get("role") != "participant" {
		t.Fatalf("bob joined the operator's room as %v", self)
	}
	alice := e.user(t, "alice@"+modtest.Domain+"/desk")
	alice.join(room, "Alice", "")
	if self := alice.selfPresence(t); hasCode(self, "201") || item(self).Get("affiliation") != "owner" || item(self).Get("role") != "moderator" {
		t.Fatalf("alice (owner) joined as %v", self)
	}
	bob.conn.Take()
	alice.conn.Take()

	// Member: a presence update with the new affiliation.
	if err := e.mod.SetAffiliation(ctx, "office", "bob@"+modtest.Domain, "member"); err != nil {
		t.Fatal(err)
	}
	if p := bob.selfPresence(t); item(p).Get("affiliation") != "member" || p.Get("type") != "" {
		t.Fatalf("bob's presence after member: %v", p)
	}
	// Outcast: banned with 301, and everyone sees it.
	if err := e.mod.SetAffiliation(ctx, "office", "bob@"+modtest.Domain+"/phone", "outcast"); err != nil {
		t.Fatal(err)
	}
	if p := bob.selfPresence(t); p.Get("type") != "unavailable" || !hasCode(p, "301") {
		t.Fatalf("bob's ban presence: %v", p)
	}
	if alice.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("from") == room+"/Bob" && hasCode(el, "301") }) == nil {
		t.Fatalf("alice did not see the ban; got %v", alice.conn.Received())
	}
	if s, _ := e.store.Room(ctx, room); s.Affiliations["bob@"+modtest.Domain] != "outcast" {
		t.Fatalf("the ban is not stored: %+v", s)
	}
	bob.join(room, "Bob", "")
	if c := bob.errorFor(t, "presence"); c != stanza.Forbidden {
		t.Fatalf("banned join: %s", c)
	}
	if err := e.mod.SetAffiliation(ctx, "office", "bob@"+modtest.Domain, "king"); !errors.Is(err, muc.ErrInvalid) {
		t.Fatalf("unknown affiliation: %v", err)
	}
	if err := e.mod.SetAffiliation(ctx, "nowhere", "bob@"+modtest.Domain, "member"); !errors.Is(err, muc.ErrNotFound) {
		t.Fatalf("unknown room: %v", err)
	}

	rooms, err := e.mod.Rooms(ctx)
	if err != nil || len(rooms) != 1 || rooms[0].JID != room || rooms[0].Occupants != 1 || !rooms[0].Persistent {
		t.Fatalf("Rooms = %+v, %v", rooms, err)
	}

	alice.conn.Take()
	if err := e.mod.DestroyRoom(ctx, "office", "moving"); err != nil {
		t.Fatal(err)
	}
	p := alice.selfPresence(t)
	d := p.Child(muc.NSUser, "x").Child(muc.NSUser, "destroy")
	if p.Get("type") != "unavailable" || d == nil || d.Child(muc.NSUser, "reason") == nil || d.Child(muc.NSUser, "reason").Text() != "moving" {
		t.Fatalf("destroy presence = %v", p)
	}
	if _, err := e.store.Room(ctx, room); !errors.Is(err, muc.ErrNotFound) {
		t.Fatalf("the destroyed room is still stored: %v", err)
	}
	if rooms, _ := e.mod.Rooms(ctx); len(rooms) != 0 {
		t.Fatalf("Rooms after destroy = %+v", rooms)
	}
	if err := e.mod.DestroyRoom(ctx, "office", ""); !errors.Is(err, muc.ErrNotFound) {
		t.Fatalf("destroying it again: %v, want ErrNotFound", err)
	}
}

// TestOperatorStoredRoom: a stored room nobody joined since a restart is listed, and the
// operator's changes reach it.
func TestOperatorStoredRoom(t *testing.T) {
	e := newEnv(t, muc.Options{})
	ctx := t.Context()
	if err := e.store.PutRoom(ctx, muc.Stored{Room: room, Config: muc.Config{Name: "Office", Persistent: true}}); err != nil {
		t.Fatal(err)
	}
	rooms, err := e.mod.Rooms(ctx)
	if err != nil || len(rooms) != 1 || rooms[0].Name != "Office" || rooms[0].Public {
		t.Fatalf("Rooms = %+v, %v", rooms, err)
	}
	if _, err := e.mod.CreateRoom(ctx, "office", "", nil); !errors.Is(err, muc.ErrRoomExists) {
		t.Fatalf("creating a stored room: %v", err)
	}
	if err := e.mod.SetAffiliation(ctx, "office", "carol@"+modtest.Domain, "admin"); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.store.Room(ctx, room); s.Affiliations["carol@"+modtest.Domain] != "admin" {
		t.Fatalf("stored room = %+v", s)
	}
	if err := e.mod.DestroyRoom(ctx, "office", ""); err != nil {
		t.Fatal(err)
	}
	if rooms, _ := e.mod.Rooms(ctx); len(rooms) != 0 {
		t.Fatalf("Rooms after destroy = %+v", rooms)
	}
}
