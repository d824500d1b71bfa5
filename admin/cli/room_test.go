package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/roomtest"
	"xmppbox/embeddb"
)

// serveRoomAPI runs an admin API with rooms on dir's socket until the test ends.
func serveRoomAPI(t *testing.T, dir string, rooms admin.Rooms) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: db.Accounts(), Rooms: rooms, Logger: log})
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		db.Close()
	})
}

func TestRoomThroughAPI(t *testing.T) {
	dir, _ := initDir(t)
	rooms := roomtest.NewRooms()
	serveRoomAPI(t, dir, rooms)

	r := mustRun(t, "", "room", "list", "--json", "--data", dir)
	if strings.TrimSpace(r.stdout) != "{\n  \"rooms\": []\n}" {
		t.Errorf("empty list --json: %q", r.stdout)
	}
	if r = mustRun(t, "", "room", "create", "Office", "--owner", "admin", "--data", dir); r.stdout != "room: office@conference.example.org\n" {
		t.Errorf("create: %q", r.stdout)
	}
	if r = run(t, "", nil, "room", "create", "office", "--data", dir); r.err == nil || r.err.Error() != "room office: room already exists" {
		t.Errorf("create again: %v", r.err)
	}
	if r = run(t, "", nil, "room", "create", "lobby", "--owner", "nobody", "--data", dir); r.err == nil || !strings.Contains(r.err.Error(), "nobody@example.org: no such user") {
		t.Errorf("create with an unknown owner: %v", r.err)
	}
	r = mustRun(t, "", "room", "list", "--data", dir)
	if want := "JID                            OCCUPANTS  KIND        LISTED  NAME\noffice@conference.example.org  2          persistent  public  \n"; r.stdout != want {
		t.Errorf("list:\n%q\nwant\n%q", r.stdout, want)
	}
	r = mustRun(t, "", "room", "list", "--json", "--data", dir)
	var l apitype.RoomList
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || len(l.Rooms) != 1 || l.Rooms[0].JID != "office@conference.example.org" || l.Rooms[0].Occupants != 2 {
		t.Errorf("list --json: %q (%v)", r.stdout, err)
	}
	if r = mustRun(t, "", "room", "affiliation", "office", "Bob", "outcast", "--data", dir); r.stdout != "office: bob@example.org is now outcast\n" {
		t.Errorf("affiliation: %q", r.stdout)
	}
	if r = run(t, "", nil, "room", "affiliation", "office", "bob", "moderator", "--data", dir); r.err == nil || !strings.Contains(r.err.Error(), "give one of owner, admin, member, outcast, none") {
		t.Errorf("affiliation moderator: %v", r.err)
	}
	if r = mustRun(t, "", "room", "destroy", "office", "--reason", "moved to lobby", "--data", dir); r.stdout != "destroyed office\n" {
		t.Errorf("destroy: %q", r.stdout)
	}
	if r = run(t, "", nil, "room", "destroy", "office", "--data", dir); r.err == nil || r.err.Error() != "room office: no such room" {
		t.Errorf("destroy again: %v", r.err)
	}
	want := "create office admin@example.org|aff office bob@example.org outcast|destroy office moved to lobby"
	if got := strings.Join(rooms.Calls(), "|"); got != want {
		t.Errorf("room service saw\n%s\nwant\n%s", got, want)
	}
}

func TestRoomNoServer(t *testing.T) {
	dir, _ := initDir(t)
	for _, args := range [][]string{
		{"room", "list"},
		{"room", "create", "office"},
		{"room", "destroy", "office"},
		{"room", "affiliation", "office", "bob", "member"},
	} {
		r := run(t, "", nil, append(args, "--data", dir)...)
		if r.err == nil || !strings.Contains(r.err.Error(), "room commands need the running server: start xmppbox serve") {
			t.Errorf("%s: err = %v", strings.Join(args, " "), r.err)
		}
	}
}

func TestRoomServerWithoutMUC(t *testing.T) {
	dir, _ := initDir(t)
	serveRoomAPI(t, dir, nil)
	r := run(t, "", nil, "room", "list", "--data", dir)
	if r.err == nil || !strings.Contains(r.err.Error(), "[muc] enabled = true") {
		t.Errorf("err = %v", r.err)
	}
}
