package integration

import (
	"testing"
	"time"
)

// TestOfflineMessage: a message to an account with no available resource is stored and
// delivered on the next initial presence (RFC 6121 §8.5.2.1.1, XEP-0160) with a XEP-0203
// delay stamp.
func TestOfflineMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)

	before := time.Now().Add(-time.Minute) // the server's clock may lag ours a little
	sendOffline(t, alice, srv.JID("bob"), "while you were out")

	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	bob.Presence(t)
	m := bob.WaitFor(t, "the offline message", isMessageWithBody("while you were out"))
	checkDelay(t, m, srv.Domain, before)
	if m.Get("from") != alice.JID.String() {
		t.Errorf("offline message from %q, want alice's full JID %s", m.Get("from"), alice.JID)
	}
}

// sendOffline sends a chat message and waits until the server has handled it: the ping
// round trip after it is a barrier on the sender's stream.
func sendOffline(t *testing.T, from *Client, to, body string) {
	t.Helper()
	from.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, to, body)
	from.Ping(t)
}

// checkDelay checks m's XEP-0203 <delay/>: from the server's domain (§3: the entity that
// delayed it) and a stamp between notBefore and now.
func checkDelay(t *testing.T, m *Elem, domain string, notBefore time.Time) {
	t.Helper()
	d := m.Child(nsDelay, "delay")
	if d == nil {
		t.Fatalf("offline message without <delay xmlns='urn:xmpp:delay'/>: %s", m)
	}
	stamp, err := time.Parse(time.RFC3339Nano, d.Get("stamp"))
	if err != nil {
		t.Fatalf("delay stamp %q: %v", d.Get("stamp"), err)
	}
	if stamp.Before(notBefore) || stamp.After(time.Now().Add(time.Minute)) {
		t.Errorf("delay stamp %v is not around the time the message was sent (%v)", stamp, notBefore)
	}
	if f := d.Get("from"); f != "" && f != domain {
		t.Errorf("delay from %q, want the server's domain %s", f, domain)
	}
}
