package integration

import (
	"testing"
)

// TestClientStateIndication: while alice says she is inactive (XEP-0352), bob's presence
// updates to her are held back and collapsed to the latest; a message goes through at
// once, after the presence it must not overtake; going active releases what is held.
func TestClientStateIndication(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
	alice.Presence(t)
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	bob.Presence(t)
	aliceFull := alice.JID.String()

	statusFromBob := func(status string) func(*Elem) bool {
		return func(e *Elem) bool {
			return e.Is(nsClient, "presence") && e.ChildText(nsClient, "status") == status
		}
	}
	presence := func(status string) {
		bob.Send(t, `<presence to='%s'><status>%s</status></presence>`, aliceFull, status)
	}

	// An IQ result is important and releases what is held, so alice's own pings cannot
	// serve as barriers while she is inactive; bob's can: once his ping is answered, his
	// presences have reached alice's connection.
	alice.Send(t, `<inactive xmlns='urn:xmpp:csi:0'/>`)
	alice.Ping(t) // the server has handled <inactive/>
	presence("one")
	presence("two")
	presence("three")
	bob.Ping(t)
	if n := alice.count(statusFromBob("one")) + alice.count(statusFromBob("two")) + alice.count(statusFromBob("three")); n != 0 {
		t.Fatalf("inactive alice got %d presence updates, want none yet", n)
	}

	alice.Send(t, `<active xmlns='urn:xmpp:csi:0'/>`)
	alice.WaitFor(t, "the latest held presence", statusFromBob("three"))
	alice.Ping(t)
	if n := alice.count(statusFromBob("one")) + alice.count(statusFromBob("two")); n != 0 {
		t.Errorf("alice got %d superseded presence updates, want them collapsed away", n)
	}

	alice.Send(t, `<inactive xmlns='urn:xmpp:csi:0'/>`)
	alice.Ping(t)
	presence("four")
	bob.Ping(t)
	if n := alice.count(statusFromBob("four")); n != 0 {
		t.Fatalf("inactive alice got the presence at once")
	}
	bob.Send(t, `<message to='%s' type='chat'><body>urgent</body></message>`, aliceFull)
	msg := alice.WaitFor(t, "the message, at once while inactive", isMessageWithBody("urgent"))
	if p, m := alice.index(statusFromBob("four")), alice.index(func(e *Elem) bool { return e == msg }); p < 0 || p > m {
		t.Errorf("held presence at %d, message at %d: the presence must be released before the message", p, m)
	}
}

// count returns how many received stanzas match, taken or not.
func (c *Client) count(match func(*Elem) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.stanzas {
		if match(e) {
			n++
		}
	}
	return n
}

// index returns the position of the first received stanza that matches, or -1.
func (c *Client) index(match func(*Elem) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.stanzas {
		if match(e) {
			return i
		}
	}
	return -1
}
