package integration

import (
	"testing"
)

// TestRoster: roster set, the push that follows (RFC 6121 §2.1.6), roster get, roster
// versioning and removal.
func TestRoster(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	bob := srv.JID("bob")

	t.Run("empty", func(t *testing.T) {
		if items := rosterItems(t, alice); len(items) != 0 {
			t.Errorf("new account's roster has %d items, want none", len(items))
		}
	})
	t.Run("add", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:roster'><item jid='%s' name='Bob'><group>Friends</group></item></query></iq>`, bob)
		if res.Get("type") != "result" {
			t.Fatalf("roster set: %s", res)
		}
		alice.WaitFor(t, "roster push adding bob", isRosterPush(bob, func(it *Elem) bool {
			return it.Get("name") == "Bob" && it.ChildText(nsRoster, "group") == "Friends" && subscription(it) == "none"
		}))
		item := rosterItems(t, alice)[bob]
		if item == nil {
			t.Fatalf("roster get after the set has no item for %s", bob)
		}
		if item.Get("name") != "Bob" || subscription(item) != "none" || item.ChildText(nsRoster, "group") != "Friends" {
			t.Errorf("roster item %s, want name Bob, group Friends, subscription none", item)
		}
	})
	t.Run("versioning", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='get' id='%s'><query xmlns='jabber:iq:roster' ver=''/></iq>`)
		q := res.Child(nsRoster, "query")
		if res.Get("type") != "result" || q == nil || q.Get("ver") == "" {
			t.Fatalf("roster get with ver='': %s, want a query with a ver attribute (RFC 6121 §2.6)", res)
		}
		ver := q.Get("ver")
		alice.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:roster'><item jid='%s' name='Robert'/></query></iq>`, bob)
		push := alice.WaitFor(t, "roster push renaming bob", isRosterPush(bob, func(it *Elem) bool { return it.Get("name") == "Robert" }))
		if v := push.Child(nsRoster, "query").Get("ver"); v == "" || v == ver {
			t.Errorf("roster push after a change has ver %q (before: %q), want a new version", v, ver)
		}
	})
	t.Run("remove", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:roster'><item jid='%s' subscription='remove'/></query></iq>`, bob)
		if res.Get("type") != "result" {
			t.Fatalf("roster remove: %s", res)
		}
		alice.WaitFor(t, "roster push removing bob", isRosterPush(bob, func(it *Elem) bool { return it.Get("subscription") == "remove" }))
		if item := rosterItems(t, alice)[bob]; item != nil {
			t.Errorf("roster still has %s after removal", item)
		}
	})
}

// TestSubscriptionAndPresence: mutual subscription (RFC 6121 §3), presence seen by the
// contact, unavailable on disconnect, and the presence probe on login (§4.3).
func TestSubscriptionAndPresence(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "a1"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b1"})
	// As clients do: get the roster (which makes the resource "interested" in roster pushes,
	// RFC 6121 §2.1.6), then send initial presence.
	rosterItems(t, alice)
	rosterItems(t, bob)
	alice.Presence(t)
	bob.Presence(t)

	subscribe(t, alice, bob)
	subscribe(t, bob, alice)
	for _, c := range []struct {
		who     *Client
		contact string
	}{{alice, srv.JID("bob")}, {bob, srv.JID("alice")}} {
		item := rosterItems(t, c.who)[c.contact]
		if subscription(item) != "both" || item.Get("ask") != "" {
			t.Errorf("%s's roster item for %s is %s, want subscription='both' and no ask", c.who.JID, c.contact, item)
		}
	}

	// bob goes offline: alice sees bob's resource become unavailable.
	bob.Close(t)
	u := alice.WaitFor(t, "unavailable from bob", isPresenceFrom(srv.JID("bob"), "unavailable"))
	if u.Get("from") != bob.JID.String() {
		t.Errorf("unavailable presence from %q, want bob's full JID %s", u.Get("from"), bob.JID)
	}

	// bob logs in again after alice: the server probes alice's presence for him, and
	// broadcasts his to her.
	bob2 := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b2"})
	bob2.Presence(t)
	p := bob2.WaitFor(t, "alice's presence after login (probe)", isPresenceFrom(srv.JID("alice"), ""))
	if p.Get("from") != alice.JID.String() {
		t.Errorf("probed presence from %q, want alice's full JID %s", p.Get("from"), alice.JID)
	}
	alice.WaitFor(t, "bob's new presence", func(e *Elem) bool {
		return isPresenceFrom(srv.JID("bob"), "")(e) && e.Get("from") == bob2.JID.String()
	})
}

// subscribe makes user subscribe to contact's presence and contact approve it, checking
// each step of RFC 6121 §3.1. Both must be online with available presence, and must have
// requested the roster (only such "interested" resources get roster pushes).
func subscribe(t *testing.T, user, contact *Client) {
	t.Helper()
	userBare, contactBare := user.JID.Bare().String(), contact.JID.Bare().String()
	user.Send(t, `<presence to='%s' type='subscribe'/>`, contactBare)
	// §3.1.2: the user's server pushes the item with ask='subscribe'.
	user.WaitFor(t, "roster push with ask=subscribe", isRosterPush(contactBare, func(it *Elem) bool {
		return it.Get("ask") == "subscribe"
	}))
	// §3.1.3: the contact receives the request from the user's bare JID.
	req := contact.WaitFor(t, "subscription request", isPresenceFrom(userBare, "subscribe"))
	if req.Get("from") != userBare {
		t.Errorf("subscription request from %q, want the bare JID %s", req.Get("from"), userBare)
	}
	contact.Send(t, `<presence to='%s' type='subscribed'/>`, userBare)
	// §3.1.5: the contact's server pushes the item with subscription from (or both).
	contact.WaitFor(t, "roster push after approval", isRosterPush(userBare, func(it *Elem) bool {
		s := subscription(it)
		return s == "from" || s == "both"
	}))
	// §3.1.6: the user gets the approval, a push with subscription to (or both) and no ask,
	// and the contact's current presence.
	user.WaitFor(t, "subscribed", isPresenceFrom(contactBare, "subscribed"))
	user.WaitFor(t, "roster push with subscription to", isRosterPush(contactBare, func(it *Elem) bool {
		s := subscription(it)
		return (s == "to" || s == "both") && it.Get("ask") == ""
	}))
	user.WaitFor(t, "the contact's presence", isPresenceFrom(contactBare, ""))
}

// rosterItems gets c's roster and returns its items by JID.
func rosterItems(t *testing.T, c *Client) map[string]*Elem {
	t.Helper()
	res := c.IQ(t, `<iq type='get' id='%s'><query xmlns='jabber:iq:roster'/></iq>`)
	if res.Get("type") != "result" {
		t.Fatalf("roster get: %s", res)
	}
	items := map[string]*Elem{}
	for _, it := range res.Child(nsRoster, "query").All(nsRoster, "item") {
		items[it.Get("jid")] = it
	}
	return items
}

// subscription returns an item's subscription attribute; absent means none (RFC 6121 §2.1.2.5).
func subscription(item *Elem) string {
	if s := item.Get("subscription"); s != "" {
		return s
	}
	return "none"
}
