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

// SetDisabledRequest is the body of PUT /api/v0/users/{jid}/disabled.
type SetDisabledRequest struct {
	// Disabled is required: a body without it is refused rather than taken as false.
	Disabled *bool `json:"disabled"`
}

// SetAdminRequest is the body of PUT /api/v0/users/{jid}/admin.
type SetAdminRequest struct {
	// Admin is required: a body without it is refused rather than taken as false.
	Admin *bool `json:"admin"`
}

// User is the response to adding, deleting, changing the password of, disabling,
// enabling, promoting or demoting an account.
type User struct {
	JID string `json:"jid"` // normalised bare JID
}

// UserList is the response to GET /api/v0/users, and the shape of `user list --json`.
//
// Plain GET /api/v0/users answers only Users. With ?detail=1 it also answers Details and
// Total; search, offset and limit parameters then select a page as admin.UserQuery does,
// and without limit every matching account is returned.
type UserList struct {
	Users []string `json:"users"` // bare JIDs, sorted; never null
	// Details describes the same accounts, in the same order: with ?detail=1 (never
	// null then), and in `user list --json`; absent otherwise.
	Details []UserDetail `json:"details,omitzero"`
	Total   int          `json:"total,omitempty"` // with ?detail=1: accounts matching, on all pages
}

// UserDetail is one account of UserList.Details.
type UserDetail struct {
	JID      string `json:"jid"` // bare JID
	Admin    bool   `json:"admin"`
	Disabled bool   `json:"disabled"`
	Sessions int    `json:"sessions"` // connected resources; 0 while the server is stopped
}

// CreateInviteRequest is the body of POST /api/v0/invites; the body may be absent.
type CreateInviteRequest struct {
	// ValidForSeconds is how long the invitation works; 0 or absent means the default (7 days).
	ValidForSeconds int64 `json:"valid_for_seconds,omitempty"`
	// Uses is how many accounts it may create; 0 or absent means 1.
	Uses int `json:"uses,omitempty"`
	// Username is the only user name it may register; it needs Uses 1.
	Username string `json:"username,omitempty"`
	// AddInviter asks for roster pre-approval with the inviting account; the operator,
	// which is who the API serves, has none: it needs Inviter.
	AddInviter bool `json:"add_inviter,omitempty"`
	// Inviter is the account the invitation comes from (user name or bare JID).
	Inviter string `json:"inviter,omitempty"`
}

// Invite is the response to POST /api/v0/invites, an item of InviteList, and the shape of
// `invite create --json`.
type Invite struct {
	Token      string    `json:"token"`
	URI        string    `json:"uri"` // xmpp:DOMAIN?register;preauth=TOKEN
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	Uses       int       `json:"uses"`                  // accounts it may still create
	Username   string    `json:"username,omitempty"`    // the only user name it registers
	CreatedBy  string    `json:"created_by,omitempty"`  // inviting account; absent: the operator
	AddInviter bool      `json:"add_inviter,omitempty"` // roster pre-approval with CreatedBy
}

// InviteList is the response to GET /api/v0/invites, and the shape of `invite list --json`.
type InviteList struct {
	Invites []Invite `json:"invites"` // the invitations that still work, oldest first; never null
}

// Status is the response to GET /api/v0/status.
type Status struct {
	Domain   string    `json:"domain"`
	Version  string    `json:"version"`
	Users    int       `json:"users"`
	Sessions []Session `json:"sessions"` // never null

	Started          time.Time `json:"started,omitzero"`
	OnlineUsers      int       `json:"online_users"`
	Connections      int       `json:"connections"`        // client connections, authenticated or not
	StanzasPerSecond float64   `json:"stanzas_per_second"` // received from clients, over the last minute
	AuthFailures     uint64    `json:"auth_failures"`      // since the server started
	StoreBytes       int64     `json:"store_bytes"`        // 0 when unknown
	CertExpiry       time.Time `json:"cert_expiry,omitzero"`
	Links            []Link    `json:"links"` // server-to-server links and recent failures; never null
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

// AddPeerRequest is the body of POST /api/v0/peers: a federation peer to configure, or to
// configure anew (it replaces the peer of the same domain whole).
type AddPeerRequest struct {
	Domain string `json:"domain"`
	Addr   string `json:"addr,omitempty"`   // host:port; empty: found through DNS
	CAPEM  string `json:"ca_pem,omitempty"` // PEM certificates to trust for this peer only
	Policy string `json:"policy,omitempty"` // require-valid-cert or dialback-ok; empty: the server's
}

// Peer is a federation peer: the response to POST /api/v0/peers, and an item of PeerList.
type Peer struct {
	Domain string `json:"domain"` // normalised
	Addr   string `json:"addr"`   // host:port; "" when found through DNS
	Policy string `json:"policy"` // "" when the server's policy applies
	HasCA  bool   `json:"has_ca"` // CAPEM pins the CA for this peer; false: the server's roots
	CAPEM  string `json:"ca_pem,omitempty"`
	// Configured is false for a domain the server has links with but no configuration
	// for (open federation): Addr, Policy and the CA are then empty.
	Configured bool `json:"configured"`
	// FromFile: listed in the config file's [[peers]] (and not in the peer store).
	FromFile bool   `json:"from_file,omitempty"`
	Links    []Link `json:"links"` // never null; always empty in the response to POST
}

// Link is one server-to-server link of a Peer, or the last failure to make one.
type Link struct {
	Local      string    `json:"local,omitempty"` // our domain on the link
	Remote     string    `json:"remote"`
	Direction  string    `json:"direction"`      // "in" or "out"
	TLS        string    `json:"tls,omitempty"`  // "TLS 1.3", ...
	Auth       string    `json:"auth,omitempty"` // "sasl-external" or "dialback"
	CertExpiry time.Time `json:"cert_expiry,omitzero"`
	Since      time.Time `json:"since,omitzero"`
	LastError  string    `json:"last_error,omitempty"` // the last failure to link, if recent
}

// PeerList is the response to GET /api/v0/peers, and the shape of `peer list --json`.
type PeerList struct {
	// Peers are the configured peers and the domains with links but no configuration,
	// sorted by domain; never null.
	Peers []Peer `json:"peers"`
}
