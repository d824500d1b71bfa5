package apitype

import "time"

// Error is the body of every non-2xx response.
type Error struct {
	Error string `json:"error"`
}

// AddUserRequest is the body of POST /api/v0/users.
type AddUserRequest struct {
	User     string `json:"user"` // name or bare JID
	Password string `json:"password"`
}

// SetPasswordRequest is the body of PUT /api/v0/users/{jid}/password.
type SetPasswordRequest struct {
	Password string `json:"password"`
}

// User is the response to adding, deleting or changing the password of an account.
type User struct {
	JID string `json:"jid"` // normalised bare JID
}

// UserList is the response to GET /api/v0/users, and the shape of `user list --json`.
type UserList struct {
	Users []string `json:"users"` // bare JIDs, sorted; never null
}

// CreateInviteRequest is the body of POST /api/v0/invites.
type CreateInviteRequest struct {
	// ValidForSeconds is how long the invitation works; 0 or absent means the default (7 days).
	ValidForSeconds int64 `json:"valid_for_seconds,omitempty"`
}

// Invite is the response to POST /api/v0/invites, and the shape of `invite create --json`.
type Invite struct {
	Token   string    `json:"token"`
	URI     string    `json:"uri"` // xmpp:DOMAIN?register;preauth=TOKEN
	Expires time.Time `json:"expires"`
}

// Status is the response to GET /api/v0/status.
type Status struct {
	Domain   string    `json:"domain"`
	Version  string    `json:"version"`
	Users    int       `json:"users"`
	Sessions []Session `json:"sessions"` // never null
}

// Session is one connected resource.
type Session struct {
	JID    string    `json:"jid"`
	Remote string    `json:"remote"`
	Since  time.Time `json:"since"`
}

// Room is one chat room: an item of RoomList, and the response to POST /api/v0/rooms.
type Room struct {
	JID        string `json:"jid"`  // bare room JID
	Name       string `json:"name"` // display name; may be empty
	Persistent bool   `json:"persistent"`
	Public     bool   `json:"public"`
	Occupants  int    `json:"occupants"`
}

// RoomList is the response to GET /api/v0/rooms, and the shape of `room list --json`.
type RoomList struct {
	Rooms []Room `json:"rooms"` // sorted by JID; never null
}

// CreateRoomRequest is the body of POST /api/v0/rooms.
type CreateRoomRequest struct {
	Room  string `json:"room"`            // the room's name, the localpart of its JID
	Owner string `json:"owner,omitempty"` // user name or bare JID; empty for none
}

// DestroyRoomRequest is the optional body of DELETE /api/v0/rooms/{room}.
type DestroyRoomRequest struct {
	Reason string `json:"reason,omitempty"` // shown to the occupants
}

// DestroyedRoom is the response to DELETE /api/v0/rooms/{room}.
type DestroyedRoom struct {
	Room string `json:"room"` // normalised name
}

// SetAffiliationRequest is the body of PUT /api/v0/rooms/{room}/affiliations.
type SetAffiliationRequest struct {
	JID         string `json:"jid"`         // user name or bare JID
	Affiliation string `json:"affiliation"` // owner, admin, member, outcast or none
}

// Affiliation is the response to PUT /api/v0/rooms/{room}/affiliations.
type Affiliation struct {
	Room        string `json:"room"`
	JID         string `json:"jid"`
	Affiliation string `json:"affiliation"`
}
