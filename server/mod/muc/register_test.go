package muc_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/muc"
	"xmppbox/server/router"
	"xmppbox/server/stanza"
)

func registerForm(nick string) string {
	return `<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>` +
		`<field var='muc#register_roomnick'><value>` + nick + `</value></field></x></query>`
}

const roomUserItem = `<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>`

func reservedIdentity(el *stanza.Element) string {
	if q := el.Child(muc.NSInfo, "query"); q != nil {
		if id := q.Child(muc.NSInfo, "identity"); id != nil {
			return id.Get("name")
		}
	}
	return ""
}

func TestRegisterReservesNick(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_persistentroom": "1"})
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	carol := e.user(t, "carol@"+modtest.Domain+"/pc")

	form := bob.iq(t, "get", room, `<query xmlns='jabber:iq:register'/>`)
	if form.Get("type") != "result" || !strings.Contains(form.String(), "muc#register_roomnick") || !strings.Contains(form.String(), muc.NSRegisterForm) {
		t.Fatalf("register form = %v", form)
	}
	if r := bob.iq(t, "get", room, roomUserItem); r.Get("type") != "result" || reservedIdentity(r) != "" {
		t.Fatalf("reserved nick before registering = %v", r)
	}
	if r := bob.iq(t, "set", room, `<query xmlns='jabber:iq:register'/>`); modtest.ErrorCondition(r) != stanza.BadRequest {
		t.Fatalf("register without form = %v", r)
	}
	if r := bob.iq(t, "set", room, registerForm("Bobby")); r.Get("type") != "result" {
		t.Fatalf("register = %v", r)
	}
	stored, err := e.store.Room(t.Context(), room)
	if err != nil || stored.Affiliations["bob@"+modtest.Domain] != "member" || stored.Nicks["bob@"+modtest.Domain] != "Bobby" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
	reg := bob.iq(t, "get", room, `<query xmlns='jabber:iq:register'/>`)
	q := reg.Child(muc.NSRegister, "query")
	if q == nil || q.Child(muc.NSRegister, "registered") == nil || q.Child(muc.NSRegister, "username").Text() != "Bobby" {
		t.Fatalf("registered = %v", reg)
	}
	if r := bob.iq(t, "get", room, roomUserItem); reservedIdentity(r) != "Bobby" {
		t.Fatalf("x-roomuser-item = %v", r)
	}
	// Another account may neither register nor join under the reserved nick.
	if r := carol.iq(t, "set", room, registerForm("Bobby")); modtest.ErrorCondition(r) != stanza.Conflict {
		t.Fatalf("carol registers Bobby = %v", r)
	}
	carol.join(room, "Bobby", "")
	if c := carol.errorFor(t, "presence"); c != stanza.Conflict {
		t.Fatalf("carol joins as Bobby: %s", c)
	}
	// Nor take it by a nick change.
	carol.join(room, "Carol", "")
	carol.selfPresence(t)
	carol.conn.Take()
	carol.send(`<presence to='` + room + `/Bobby'/>`)
	if c := carol.errorFor(t, "presence"); c != stanza.Conflict {
		t.Fatalf("carol renames to Bobby: %s", c)
	}
	// Bob joins under his nick as a member.
	bob.join(room, "Bobby", "")
	if self := bob.selfPresence(t); item(self).Get("affiliation") != "member" {
		t.Fatalf("bob's presence = %v", self)
	}
	// Dropping bob's membership frees the nick.
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='bob@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
		t.Fatalf("unaffiliate: %v", r)
	}
	if r := bob.iq(t, "get", room, roomUserItem); reservedIdentity(r) != "" {
		t.Fatalf("x-roomuser-item after losing membership = %v", r)
	}
}

func TestRegisterMembersOnlyAndRestart(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1"})
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	if r := bob.iq(t, "set", room, registerForm("Bobby")); modtest.ErrorCondition(r) != stanza.RegistrationRequired {
		t.Fatalf("non-member registers = %v", r)
	}
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='bob@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
		t.Fatalf("member: %v", r)
	}
	if r := bob.iq(t, "set", room, registerForm("Bobby")); r.Get("type") != "result" {
		t.Fatalf("member registers = %v", r)
	}
	// The owner keeps her affiliation when she reserves a nick.
	if r := alice.iq(t, "set", room, registerForm("Al")); r.Get("type") != "result" {
		t.Fatalf("owner registers = %v", r)
	}
	e2 := &env{store: e.store}
	e2.f = modtest.New(t, []string{"alice", "bob", "dave"}, func(r *router.Router) {
		e2.mod = muc.New(r, e2.store, muc.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		e2.mod.Register(r)
	})
	alice2 := e2.user(t, "alice@"+modtest.Domain+"/desk")
	alice2.join(room, "Bobby", "")
	if c := alice2.errorFor(t, "presence"); c != stanza.Conflict {
		t.Fatalf("alice joins as Bobby after restart: %s", c)
	}
	alice2.join(room, "Al", "")
	if self := alice2.selfPresence(t); item(self).Get("affiliation") != "owner" {
		t.Fatalf("alice = %v", self)
	}
	bob2 := e2.user(t, "bob@"+modtest.Domain+"/phone")
	if r := bob2.iq(t, "get", room, roomUserItem); reservedIdentity(r) != "Bobby" {
		t.Fatalf("x-roomuser-item after restart = %v", r)
	}
}
