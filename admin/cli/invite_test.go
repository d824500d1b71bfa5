package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"regexp"
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
	if !regexp.MustCompile(`^uri: xmpp:example\.org\?register;preauth=[A-Z2-7]{26}\ntoken: [A-Z2-7]{26}\nexpires: \S+\n$`).MatchString(r.stdout) {
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
