package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/embeddb"
	"xmppbox/server/mod/register"
)

// storedInvite opens the store of dir and returns the invite for token.
func storedInvite(t *testing.T, dir, token string) (register.Invite, error) {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.Invites().Invite(context.Background(), token)
}

func TestInviteCreateOffline(t *testing.T) {
	dir, _ := initDir(t)
	before := time.Now()
	r := mustRun(t, "", "invite", "create", "--expires", "2d", "--data", dir)
	if !regexp.MustCompile(`^uri: xmpp:example\.org\?register;preauth=[A-Z2-7]{26}\ntoken: [A-Z2-7]{26}\nexpires: \S+\nuses: 1\n$`).MatchString(r.stdout) {
		t.Fatalf("stdout %q", r.stdout)
	}
	token := field(t, r.stdout, "token")
	if !strings.HasSuffix(field(t, r.stdout, "uri"), "="+token) {
		t.Errorf("the URI does not carry the token: %q", r.stdout)
	}
	expires, err := time.Parse(time.RFC3339, field(t, r.stdout, "expires"))
	if err != nil || expires.Before(before.Add(48*time.Hour-time.Second)) || expires.After(time.Now().Add(48*time.Hour)) {
		t.Errorf("expires %q (%v), want two days from now", field(t, r.stdout, "expires"), err)
	}
	inv, err := storedInvite(t, dir, token)
	if err != nil || inv.Uses != 1 {
		t.Errorf("stored invite %+v, %v; want a single-use invite", inv, err)
	}

	r = mustRun(t, "", "invite", "create", "--json", "--data", dir)
	var j apitype.Invite
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil || j.Token == "" || j.Token == token ||
		j.URI != "xmpp:example.org?register;preauth="+j.Token || j.Expires.Before(before.Add(7*24*time.Hour-time.Second)) {
		t.Errorf("--json: %q (%v); want a new token valid for the default 7 days", r.stdout, err)
	}

	for _, bad := range []string{"7", "0d", "-1h", "30s", "soon", "99999999d"} {
		if r := run(t, "", nil, "invite", "create", "--expires", bad, "--data", dir); r.err == nil || !strings.Contains(r.err.Error(), "--expires") {
			t.Errorf("--expires %s: err = %v, want a --expires error", bad, r.err)
		}
	}
}

func TestInviteCreateThroughAPI(t *testing.T) {
	dir, _ := initDir(t)
	log := slog.New(slog.DiscardHandler)
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: db.Accounts(), Invites: db.Invites(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := api.Listen(filepath.Join(dir, api.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.NewServer(svc, log).Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		db.Close()
	}()

	// The store is locked by the "server": only the API can create the invite.
	r := mustRun(t, "", "invite", "create", "--expires", "90m", "--data", dir)
	token := field(t, r.stdout, "token")
	if inv, err := db.Invites().Invite(t.Context(), token); err != nil || inv.Expires.After(time.Now().Add(90*time.Minute)) {
		t.Errorf("invite in the server's store: %+v, %v", inv, err)
	}
}

// access is one of the two ways the CLI reaches the store: opening it while no server runs,
// or through the admin API of a "server" holding it open.
type access struct {
	name  string
	start func(t *testing.T, dir string)
}

func accesses() []access {
	return []access{
		{"offline", func(*testing.T, string) {}},
		{"through api", func(t *testing.T, dir string) { serveAPI(t, dir) }},
	}
}

func TestInviteCommands(t *testing.T) {
	for _, m := range accesses() {
		t.Run(m.name, func(t *testing.T) {
			dir, _ := initDir(t)
			m.start(t, dir)

			r := mustRun(t, "", "invite", "list", "--data", dir)
			if r.stdout != "" || r.stderr != "no invitations\n" {
				t.Errorf("empty list: stdout %q, stderr %q", r.stdout, r.stderr)
			}
			if r = mustRun(t, "", "invite", "list", "--json", "--data", dir); r.stdout != "{\n  \"invites\": []\n}\n" {
				t.Errorf("empty list --json: %q", r.stdout)
			}

			create := []struct {
				name         string
				args         []string
				wantUses     int
				wantUsername string
				wantErr      string
			}{
				{name: "three uses", args: []string{"--uses", "3"}, wantUses: 3},
				{name: "username", args: []string{"--username", "Dave", "--expires", "36h"}, wantUses: 1, wantUsername: "dave"},
				{name: "username with one use", args: []string{"--username", "erin@example.org", "--uses", "1"}, wantUses: 1, wantUsername: "erin"},
				{name: "username with two uses", args: []string{"--username", "dave", "--uses", "2"}, wantErr: "can be used once"},
				{name: "foreign username", args: []string{"--username", "dave@other.org"}, wantErr: "this server serves example.org"},
				{name: "no uses", args: []string{"--uses", "0"}, wantErr: "--uses 0: give 1 to 1000"},
				{name: "too many uses", args: []string{"--uses", "1001"}, wantErr: "give 1 to 1000"},
			}
			var tokens []string
			for _, tt := range create {
				r := run(t, "", nil, append([]string{"invite", "create", "--data", dir}, tt.args...)...)
				if tt.wantErr != "" {
					if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
						t.Errorf("create %s: err = %v, want %q", tt.name, r.err, tt.wantErr)
					}
					continue
				}
				if r.err != nil {
					t.Fatalf("create %s: %v", tt.name, r.err)
				}
				want := fmt.Sprintf(`^uri: \S+\ntoken: [A-Z2-7]{26}\nexpires: \S+\nuses: %d\n`, tt.wantUses)
				if tt.wantUsername != "" {
					want += "username: " + tt.wantUsername + `\n`
				}
				if !regexp.MustCompile(want + "$").MatchString(r.stdout) {
					t.Errorf("create %s: stdout %q, want %s", tt.name, r.stdout, want)
				}
				tokens = append(tokens, field(t, r.stdout, "token"))
			}
			if len(tokens) != 3 {
				t.Fatalf("%d invitations created, want 3", len(tokens))
			}

			r = mustRun(t, "", "invite", "list", "--data", dir)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != 4 || !regexp.MustCompile(`^TOKEN +EXPIRES +USES +USERNAME +CREATED BY$`).MatchString(lines[0]) {
				t.Fatalf("list:\n%s", r.stdout)
			}
			wantRows := [][]string{{tokens[0], "3", "-"}, {tokens[1], "1", "dave"}, {tokens[2], "1", "erin"}}
			for i, row := range lines[1:] {
				f := strings.Fields(row)
				if len(f) != 5 || f[0] != wantRows[i][0] || f[2] != wantRows[i][1] || f[3] != wantRows[i][2] || f[4] != "operator" {
					t.Errorf("row %d = %q, want token, expiry, %s uses, username %s, operator", i, row, wantRows[i][1], wantRows[i][2])
				}
				if _, err := time.Parse(time.RFC3339, f[1]); err != nil {
					t.Errorf("row %d expiry: %v", i, err)
				}
			}

			r = mustRun(t, "", "invite", "list", "--json", "--data", dir)
			var l apitype.InviteList
			if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || len(l.Invites) != 3 {
				t.Fatalf("list --json: %q (%v)", r.stdout, err)
			}
			for i, inv := range l.Invites {
				if inv.Token != tokens[i] || inv.URI != "xmpp:example.org?register;preauth="+tokens[i] || strconv.Itoa(inv.Uses) != wantRows[i][1] ||
					inv.Created.IsZero() || !inv.Expires.After(inv.Created) || inv.CreatedBy != "" || inv.AddInviter {
					t.Errorf("list --json invite %d: %+v", i, inv)
				}
			}
			if strings.Contains(r.stdout, "created_by") || strings.Contains(r.stdout, "add_inviter") || strings.Count(r.stdout, `"username"`) != 2 {
				t.Errorf("list --json shows unset fields:\n%s", r.stdout)
			}

			revoke := []struct {
				token   string
				wantErr string
			}{
				{tokens[1], ""},
				{tokens[1], "no such invitation: this invitation is not valid any more"},
				{"NOSUCHTOKEN", "no such invitation"},
				{tokens[0], ""},
			}
			for _, tt := range revoke {
				r := run(t, "", nil, "invite", "revoke", tt.token, "--data", dir)
				if tt.wantErr != "" {
					if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) || !errors.Is(r.err, fs.ErrNotExist) || r.stdout != "" {
						t.Errorf("revoke %s: err = %v, stdout %q; want %q", tt.token, r.err, r.stdout, tt.wantErr)
					}
					continue
				}
				if r.err != nil || r.stdout != "revoked\n" {
					t.Errorf("revoke %s: %q, %v", tt.token, r.stdout, r.err)
				}
			}
			r = mustRun(t, "", "invite", "list", "--json", "--data", dir)
			if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || len(l.Invites) != 1 || l.Invites[0].Token != tokens[2] {
				t.Errorf("list --json after revoking: %q (%v)", r.stdout, err)
			}
		})
	}
}
