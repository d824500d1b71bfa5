package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"xmppbox/admin/apitype"
)

// TestUserCommandsWhileRunning: `xmppbox user ...` reaches the running server through its
// admin socket (Badger allows one process per data directory).
func TestUserCommandsWhileRunning(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})

	srv.AddUser(t, "carol", "carol-pw-1")
	carol := dial(t, srv, "carol", "carol-pw-1", dialOpts{Resource: "r1"})
	carol.Ping(t)

	t.Run("add existing", func(t *testing.T) {
		if _, _, err := srv.CLI(t, "other-pw\n", "user", "add", "carol", "--password-stdin"); err == nil {
			t.Error("user add of an existing account succeeded")
		}
		// And the password did not change.
		dial(t, srv, "carol", "carol-pw-1", dialOpts{}).Close(t)
	})
	t.Run("list --json", func(t *testing.T) {
		users := listUsers(t, srv)
		for _, want := range []string{adminName, "carol"} {
			if !users[want] {
				t.Errorf("user list --json does not name %s", want)
			}
		}
	})
	t.Run("passwd", func(t *testing.T) {
		if _, _, err := srv.CLI(t, "carol-pw-2\n", "user", "passwd", "carol", "--password-stdin"); err != nil {
			t.Fatalf("user passwd: %v", err)
		}
		// `user passwd` documents that it ends the account's sessions.
		if ended, err := carol.WaitEnd(stanzaWait); !ended {
			t.Error("carol's session is still open after user passwd")
		} else {
			t.Logf("session ended with %v", err)
		}
		if c, err := tryDial(t, srv, "carol", "carol-pw-1", dialOpts{}); err == nil {
			c.Close(t)
			t.Error("the old password still works after user passwd")
		} else if saslCondition(err) != "not-authorized" {
			t.Errorf("old password: %v, want not-authorized", err)
		}
		dial(t, srv, "carol", "carol-pw-2", dialOpts{}).Close(t)
	})
	t.Run("del", func(t *testing.T) {
		online := dial(t, srv, "carol", "carol-pw-2", dialOpts{Resource: "r2"})
		online.Presence(t)
		online.Ping(t)
		if _, _, err := srv.CLI(t, "", "user", "del", "carol"); err != nil {
			t.Fatalf("user del: %v", err)
		}
		t.Run("forbids new logins", func(t *testing.T) {
			c, err := tryDial(t, srv, "carol", "carol-pw-2", dialOpts{})
			if err == nil {
				c.Close(t)
				t.Fatal("a deleted account can still log in")
			}
			if saslCondition(err) != "not-authorized" {
				t.Errorf("login of a deleted account: %v, want not-authorized", err)
			}
		})
		t.Run("ends the open session", func(t *testing.T) {
			ended, err := online.WaitEnd(stanzaWait)
			if !ended {
				t.Fatal("the deleted account's session is still open")
			}
			t.Logf("session ended with %v", err)
		})
		if listUsers(t, srv)["carol"] {
			t.Error("user list still names carol after user del")
		}
	})
}

// TestUserCommandsServerStopped: the same commands open the store directly when no server
// runs, and the server sees the result when it starts.
func TestUserCommandsServerStopped(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.Stop(t)
	srv.AddUser(t, "dave", "dave-pw-1")
	if !listUsers(t, srv)["dave"] {
		t.Error("user list --json does not name dave")
	}
	srv.Start(t)
	dial(t, srv, "dave", "dave-pw-1", dialOpts{}).Close(t)
}

// listUsers runs `user list --json` and returns every account it names, by localpart and by
// bare JID. The JSON shape is not pinned here: every string in it counts.
func listUsers(t *testing.T, srv *Server) map[string]bool {
	t.Helper()
	out, _, err := srv.CLI(t, "", "user", "list", "--json")
	if err != nil {
		t.Fatalf("user list --json: %v", err)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("user list --json printed no JSON: %v\n%s", err, out)
	}
	names := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			names[v] = true
			if local, domain, ok := strings.Cut(v, "@"); ok && domain == srv.Domain {
				names[local] = true
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return names
}

// TestCertCA: `xmppbox cert ca` prints the root the clients trust, PEM on stdout, and its
// SHA-256 fingerprint on stderr.
func TestCertCA(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	for _, running := range []bool{true, false} {
		t.Run(map[bool]string{true: "server running", false: "server stopped"}[running], func(t *testing.T) {
			if !running {
				srv.Stop(t)
			}
			out, errOut, err := srv.CLI(t, "", "cert", "ca")
			if err != nil {
				t.Fatalf("cert ca: %v", err)
			}
			block, rest := pem.Decode([]byte(out))
			if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
				t.Fatalf("cert ca stdout is not one PEM certificate:\n%s", out)
			}
			file, _ := pem.Decode(srv.CAPEM)
			if !bytes.Equal(block.Bytes, file.Bytes) {
				t.Error("cert ca printed another certificate than DATA/ca.crt")
			}
			sum := sha256.Sum256(block.Bytes)
			var fp []string
			for _, b := range sum {
				fp = append(fp, fmt.Sprintf("%02X", b))
			}
			if f := strings.Join(fp, ":"); !strings.Contains(strings.ToUpper(errOut), f) &&
				!strings.Contains(strings.ToUpper(errOut), strings.ReplaceAll(f, ":", "")) {
				t.Errorf("cert ca stderr does not show the SHA-256 fingerprint %s", f)
			}
		})
	}
}

// TestInitRefusesExistingDataDir: init on an existing data dir fails without --force and
// leaves the CA alone.
func TestInitRefusesExistingDataDir(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.Stop(t)
	if _, _, err := srv.CLI(t, "pw\n", "init", "--domain", "other.test", "--admin", "root", "--yes", "--password-stdin"); err == nil {
		t.Error("init on an existing data dir succeeded without --force")
	}
	after, err := os.ReadFile(srv.CAFile)
	if err != nil || !bytes.Equal(after, srv.CAPEM) {
		t.Errorf("the CA changed or vanished after a refused init (err %v)", err)
	}
}

// TestStatusCommand: `xmppbox status` reports the running server's figures, including a
// federation link, and fails with status 1 once the server is stopped.
func TestStatusCommand(t *testing.T) {
	a, b := federatedPair(t)
	alice := onlineUsers(t, a, "alice")[0]
	b.AddUser(t, "bob", "pw-bob")
	alice.Send(t, `<message to='%s' type='chat'><body>hi</body></message>`, b.JID("bob"))
	alice.Ping(t)

	out, errOut, err := a.CLI(t, "", "status", "--json")
	if err != nil {
		t.Fatalf("status --json: %v\n%s", err, errOut)
	}
	var st apitype.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if st.Domain != a.Domain || st.Users != 2 || st.OnlineUsers != 1 || st.Connections < 1 || st.Started.IsZero() || st.CertExpiry.IsZero() {
		t.Errorf("status = %+v", st)
	}
	// The message to b went over a link once b answered; the link shows soon after.
	deadline := time.Now().Add(stanzaWait)
	for !hasLink(st.Links, b.Domain) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		out, _, _ = a.CLI(t, "", "status", "--json")
		st = apitype.Status{}
		json.Unmarshal([]byte(out), &st)
	}
	if !hasLink(st.Links, b.Domain) {
		t.Errorf("status links = %+v, want one to %s", st.Links, b.Domain)
	}
	if out, _, err := a.CLI(t, "", "status"); err != nil || !strings.Contains(out, "online users:") || !strings.Contains(out, "link "+b.Domain) {
		t.Errorf("status: %v\n%s", err, out)
	}

	a.Stop(t)
	if _, errOut, err := a.CLI(t, "", "status"); err == nil || !strings.Contains(errOut, "not running") {
		t.Errorf("status of a stopped server: err %v, stderr %q", err, errOut)
	}
}

func hasLink(links []apitype.Link, remote string) bool {
	for _, l := range links {
		if l.Remote == remote && l.LastError == "" {
			return true
		}
	}
	return false
}
