package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/embeddb"
)

// storedSecret opens the store of dir and returns the secret of domain.
func storedSecret(t *testing.T, dir, domain string) (string, error) {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.Components().ComponentSecret(context.Background(), domain)
}

func TestComponentOffline(t *testing.T) {
	dir, _ := initDir(t)
	steps := []struct {
		stdin   string
		args    []string
		wantOut string // regexp the stdout must match
		wantErr string // substring of the error
	}{
		{args: []string{"component", "add", "gw.example.org"}, wantOut: `^domain: gw\.example\.org\nsecret: [A-Z2-7]{26}\n$`},
		{stdin: "irc-secret-0123456789\n", args: []string{"component", "add", "IRC.example.org", "--secret-stdin"},
			wantOut: `^domain: irc\.example\.org\n$`},
		{args: []string{"component", "add", "gw.example.org"}, wantErr: "gw.example.org: component already exists"},
		{args: []string{"component", "add", "example.org"}, wantErr: "this server's own domain"},
		{args: []string{"component", "add", "conference.example.org"}, wantErr: "chat room service"},
		{stdin: "short\n", args: []string{"component", "add", "x.example.org", "--secret-stdin"}, wantErr: "give at least 16"},
		{stdin: "", args: []string{"component", "add", "x.example.org", "--secret-stdin"}, wantErr: "--secret-stdin: no secret on stdin"},
		{args: []string{"component", "list"}, wantOut: `^DOMAIN +CONNECTED\ngw\.example\.org +no\nirc\.example\.org +no\n$`},
		{args: []string{"component", "del", "gw.example.org"}, wantOut: `^deleted gw\.example\.org\n$`},
		{args: []string{"component", "del", "gw.example.org"}, wantErr: `no such component; "xmppbox component list" shows the components`},
		{args: []string{"component", "add"}, wantErr: "accepts 1 arg(s), received 0"},
	}
	for _, s := range steps {
		r := run(t, s.stdin, nil, append(s.args, "--data", dir)...)
		name := strings.Join(s.args, " ")
		if s.wantErr != "" {
			if r.err == nil || !strings.Contains(r.err.Error(), s.wantErr) {
				t.Fatalf("%s: err = %v, want %q", name, r.err, s.wantErr)
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		if !regexp.MustCompile(s.wantOut).MatchString(r.stdout) {
			t.Fatalf("%s: stdout %q, want %s", name, r.stdout, s.wantOut)
		}
	}
	if sec, err := storedSecret(t, dir, "irc.example.org"); err != nil || sec != "irc-secret-0123456789" {
		t.Errorf("stored secret of irc.example.org = %q, %v", sec, err)
	}
	r := mustRun(t, "", "component", "list", "--json", "--data", dir)
	var l apitype.ComponentList
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || !slices.Equal(l.Components, []apitype.Component{{Domain: "irc.example.org"}}) {
		t.Errorf("list --json = %q (%v)", r.stdout, err)
	}
}

// fixedLinks reports every domain in it as connected.
type fixedLinks map[string]bool

func (f fixedLinks) ComponentConnected(d string) bool  { return f[d] }
func (f fixedLinks) DisconnectComponent(d string) bool { return f[d] }

func TestComponentThroughAPI(t *testing.T) {
	dir, _ := initDir(t)
	log := slog.New(slog.DiscardHandler)
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: db.Accounts(), Components: db.Components(),
		ComponentLinks: fixedLinks{"irc.example.org": true}, Logger: log})
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

	// The store is locked now: only the API can succeed.
	r := mustRun(t, "irc-secret-0123456789\n", "component", "add", "irc.example.org", "--secret-stdin", "--data", dir)
	if r.stdout != "domain: irc.example.org\n" {
		t.Errorf("add: %q", r.stdout)
	}
	r = mustRun(t, "", "component", "list", "--data", dir)
	if !regexp.MustCompile(`^DOMAIN +CONNECTED\nirc\.example\.org +yes\n$`).MatchString(r.stdout) || r.stderr != "" {
		t.Errorf("list: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if sec, err := db.Components().ComponentSecret(t.Context(), "irc.example.org"); err != nil || sec != "irc-secret-0123456789" {
		t.Errorf("stored secret = %q, %v", sec, err)
	}
	if r = mustRun(t, "", "component", "del", "irc.example.org", "--data", dir); r.stdout != "deleted irc.example.org\n" {
		t.Errorf("del: %q", r.stdout)
	}
	if r = mustRun(t, "", "component", "list", "--data", dir); r.stdout != "" || r.stderr != "no components\n" {
		t.Errorf("list after del: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
