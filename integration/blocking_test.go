package integration

import (
	"io"
	"testing"
)

const (
	nsBlocking       = "urn:xmpp:blocking"
	nsBlockingErrors = "urn:xmpp:blocking:errors"
)

// TestBlocking: alice blocks bob (XEP-0191). The push reaches her other resource, bob
// sees her go offline, his message is refused with service-unavailable and never reaches
// her, and her message to him is refused with not-acceptable and <blocked/>. The list
// survives a restart; unblocking restores delivery and presence.
func TestBlocking(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	one := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "one"})
	two := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "two"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	rosterItems(t, one)
	rosterItems(t, bob)
	one.Presence(t)
	bob.Presence(t)
	subscribe(t, one, bob)
	subscribe(t, bob, one)
	two.Presence(t)
	alice, bobBare := srv.JID("alice"), srv.JID("bob")

	info := one.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, srv.Domain)
	if !discoHas(info, nsBlocking) {
		t.Fatalf("server disco#info %s lacks %s", info, nsBlocking)
	}
	if got := blocklist(t, one); len(got) != 0 {
		t.Fatalf("new account's block list: %q", got)
	}
	blocklist(t, two) // alice/two now gets pushes too

	block := one.IQ(t, `<iq type='set' id='%s'><block xmlns='urn:xmpp:blocking'><item jid='%s'/></block></iq>`, bobBare)
	if block.Get("type") != "result" {
		t.Fatalf("block: %s", block)
	}
	t.Run("push reaches the other resource", func(t *testing.T) {
		push := two.WaitFor(t, "the block push", func(e *Elem) bool {
			return e.Is(nsClient, "iq") && e.Get("type") == "set" && e.Child(nsBlocking, "block") != nil
		})
		items := push.Child(nsBlocking, "block").All(nsBlocking, "item")
		if len(items) != 1 || items[0].Get("jid") != bobBare {
			t.Errorf("push %s, want one item %s", push, bobBare)
		}
	})
	t.Run("bob sees alice go offline", func(t *testing.T) {
		for _, c := range []*Client{one, two} {
			bob.WaitFor(t, "unavailable from "+c.JID.String(), func(e *Elem) bool {
				return isPresenceFrom(alice, "unavailable")(e) && e.Get("from") == c.JID.String()
			})
		}
	})
	checkRefused(t, one, two, bob, "while blocked")

	// The list survives a restart. The clients are dialled in the test itself, not in a
	// subtest, so that they live until its end.
	srv.Restart(t)
	one = dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "one"})
	bob = dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	one.Presence(t)
	bob.Presence(t)
	if got := blocklist(t, one); len(got) != 1 || got[0] != bobBare {
		t.Fatalf("block list after restart: %q, want [%s]", got, bobBare)
	}
	checkRefused(t, one, nil, bob, "after restart")
	// alice's login probe to bob was dropped, and so was his to her.
	if n := bob.count(isPresenceFrom(alice, "")); n != 0 {
		t.Errorf("bob got %d available presences from alice while she blocks him", n)
	}
	if n := one.count(isPresenceFrom(bobBare, "")); n != 0 {
		t.Errorf("alice got %d available presences from bob while she blocks him", n)
	}

	t.Run("unblock restores delivery", func(t *testing.T) {
		res := one.IQ(t, `<iq type='set' id='%s'><unblock xmlns='urn:xmpp:blocking'><item jid='%s'/></unblock></iq>`, bobBare)
		if res.Get("type") != "result" {
			t.Fatalf("unblock: %s", res)
		}
		one.WaitFor(t, "the unblock push", func(e *Elem) bool {
			return e.Is(nsClient, "iq") && e.Get("type") == "set" && e.Child(nsBlocking, "unblock") != nil
		})
		bob.WaitFor(t, "alice's presence again", isPresenceFrom(alice, ""))
		one.WaitFor(t, "bob's presence (probed on unblock)", isPresenceFrom(bobBare, ""))
		bob.Send(t, `<message to='%s' type='chat' id='again'><body>hello again</body></message>`, alice)
		one.WaitFor(t, "bob's message", isMessageWithBody("hello again"))
		one.Send(t, `<message to='%s' type='chat'><body>welcome back</body></message>`, bobBare)
		bob.WaitFor(t, "alice's message", isMessageWithBody("welcome back"))
		if got := blocklist(t, one); len(got) != 0 {
			t.Errorf("block list after unblock: %q", got)
		}
	})
}

// checkRefused checks both directions while alice blocks bob: bob's message gets
// service-unavailable and reaches no resource of alice's (one and, if not nil, two);
// alice's gets not-acceptable with <blocked/> and does not reach bob.
func checkRefused(t *testing.T, one, two, bob *Client, when string) {
	t.Run("bob's message is refused "+when, func(t *testing.T) {
		id := "in-" + randomID()
		bob.Send(t, `<message to='%s' type='chat' id='%s'><body>let me in %s</body></message>`, one.JID.Bare(), id, id)
		e := bob.WaitFor(t, "the error", func(e *Elem) bool { return e.Get("id") == id && e.Get("type") == "error" })
		if c := e.ErrorCondition(); c != "service-unavailable" {
			t.Errorf("bob got %s, want service-unavailable", e)
		}
		// bob's stanzas were all handled when his ping returns; then alice's pings flush
		// what was queued for her.
		bob.Ping(t)
		for _, c := range []*Client{one, two} {
			if c == nil {
				continue
			}
			c.Ping(t)
			if n := c.count(isMessageWithBody("let me in " + id)); n != 0 {
				t.Errorf("%s got bob's message", c.JID)
			}
		}
	})
	t.Run("alice's message is refused "+when, func(t *testing.T) {
		id := "out-" + randomID()
		one.Send(t, `<message to='%s' type='chat' id='%s'><body>psst %s</body></message>`, bob.JID.Bare(), id, id)
		e := one.WaitFor(t, "the error", func(e *Elem) bool { return e.Get("id") == id && e.Get("type") == "error" })
		if e.ErrorCondition() != "not-acceptable" || e.Child(nsClient, "error").Child(nsBlockingErrors, "blocked") == nil {
			t.Errorf("alice got %s, want not-acceptable with <blocked xmlns='%s'/>", e, nsBlockingErrors)
		}
		one.Ping(t)
		bob.Ping(t)
		if n := bob.count(isMessageWithBody("psst " + id)); n != 0 {
			t.Errorf("bob got alice's message")
		}
	})
}

// blocklist retrieves c's block list.
func blocklist(t *testing.T, c *Client) []string {
	t.Helper()
	res := c.IQ(t, `<iq type='get' id='%s'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	if res.Get("type") != "result" {
		t.Fatalf("%s: blocklist: %s", c.JID, res)
	}
	var jids []string
	for _, it := range res.Child(nsBlocking, "blocklist").All(nsBlocking, "item") {
		jids = append(jids, it.Get("jid"))
	}
	return jids
}

// TestBlockingSlixmpp: slixmpp's xep_0191 plugin, logged in as alice, finds blocking in
// the server's disco#info, blocks bob, sees the push and the list, and unblocks him; while
// he is blocked his message is refused, afterwards it arrives.
func TestBlockingSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	bob.Presence(t)
	bobBare := srv.JID("bob")

	lines, stdin, wait := startSlixmppScript(t, srv, "slixmpp_blocking.py", "alice", "alice-pw-1", bobBare)
	for _, l := range []string{"FEATURE " + nsBlocking, "LIST (none)", "BLOCKED", "PUSH BLOCK " + bobBare, "LIST " + bobBare} {
		lines.wait(t, l, 1)
	}
	bob.Send(t, `<message to='%s' type='chat' id='blocked-1'><body>hello?</body></message>`, srv.JID("alice"))
	e := bob.WaitFor(t, "the error", func(e *Elem) bool { return e.Get("id") == "blocked-1" && e.Get("type") == "error" })
	if e.ErrorCondition() != "service-unavailable" {
		t.Errorf("bob got %s, want service-unavailable", e)
	}

	if _, err := io.WriteString(stdin, "unblock\n"); err != nil {
		t.Fatal(err)
	}
	lines.wait(t, "PUSH UNBLOCK "+bobBare, 1)
	lines.wait(t, "LIST (none)", 2)
	bob.Send(t, `<message to='%s' type='chat'><body>hello again</body></message>`, srv.JID("alice"))
	lines.wait(t, "MSG "+bob.JID.String()+" hello again", 1)
	if err := wait(); err != nil {
		t.Fatalf("slixmpp: %v", err)
	}
	if n := lines.count("MSG " + bob.JID.String() + " hello?"); n != 0 {
		t.Errorf("slixmpp got bob's message while he was blocked")
	}
}
