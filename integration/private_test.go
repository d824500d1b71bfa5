package integration

import (
	"testing"
)

const nsPrivate = "jabber:iq:private"

// privateGet asks c's own private storage for <local xmlns='space'/> and returns the
// element found in the result.
func privateGet(t *testing.T, c *Client, space, local string) *Elem {
	t.Helper()
	res := c.IQ(t, `<iq type='get' id='%s'><query xmlns='jabber:iq:private'><%s xmlns='%s'/></query></iq>`, local, space)
	el := res.Child(nsPrivate, "query").Child(space, local)
	if res.Get("type") != "result" || el == nil {
		t.Fatalf("private get of {%s}%s: %s, want a result holding the element", space, local, res)
	}
	return el
}

// TestPrivateStorage: XEP-0049 with mellium clients: a set and get round trip, isolation
// between users, no access to another user's storage, and persistence across a restart.
func TestPrivateStorage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	const bookmarks = `<storage xmlns='storage:bookmarks'><conference jid='tea@party.example.test' autojoin='true' name='Tea &amp; cake'><nick>alice</nick></conference></storage>`

	checkAliceBookmarks := func(t *testing.T, c *Client) {
		t.Helper()
		conf := privateGet(t, c, "storage:bookmarks", "storage").Child("storage:bookmarks", "conference")
		if conf.Get("jid") != "tea@party.example.test" || conf.Get("name") != "Tea & cake" || conf.ChildText("storage:bookmarks", "nick") != "alice" {
			t.Errorf("bookmarks read back as %s", conf)
		}
	}

	t.Run("empty", func(t *testing.T) {
		if el := privateGet(t, alice, "storage:bookmarks", "storage"); len(el.Children) != 0 || len(el.Attr) != 0 {
			t.Errorf("private get before any set returned %s, want the empty element", el)
		}
	})
	t.Run("set and get", func(t *testing.T) {
		if res := alice.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:private'>`+bookmarks+`</query></iq>`); res.Get("type") != "result" {
			t.Fatalf("private set: %s", res)
		}
		checkAliceBookmarks(t, alice)
	})
	t.Run("users are isolated", func(t *testing.T) {
		if el := privateGet(t, bob, "storage:bookmarks", "storage"); len(el.Children) != 0 {
			t.Errorf("bob's own bookmarks are %s, want empty: alice's must not show", el)
		}
		res := bob.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='bobs@party.example.test'/></storage></query></iq>`)
		if res.Get("type") != "result" {
			t.Fatalf("bob's private set: %s", res)
		}
		checkAliceBookmarks(t, alice)
	})
	t.Run("others cannot read or write", func(t *testing.T) {
		get := bob.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`, srv.JID("alice"))
		if get.Get("type") != "error" || get.Child(nsPrivate, "query").Child("storage:bookmarks", "storage").Child("storage:bookmarks", "conference") != nil {
			t.Errorf("bob reading alice's private storage: %s, want an error without her data", get)
		}
		if cond := get.ErrorCondition(); cond != "forbidden" {
			t.Errorf("bob reading alice's private storage: condition %q, want forbidden (XEP-0049 §2.3)", cond)
		}
		set := bob.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`, srv.JID("alice"))
		if set.ErrorCondition() != "forbidden" {
			t.Errorf("bob writing alice's private storage: %s, want forbidden", set)
		}
		checkAliceBookmarks(t, alice)
	})
	t.Run("query without element", func(t *testing.T) {
		if res := alice.IQ(t, `<iq type='get' id='%s'><query xmlns='jabber:iq:private'/></iq>`); res.ErrorCondition() != "not-acceptable" {
			t.Errorf("private get of nothing: %s, want not-acceptable (XEP-0049 §2.3)", res)
		}
	})
	t.Run("survives restart", func(t *testing.T) {
		alice.Close(t)
		bob.Close(t)
		srv.Restart(t)
		alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
		checkAliceBookmarks(t, alice)
		bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
		if conf := privateGet(t, bob, "storage:bookmarks", "storage").Child("storage:bookmarks", "conference"); conf.Get("jid") != "bobs@party.example.test" {
			t.Errorf("bob's bookmarks after restart: %s", conf)
		}
	})
}
