package integration

import (
	"strings"
	"testing"
)

// TestDisabledAccount disables an account with the CLI while its client is connected:
// the client is cut off, a new login gets <account-disabled/> (RFC 6120 §6.5.1) once the
// password is right, and enabling the account lets it in again with its data kept.
func TestDisabledAccount(t *testing.T) {
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "pw-alice")
	srv.AddUser(t, "bob", "pw-bob")
	alice := dial(t, srv, "alice", "pw-alice", dialOpts{})

	out, _, err := srv.CLI(t, "", "user", "disable", "alice")
	if err != nil || !strings.Contains(out, srv.JID("alice")+": disabled") {
		t.Fatalf("user disable: %q, %v", out, err)
	}
	if ended, err := alice.WaitEnd(stanzaWait); !ended {
		t.Fatalf("alice's session survived the disabling (%v)", err)
	}

	_, err = tryDial(t, srv, "alice", "pw-alice", dialOpts{})
	if got := saslCondition(err); got != "account-disabled" {
		t.Errorf("login of a disabled account: %v (condition %q), want account-disabled", err, got)
	}
	// A wrong password still says only not-authorized: the account's state stays private.
	_, err = tryDial(t, srv, "alice", "wrong", dialOpts{})
	if got := saslCondition(err); got != "not-authorized" {
		t.Errorf("wrong password on a disabled account: condition %q, want not-authorized", got)
	}

	// Messages to a disabled account wait offline.
	bob := dial(t, srv, "bob", "pw-bob", dialOpts{})
	bob.Send(t, `<message to='%s' type='chat' id='m1'><body>while you were away</body></message>`, srv.JID("alice"))
	bob.Ping(t)

	if _, _, err := srv.CLI(t, "", "user", "enable", "alice"); err != nil {
		t.Fatal(err)
	}
	alice = dial(t, srv, "alice", "pw-alice", dialOpts{})
	alice.Presence(t)
	alice.WaitFor(t, "the offline message", func(e *Elem) bool {
		return e.Name.Local == "message" && strings.Contains(e.ChildText("jabber:client", "body"), "while you were away")
	})
}
