package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"xmppbox/admin/admintest"
	"xmppbox/server/sasl"
)

// fakeRooms is an admin.Rooms that records what it is asked.
type fakeRooms struct {
	mu    sync.Mutex
	rooms map[string]Room              // by name; guarded by mu
	affs  map[string]map[string]string // room → JID → affiliation; guarded by mu
	calls []string                     // guarded by mu
}

func newFakeRooms() *fakeRooms {
	return &fakeRooms{rooms: map[string]Room{}, affs: map[string]map[string]string{}}
}

func (f *fakeRooms) Rooms(context.Context) ([]Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Room
	for _, r := range f.rooms {
		out = append(out, r)
	}
	return out, nil
}

func (f *fakeRooms) CreateRoom(_ context.Context, name, owner string) (Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "create "+name+" "+owner)
	if _, ok := f.rooms[name]; ok {
		return Room{}, fmt.Errorf("fake: %w", ErrRoomExists)
	}
	r := Room{JID: name + "@conference.example.org", Persistent: true, Public: true}
	f.rooms[name] = r
	f.affs[name] = map[string]string{}
	return r, nil
}

func (f *fakeRooms) DestroyRoom(_ context.Context, name, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "destroy "+name+" "+reason)
	if _, ok := f.rooms[name]; !ok {
		return fmt.Errorf("fake: %w", ErrNoRoom)
	}
	delete(f.rooms, name)
	return nil
}

func (f *fakeRooms) SetAffiliation(_ context.Context, name, j, aff string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "aff "+name+" "+j+" "+aff)
	if _, ok := f.rooms[name]; !ok {
		return fmt.Errorf("fake: %w", ErrNoRoom)
	}
	f.affs[name][j] = aff
	return nil
}

func newRoomService(t *testing.T, rooms Rooms) *Service {
	t.Helper()
	st := admintest.NewMemStore()
	c, err := sasl.NewCredentials("pw", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(t.Context(), "alice@example.org", c); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Domain: "example.org", Accounts: st, Rooms: rooms, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoomName(t *testing.T) {
	s := newRoomService(t, nil)
	for in, want := range map[string]string{"office": "office", "Office": "office", "ＯＦＦＩＣＥ": "office", "café": "café"} {
		if got, err := s.RoomName(in); err != nil || got != want {
			t.Errorf("RoomName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a b", "a:b", "office@conference.example.org", "a/b", strings.Repeat("x", 1024)} {
		if got, err := s.RoomName(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("RoomName(%q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}

func TestRoomsWithoutService(t *testing.T) {
	s := newRoomService(t, nil)
	ctx := AsOperator(t.Context())
	if _, err := s.ListRooms(ctx); !errors.Is(err, ErrNoRooms) {
		t.Errorf("ListRooms: %v", err)
	}
	if _, err := s.CreateRoom(ctx, "office", ""); !errors.Is(err, ErrNoRooms) {
		t.Errorf("CreateRoom: %v", err)
	}
	if _, err := s.DestroyRoom(ctx, "office", ""); !errors.Is(err, ErrNoRooms) {
		t.Errorf("DestroyRoom: %v", err)
	}
	if _, err := s.SetRoomAffiliation(ctx, "office", "alice", "member"); !errors.Is(err, ErrNoRooms) {
		t.Errorf("SetRoomAffiliation: %v", err)
	}
}

func TestRoomOperations(t *testing.T) {
	f := newFakeRooms()
	s := newRoomService(t, f)
	ctx := AsOperator(t.Context())

	r, err := s.CreateRoom(ctx, "Office", "Alice")
	if err != nil || r.JID != "office@conference.example.org" {
		t.Fatalf("CreateRoom = %+v, %v", r, err)
	}
	if _, err := s.CreateRoom(ctx, "office", ""); !errors.Is(err, fs.ErrExist) || err.Error() != "room office: room already exists" {
		t.Errorf("creating it again: %v", err)
	}
	if _, err := s.CreateRoom(ctx, "lobby", "nobody"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nobody@example.org: no such user") {
		t.Errorf("unknown owner: %v", err)
	}
	if _, err := s.CreateRoom(ctx, "lobby", "bob@other.org"); !errors.Is(err, ErrInvalid) {
		t.Errorf("foreign owner: %v", err)
	}
	if _, err := s.CreateRoom(ctx, "a b", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if l, err := s.ListRooms(ctx); err != nil || len(l) != 1 {
		t.Errorf("ListRooms = %+v, %v", l, err)
	}

	affTests := []struct {
		who, aff string
		want     RoomAffiliation
		wantErr  error
	}{
		{"Bob", "member", RoomAffiliation{"office", "bob@example.org", "member"}, nil},
		{"carol@other.org", "OUTCAST", RoomAffiliation{"office", "carol@other.org", "outcast"}, nil},
		{"bob", "none", RoomAffiliation{"office", "bob@example.org", "none"}, nil},
		{"bob", "moderator", RoomAffiliation{}, ErrInvalid},
		{"bob", "", RoomAffiliation{}, ErrInvalid},
		{"bob@example.org/phone", "member", RoomAffiliation{}, ErrInvalid},
		{"a b", "member", RoomAffiliation{}, ErrInvalid},
	}
	for _, tt := range affTests {
		got, err := s.SetRoomAffiliation(ctx, "office", tt.who, tt.aff)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("SetRoomAffiliation(%q, %q) = %v, want %v", tt.who, tt.aff, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SetRoomAffiliation(%q, %q) = %+v, %v; want %+v", tt.who, tt.aff, got, err, tt.want)
		}
	}
	if _, err := s.SetRoomAffiliation(ctx, "lobby", "bob", "member"); !errors.Is(err, ErrNoRoom) || err.Error() != "room lobby: no such room" {
		t.Errorf("unknown room: %v", err)
	}

	if n, err := s.DestroyRoom(ctx, "OFFICE", "bye"); err != nil || n != "office" {
		t.Errorf("DestroyRoom = %q, %v", n, err)
	}
	if _, err := s.DestroyRoom(ctx, "office", ""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("destroying it again: %v", err)
	}
	want := []string{"create office alice@example.org", "create office ", "aff office bob@example.org member",
		"aff office carol@other.org outcast", "aff office bob@example.org none", "aff lobby bob@example.org member",
		"destroy office bye", "destroy office "}
	if strings.Join(f.calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls:\n%q\nwant\n%q", f.calls, want)
	}
}
