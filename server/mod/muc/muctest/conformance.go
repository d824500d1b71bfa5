// Package muctest has an in-memory muc.Store and the conformance tests every Store
// implementation runs.
package muctest

import (
	"errors"
	"reflect"
	"testing"

	"xmppbox/server/mod/muc"
)

// Store runs the muc.Store contract against a fresh store from open.
func Store(t *testing.T, open func(t *testing.T) muc.Store) {
	t.Run("MissingRoom", func(t *testing.T) {
		s := open(t)
		if _, err := s.Room(t.Context(), "nope@conference.example.test"); !errors.Is(err, muc.ErrNotFound) {
			t.Fatalf("Room(missing) err = %v, want ErrNotFound", err)
		}
		if err := s.DeleteRoom(t.Context(), "nope@conference.example.test"); err != nil {
			t.Fatalf("DeleteRoom(missing) = %v", err)
		}
	})
	t.Run("PutGetReplaceDelete", func(t *testing.T) {
		s := open(t)
		want := muc.Stored{
			Room: "office@conference.example.test",
			Config: muc.Config{Name: "Office", Description: "desk talk", Persistent: true, Public: true,
				MembersOnly: true, Password: "pw", Moderated: true, MaxOccupants: 30, WhoIs: "anyone",
				ChangeSubject: true, AllowPM: true, HistoryLength: 15},
			Affiliations: map[string]string{"alice@example.test": "owner", "bob@example.test": "member", "eve@example.test": "outcast"},
			Nicks:        map[string]string{"bob@example.test": "Bobby"},
			Subject:      "Monday",
			SubjectBy:    "alice",
		}
		if err := s.PutRoom(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		other := muc.Stored{Room: "b@conference.example.test", Config: muc.Config{Persistent: true}}
		if err := s.PutRoom(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		got, err := s.Room(t.Context(), want.Room)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Room = %+v, %v; want %+v", got, err, want)
		}
		want.Affiliations["carol@example.test"] = "admin"
		want.Config.Name = "Office 2"
		want.Nicks = map[string]string{"bob@example.test": "Bob"}
		if err := s.PutRoom(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Room(t.Context(), want.Room)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after replace Room = %+v; want %+v", got, want)
		}
		all, err := s.Rooms(t.Context())
		if err != nil || len(all) != 2 {
			t.Fatalf("Rooms = %d rooms, %v; want 2", len(all), err)
		}
		if err := s.DeleteRoom(t.Context(), want.Room); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Room(t.Context(), want.Room); !errors.Is(err, muc.ErrNotFound) {
			t.Fatalf("after delete err = %v", err)
		}
		all, _ = s.Rooms(t.Context())
		if len(all) != 1 || all[0].Room != other.Room {
			t.Fatalf("Rooms after delete = %+v", all)
		}
	})
}
