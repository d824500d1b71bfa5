package api

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
	"xmppbox/admin/roomtest"
)

// serveRooms serves the API of a Service with rooms (nil: without a room service).
func serveRooms(t *testing.T, rooms admin.Rooms) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	cfg := admin.Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Logger: log}
	if rooms != nil {
		cfg.Rooms = rooms
	}
	svc, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), SocketName)
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(svc, log).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return sock
}

func TestRooms(t *testing.T) {
	rooms := roomtest.NewRooms()
	sock := serveRooms(t, rooms)
	c := NewClient(sock)
	defer c.Close()
	ctx := t.Context()

	if l, err := c.ListRooms(ctx); err != nil || len(l) != 0 {
		t.Fatalf("ListRooms = %+v, %v", l, err)
	}
	r, err := c.CreateRoom(ctx, "Office", "")
	if err != nil || r.JID != "office@conference.example.org" || !r.Persistent {
		t.Fatalf("CreateRoom = %+v, %v", r, err)
	}
	var ae *Error
	if _, err := c.CreateRoom(ctx, "office", ""); !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict || !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateRoom again: %v", err)
	}
	if _, err := c.CreateRoom(ctx, "a b", ""); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("CreateRoom bad name: %v", err)
	}
	if l, err := c.ListRooms(ctx); err != nil || len(l) != 1 || l[0] != r {
		t.Errorf("ListRooms = %+v, %v", l, err)
	}
	a, err := c.SetRoomAffiliation(ctx, "office", "Bob", "outcast")
	if err != nil || a != (admin.RoomAffiliation{Room: "office", JID: "bob@example.org", Affiliation: "outcast"}) {
		t.Errorf("SetRoomAffiliation = %+v, %v", a, err)
	}
	if _, err := c.SetRoomAffiliation(ctx, "office", "bob", "boss"); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "owner, admin, member, outcast, none") {
		t.Errorf("SetRoomAffiliation boss: %v", err)
	}
	if _, err := c.SetRoomAffiliation(ctx, "lobby", "bob", "member"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SetRoomAffiliation unknown room: %v", err)
	}
	if n, err := c.DestroyRoom(ctx, "office", "closing time"); err != nil || n != "office" {
		t.Errorf("DestroyRoom = %q, %v", n, err)
	}
	if n, err := c.DestroyRoom(ctx, "office", ""); !errors.Is(err, fs.ErrNotExist) || err.Error() != "room office: no such room" {
		t.Errorf("DestroyRoom again = %q, %v", n, err)
	}
	if calls := rooms.Calls(); len(calls) == 0 || calls[len(calls)-1] != "destroy office closing time" {
		t.Errorf("room service calls %q, want the destroy with its reason last", calls)
	}

	// Write routes want JSON, and a DELETE without a body is fine.
	hc := rawClient(sock)
	resp, err := hc.Post("http://x/api/v0/rooms", "application/x-www-form-urlencoded", strings.NewReader("room=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form POST: %s", resp.Status)
	}
	if _, err := c.CreateRoom(ctx, "lobby", ""); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://x/api/v0/rooms/lobby", nil)
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("DELETE without a body: %s", resp.Status)
	}
}

func TestRoomsNotAvailable(t *testing.T) {
	c := NewClient(serveRooms(t, nil))
	defer c.Close()
	_, err := c.ListRooms(t.Context())
	var ae *Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusServiceUnavailable || !errors.Is(err, admin.ErrNoRooms) {
		t.Errorf("ListRooms without a room service: %v", err)
	}
}
