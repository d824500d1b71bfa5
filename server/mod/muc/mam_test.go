package muc_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"xmppbox/server/mod/mam"
	"xmppbox/server/mod/mam/mamtest"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/muc"
	"xmppbox/server/stanza"
)

// archived is one result of a room archive query.
type archived struct {
	id, from, body string
	msg            *stanza.Element // the forwarded message
}

// queryArchive sends a MAM query with the given inner XML to the room and returns the
// results (in the order received) and the IQ reply.
func (u *user) queryArchive(t *testing.T, inner string) ([]archived, *stanza.Element) {
	t.Helper()
	reply := u.iq(t, "set", room, `<query xmlns='urn:xmpp:mam:2' queryid='q'>`+inner+`</query>`)
	var out []archived
	for _, el := range u.conn.Take() {
		res := el.Child(mam.NS, "result")
		if el.Name.Local != "message" || res == nil {
			continue
		}
		if el.Get("from") != room || el.Get("to") != u.full || res.Get("queryid") != "q" {
			t.Fatalf("result message %v", el)
		}
		msg := res.Child(mam.NSForward, "forwarded").Child(stanza.NSClient, "message")
		out = append(out, archived{id: res.Get("id"), from: msg.Get("from"), body: msg.Child(stanza.NSClient, "body").Text(), msg: msg})
	}
	return out, reply
}

func finOf(t *testing.T, reply *stanza.Element) (complete string, last string) {
	t.Helper()
	fin := reply.Child(mam.NS, "fin")
	if reply.Get("type") != "result" || fin == nil {
		t.Fatalf("query reply %v", reply)
	}
	if l := fin.Child(mam.NSRSM, "set").Child(mam.NSRSM, "last"); l != nil {
		last = l.Text()
	}
	return fin.Get("complete"), last
}

func hasFeature(info *stanza.Element, v string) bool {
	for _, f := range info.Child("http://jabber.org/protocol/disco#info", "query").ChildElements() {
		if f.Name.Local == "feature" && f.Get("var") == v {
			return true
		}
	}
	return false
}

func TestRoomArchive(t *testing.T) {
	archive := mamtest.NewMemStore()
	e := newEnv(t, muc.Options{Archive: archive})
	alice := e.created(t, map[string]string{"muc#roomconfig_persistentroom": "1"})
	bob := e.user(t, "bob@"+modtest.Domain+"/phone")
	bob.join(room, "Bob", "")
	bob.selfPresence(t)
	bob.conn.Take()
	alice.conn.Take()

	if info := bob.iq(t, "get", room, `<query xmlns='http://jabber.org/protocol/disco#info'/>`); !hasFeature(info, mam.NS) || !hasFeature(info, mam.NSExtended) {
		t.Fatalf("room disco#info lacks MAM: %v", info)
	}

	// Three messages, one not to be stored, one subject change (not archived either).
	var live []string
	for i := range 3 {
		alice.send(fmt.Sprintf(`<message type='groupchat' to='%s' id='m%d'><body>hello %d</body></message>`, room, i, i))
		got := bob.conn.TakeFirst(func(el *stanza.Element) bool { return el.Get("id") == fmt.Sprintf("m%d", i) })
		if got == nil {
			t.Fatalf("bob did not get m%d", i)
		}
		live = append(live, got.Child(muc.NSSID, "stanza-id").Get("id"))
	}
	alice.send(`<message type='groupchat' to='` + room + `'><body>secret</body><no-store xmlns='urn:xmpp:hints'/></message>`)
	alice.send(`<message type='groupchat' to='` + room + `'><subject>topic</subject></message>`)
	bob.conn.Take()
	alice.conn.Take()

	results, reply := bob.queryArchive(t, "")
	if complete, _ := finOf(t, reply); complete != "true" {
		t.Fatalf("complete = %q", complete)
	}
	var ids, bodies []string
	for _, r := range results {
		ids = append(ids, r.id)
		bodies = append(bodies, r.body)
		if r.from != room+"/Alice" {
			t.Errorf("archived from %q", r.from)
		}
		if strings.Contains(r.msg.String(), "alice@") || r.msg.Child(muc.NSOccID, "occupant-id") == nil {
			t.Errorf("archived message leaks a real JID or lacks the occupant-id: %v", r.msg)
		}
	}
	if !slices.Equal(ids, live) || !slices.Equal(bodies, []string{"hello 0", "hello 1", "hello 2"}) {
		t.Fatalf("archive ids %v bodies %v, live stanza-ids %v", ids, bodies, live)
	}

	// Paging: two, then the rest after the last one.
	page1, reply := bob.queryArchive(t, `<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set>`)
	complete, last := finOf(t, reply)
	if len(page1) != 2 || complete != "false" || last != live[1] {
		t.Fatalf("page 1: %d results, complete %q, last %q", len(page1), complete, last)
	}
	page2, reply := bob.queryArchive(t, `<set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>`+last+`</after></set>`)
	if complete, _ := finOf(t, reply); len(page2) != 1 || page2[0].id != live[2] || complete != "true" {
		t.Fatalf("page 2: %v, complete %q", page2, complete)
	}
	// The extended form: after-id, through the same parser as account archives.
	after, _ := bob.queryArchive(t, `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='after-id'><value>`+live[0]+`</value></field></x>`)
	if len(after) != 2 || after[0].id != live[1] {
		t.Fatalf("after-id: %v", after)
	}
	if r := bob.iq(t, "get", room, `<query xmlns='urn:xmpp:mam:2'/>`); r.Get("type") != "result" {
		t.Fatalf("query form: %v", r)
	}
	if r := bob.iq(t, "get", room, `<metadata xmlns='urn:xmpp:mam:2'/>`); r.Child(mam.NS, "metadata").Child(mam.NS, "end").Get("id") != live[2] {
		t.Fatalf("metadata: %v", r)
	}
	// Nothing went into the account archives.
	if p, _ := archive.Query(t.Context(), "alice@"+modtest.Domain, mam.Query{}); p.Count != 0 {
		t.Fatalf("alice's archive has %d records", p.Count)
	}

	// A non-occupant of an open room is refused.
	carol := e.user(t, "carol@"+modtest.Domain+"/x")
	if _, r := carol.queryArchive(t, ""); modtest.ErrorCondition(r) != stanza.Forbidden {
		t.Fatalf("non-occupant query: %v", r)
	}
}

func TestRoomArchiveAccess(t *testing.T) {
	e := newEnv(t, muc.Options{Archive: mamtest.NewMemStore()})
	alice := e.created(t, map[string]string{"muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1"})
	if r := alice.iq(t, "set", room, `<query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='dave@`+modtest.Domain+`'/></query>`); r.Get("type") != "result" {
		t.Fatalf("grant member: %v", r)
	}
	alice.send(`<message type='groupchat' to='` + room + `'><body>members only</body></message>`)
	alice.conn.Take()
	for _, c := range []struct {
		who, want string
		n         int
	}{
		{"alice@" + modtest.Domain + "/desk", "", 1}, // occupant and owner
		{"dave@" + modtest.Domain + "/x", "", 1},     // member, not joined
		{"carol@" + modtest.Domain + "/x", stanza.Forbidden, 0},
	} {
		u := alice
		if !strings.HasPrefix(c.who, "alice") {
			u = e.user(t, c.who)
		}
		results, reply := u.queryArchive(t, "")
		if got := modtest.ErrorCondition(reply); got != c.want || len(results) != c.n {
			t.Errorf("%s: error %q, %d results; want %q, %d", c.who, got, len(results), c.want, c.n)
		}
	}
}

func TestTemporaryRoomNotArchived(t *testing.T) {
	archive := mamtest.NewMemStore()
	e := newEnv(t, muc.Options{Archive: archive})
	alice := e.created(t, nil)
	alice.send(`<message type='groupchat' to='` + room + `'><body>gone tomorrow</body></message>`)
	alice.conn.Take()
	if info := alice.iq(t, "get", room, `<query xmlns='http://jabber.org/protocol/disco#info'/>`); hasFeature(info, mam.NS) {
		t.Fatalf("temporary room advertises MAM: %v", info)
	}
	if _, r := alice.queryArchive(t, ""); modtest.ErrorCondition(r) != stanza.ServiceUnavailable {
		t.Fatalf("query of a temporary room: %v", r)
	}
	if p, _ := archive.Query(t.Context(), room, mam.Query{}); p.Count != 0 {
		t.Fatalf("temporary room archived %d messages", p.Count)
	}
}

func TestNoArchiveNoFeature(t *testing.T) {
	e := newEnv(t, muc.Options{})
	alice := e.created(t, map[string]string{"muc#roomconfig_persistentroom": "1"})
	if info := alice.iq(t, "get", room, `<query xmlns='http://jabber.org/protocol/disco#info'/>`); hasFeature(info, mam.NS) {
		t.Fatalf("room advertises MAM without an archive: %v", info)
	}
}
