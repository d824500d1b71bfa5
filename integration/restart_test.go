package integration

import (
	"testing"
	"time"
)

// TestRestartKeepsState: accounts (also one added while the server ran), rosters with
// their subscription states and offline messages survive a graceful restart.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	rosterItems(t, alice)
	rosterItems(t, bob)
	alice.Presence(t)
	bob.Presence(t)
	subscribe(t, alice, bob)
	subscribe(t, bob, alice)
	bob.Close(t)
	before := time.Now().Add(-time.Minute)
	sendOffline(t, alice, srv.JID("bob"), "kept across a restart")
	alice.Close(t)

	srv.Restart(t)

	alice = dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	if item := rosterItems(t, alice)[srv.JID("bob")]; subscription(item) != "both" {
		t.Errorf("after restart alice's roster item for bob is %s, want subscription='both'", item)
	}
	alice.Presence(t)
	bob = dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	if item := rosterItems(t, bob)[srv.JID("alice")]; subscription(item) != "both" {
		t.Errorf("after restart bob's roster item for alice is %s, want subscription='both'", item)
	}
	bob.Presence(t)
	m := bob.WaitFor(t, "the offline message stored before the restart", isMessageWithBody("kept across a restart"))
	checkDelay(t, m, srv.Domain, before)
	// Presence works from the restored rosters: bob's probe finds alice.
	bob.WaitFor(t, "alice's presence", isPresenceFrom(srv.JID("alice"), ""))
	// The admin account made by init survives too.
	dial(t, srv, adminName, adminPassword, dialOpts{}).Close(t)
}

// TestShutdown: on SIGTERM every connected client gets a <system-shutdown/> stream error
// (RFC 6120 §4.9.3.22) and the server exits 0 (checked by Stop).
func TestShutdown(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{DirectTLS: true})
	admin := dial(t, srv, adminName, adminPassword, dialOpts{})
	srv.Stop(t)
	for _, c := range []*Client{alice, admin} {
		ended, err := c.WaitEnd(stanzaWait)
		if !ended {
			t.Fatalf("%s: session still open after the server stopped", c.JID)
		}
		if got := streamErrorCondition(err); got != "system-shutdown" {
			t.Errorf("%s: session ended with %v, want a <system-shutdown/> stream error", c.JID, err)
		}
	}
}
