package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"mellium.im/xmpp/jid"
)

// Rooms is the running chat room service (XEP-0045) as the Service sees it; the server's
// MUC module satisfies it through a small adapter in the CLI, so this package does not
// depend on the server. Rooms are named by their localpart on the service. A missing room
// is an error wrapping ErrNoRoom (fs.ErrNotExist), an existing one ErrRoomExists
// (fs.ErrExist).
type Rooms interface {
	// Rooms lists every room, live or stored, sorted by JID.
	Rooms(ctx context.Context) ([]Room, error)
	// CreateRoom creates a persistent, unlocked room; owner is a bare JID, or "" for none.
	CreateRoom(ctx context.Context, name, owner string) (Room, error)
	// DestroyRoom ends a room: occupants get a destroy presence with reason.
	DestroyRoom(ctx context.Context, name, reason string) error
	// SetAffiliation gives bareJID the affiliation (owner, admin, member, outcast or
	// none); its occupants get presence with their new role, or are removed.
	SetAffiliation(ctx context.Context, name, bareJID, affiliation string) error
}

// Room describes one chat room.
type Room struct {
	JID        string // bare room JID, name@conference.example.org
	Name       string // the configured display name; may be empty
	Persistent bool
	Public     bool // listed in the service's disco#items
	Occupants  int
}

// Affiliations are the values SetRoomAffiliation accepts (XEP-0045 §5.2).
var Affiliations = []string{"owner", "admin", "member", "outcast", "none"}

// ErrNoRooms is wrapped when the Service has no chat room service: the CLI works on the
// store directly (rooms live in the running server), or MUC is turned off.
var ErrNoRooms = errors.New("chat rooms are not available: they need the running server with [muc] enabled = true")

// RoomName normalises a room name: the localpart of the room's JID, with PRECIS
// UsernameCaseMapped applied (RFC 7622 §3.3), so "Office" is "office". Errors wrap
// ErrInvalid.
func (s *Service) RoomName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w room name: it is empty", ErrInvalid)
	}
	if strings.ContainsAny(name, "@/") {
		return "", fmt.Errorf("%w room name %q: give the name alone, without @ or /", ErrInvalid, name)
	}
	// Any domain checks the localpart; the Service does not know the MUC service's.
	j, err := jid.New(name, s.domain, "")
	if err != nil {
		return "", fmt.Errorf("%w room name %q: %v", ErrInvalid, name, err)
	}
	return j.Localpart(), nil
}

// memberJID normalises the subject of an affiliation: a user name of this domain ("bob"),
// or a bare JID of any domain. Errors wrap ErrInvalid.
func (s *Service) memberJID(nameOrJID string) (string, error) {
	if !strings.Contains(nameOrJID, "@") {
		return s.BareJID(nameOrJID)
	}
	j, err := jid.Parse(nameOrJID)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w JID %q: %v", ErrInvalid, nameOrJID, err)
	case j.Resourcepart() != "":
		return "", fmt.Errorf("%w JID %q: give a bare JID, without /resource", ErrInvalid, nameOrJID)
	}
	return j.Bare().String(), nil
}

// roomService authorises an admin operation on rooms and returns the room service.
func (s *Service) roomService(ctx context.Context, op string) (Rooms, slog.Attr, error) {
	by, err := s.authorize(ctx, op)
	if err != nil {
		return nil, by, err
	}
	if s.rooms == nil {
		return nil, by, ErrNoRooms
	}
	return s.rooms, by, nil
}

// ListRooms returns every room, live or stored, sorted by JID.
func (s *Service) ListRooms(ctx context.Context) ([]Room, error) {
	rs, _, err := s.roomService(ctx, "list rooms")
	if err != nil {
		return nil, err
	}
	l, err := rs.Rooms(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing rooms: %w", err)
	}
	return l, nil
}

// CreateRoom creates a persistent room that anyone may join, with owner (a user name or
// bare JID of this domain, which must be an account; "" for none) as its owner. Errors
// wrap ErrInvalid, ErrNoUser for an unknown owner, ErrRoomExists.
func (s *Service) CreateRoom(ctx context.Context, name, owner string) (Room, error) {
	rs, by, err := s.roomService(ctx, "create room")
	if err != nil {
		return Room{}, err
	}
	n, err := s.RoomName(name)
	if err != nil {
		return Room{}, err
	}
	var o string
	if owner != "" {
		if o, err = s.BareJID(owner); err != nil {
			return Room{}, err
		}
		if _, err := s.accounts.Credentials(ctx, o); err != nil {
			return Room{}, fmt.Errorf("owner %w", storeError(o, err))
		}
	}
	r, err := rs.CreateRoom(ctx, n, o)
	if err != nil {
		return Room{}, roomError(n, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "room created", slog.String("room", r.JID), slog.String("owner", o), by)
	return r, nil
}

// DestroyRoom ends a room; its occupants get a destroy presence with reason. It returns
// the normalised name. Errors wrap ErrInvalid or ErrNoRoom.
func (s *Service) DestroyRoom(ctx context.Context, name, reason string) (string, error) {
	rs, by, err := s.roomService(ctx, "destroy room")
	if err != nil {
		return "", err
	}
	n, err := s.RoomName(name)
	if err != nil {
		return "", err
	}
	if err := rs.DestroyRoom(ctx, n, reason); err != nil {
		return "", roomError(n, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "room destroyed", slog.String("room", n), by)
	return n, nil
}

// RoomAffiliation is the outcome of SetRoomAffiliation, normalised.
type RoomAffiliation struct {
	Room        string // room name
	JID         string // bare JID
	Affiliation string
}

// SetRoomAffiliation gives a user (a name of this domain, or a bare JID) an affiliation in
// a room: one of Affiliations. An outcast is banned, and removed if present. Errors wrap
// ErrInvalid or ErrNoRoom.
func (s *Service) SetRoomAffiliation(ctx context.Context, name, nameOrJID, affiliation string) (RoomAffiliation, error) {
	rs, by, err := s.roomService(ctx, "set room affiliation")
	if err != nil {
		return RoomAffiliation{}, err
	}
	n, err := s.RoomName(name)
	if err != nil {
		return RoomAffiliation{}, err
	}
	j, err := s.memberJID(nameOrJID)
	if err != nil {
		return RoomAffiliation{}, err
	}
	aff := strings.ToLower(affiliation)
	known := false
	for _, a := range Affiliations {
		known = known || a == aff
	}
	if !known {
		return RoomAffiliation{}, fmt.Errorf("%w affiliation %q: give one of %s", ErrInvalid, affiliation, strings.Join(Affiliations, ", "))
	}
	if err := rs.SetAffiliation(ctx, n, j, aff); err != nil {
		return RoomAffiliation{}, roomError(n, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "room affiliation set", slog.String("room", n),
		slog.String("jid", j), slog.String("affiliation", aff), by)
	return RoomAffiliation{Room: n, JID: j, Affiliation: aff}, nil
}

// roomError names the room in errors of the two expected kinds.
func roomError(name string, err error) error {
	switch {
	case errors.Is(err, ErrNoRoom):
		return fmt.Errorf("room %s: %w", name, ErrNoRoom)
	case errors.Is(err, ErrRoomExists):
		return fmt.Errorf("room %s: %w", name, ErrRoomExists)
	}
	return fmt.Errorf("room %s: %w", name, err)
}
