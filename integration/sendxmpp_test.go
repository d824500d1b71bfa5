package integration

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestGoSendxmpp: go-sendxmpp (Debian package), trusting only the box's CA, sends messages
// over STARTTLS and over direct TLS that a mellium client receives; a wrong password fails.
//
// go-sendxmpp has no option to name a CA file, but it is a Go program: crypto/x509 on Linux
// takes its roots from SSL_CERT_FILE when that is set, so pointing SSL_CERT_FILE at
// DATA/ca.crt makes the box's CA its only root. It verifies the certificate against the
// JID's domain (SNI and name check) while -j names 127.0.0.1:PORT, so -n (skip
// verification) is not needed and not used.
func TestGoSendxmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	alice.Presence(t)
	alice.Ping(t)

	tests := []struct {
		name string
		addr string
		args []string
	}{
		{"starttls", srv.C2S, nil},
		{"direct-tls", srv.C2STLS, []string{"-t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "hello from go-sendxmpp over " + tc.name
			out, err := runSendxmpp(t, srv, tc.addr, "bob", "bob-pw-1", srv.JID("alice"), body, tc.args...)
			if err != nil {
				t.Fatalf("go-sendxmpp: %v\n%s", err, out)
			}
			m := alice.WaitFor(t, "go-sendxmpp's message", isMessageWithBody(body))
			if from := m.Get("from"); !strings.HasPrefix(from, srv.JID("bob")+"/") {
				t.Errorf("message from %q, want a full JID of bob", from)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		out, err := runSendxmpp(t, srv, srv.C2S, "bob", "wrong-password", srv.JID("alice"), "must not arrive")
		if err == nil {
			t.Fatalf("go-sendxmpp with a wrong password succeeded\n%s", out)
		}
	})
}

// runSendxmpp sends body to `to` as user with go-sendxmpp, message on stdin.
func runSendxmpp(t *testing.T, srv *Server, addr, user, password, to, body string, extra ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("go-sendxmpp")
	if err != nil {
		t.Fatalf("go-sendxmpp is not installed (scripts/test installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	args := append([]string{"-u", srv.JID(user), "-p", password, "-j", addr, "--timeout", "20"}, extra...)
	args = append(args, to)
	cmd := exec.CommandContext(ctx, bin, args...)
	// SSL_CERT_DIR: an empty directory, else the system's roots would be read too. HOME: an
	// empty one, so no developer's ~/.config/go-sendxmpp is read.
	empty := t.TempDir()
	cmd.Env = append(srv.env(), "SSL_CERT_FILE="+srv.CAFile, "SSL_CERT_DIR="+empty, "HOME="+empty)
	cmd.Stdin = strings.NewReader(body + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("$ go-sendxmpp %s (%v)\n%s", strings.Join(args, " "), err, out.String())
	if ctx.Err() != nil {
		t.Fatalf("go-sendxmpp did not finish within %v", clientTimeout)
	}
	return out.String(), err
}
