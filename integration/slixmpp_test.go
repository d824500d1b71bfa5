package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// python is Debian's interpreter, where python3-slixmpp is installed; a pyenv python3 earlier
// in PATH would not have it (LIBRARIES.md §7).
const python = "/usr/bin/python3"

// clientTimeout bounds one run of an external client.
const clientTimeout = 60 * time.Second

// TestSlixmpp: slixmpp 1.8 (Debian python3-slixmpp), trusting only the box's CA, logs in over
// STARTTLS, gets its roster and sends a message that a mellium client receives; with a wrong
// password it fails.
func TestSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)
	alice.Ping(t)

	// Four logins in a row: slixmpp 1.8 first tries SCRAM-*-PLUS with tls-unique, which does
	// not exist on TLS 1.3, and falls back to the next mechanism. Those attempts are not
	// password failures and must not add up to the per-address throttle (10 a minute).
	for i := 1; i <= 4; i++ {
		t.Run(fmt.Sprintf("send message %d", i), func(t *testing.T) {
			body := fmt.Sprintf("hello %d from slixmpp", i)
			out, err := runSlixmpp(t, srv, "bob", "bob-pw-1", srv.JID("alice"), body)
			if err != nil {
				t.Fatalf("slixmpp: %v\n%s", err, out)
			}
			m := alice.WaitFor(t, "slixmpp's message", isMessageWithBody(body))
			if from := m.Get("from"); !strings.HasPrefix(from, srv.JID("bob")+"/") {
				t.Errorf("message from %q, want a full JID of bob", from)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		out, err := runSlixmpp(t, srv, "bob", "wrong-password", srv.JID("alice"), "must not arrive")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("slixmpp with a wrong password: %v, want exit status 1\n%s", err, out)
		}
		// Refused at authentication: at least one mechanism failed, none succeeded (the
		// server may also end the stream after several failures).
		if !strings.Contains(out, "mechanism failed") || strings.Contains(out, "logged in with") {
			t.Errorf("slixmpp failed, but not at authentication:\n%s", out)
		}
	})
}

// runSlixmpp runs testdata/slixmpp_send.py as user against the c2s (STARTTLS) listener.
func runSlixmpp(t *testing.T, srv *Server, user, password, to, body string) (string, error) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_send.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, srv.CAFile, srv.JID(user), password, host, port, to, body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("slixmpp (%v):\n%s", err, out.String())
	if ctx.Err() != nil {
		t.Fatalf("slixmpp did not finish within %v", clientTimeout)
	}
	return out.String(), err
}
