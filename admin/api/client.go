package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
)

// ErrNotRunning is wrapped by Client methods when nothing listens on the socket: the file
// is missing, or is left over from a server that stopped. Nothing was done; the caller may
// use the store directly instead.
var ErrNotRunning = errors.New("admin api: no server is listening")

// Error is an error answered by the API. Unwrap maps its status to the error kind the
// Service returned: fs.ErrNotExist (404), fs.ErrExist (409), admin.ErrInvalid (400),
// admin.ErrForbidden (403, which also matches fs.ErrPermission), admin.ErrNoRooms (503).
type Error struct {
	StatusCode int
	Message    string // the server's error text
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error kind for errors.Is, or nil.
func (e *Error) Unwrap() error {
	switch e.StatusCode {
	case http.StatusNotFound:
		return fs.ErrNotExist
	case http.StatusConflict:
		return fs.ErrExist
	case http.StatusBadRequest:
		return admin.ErrInvalid
	case http.StatusForbidden:
		return admin.ErrForbidden
	case http.StatusServiceUnavailable:
		return admin.ErrNoRooms
	}
	return nil
}

// Client talks to the admin API over the unix socket. It has the same user methods as
// admin.Service. It is safe for concurrent use.
type Client struct {
	hc *http.Client
}

// NewClient returns a Client for the socket at path. It does not connect yet.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", path)
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
				return nil, fmt.Errorf("%w on %s: %w", ErrNotRunning, path, err)
			}
			return c, err
		},
	}
	return &Client{hc: &http.Client{Transport: tr}}
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// base is the URL prefix of requests; the host is ignored, the socket decides.
const base = "http://xmppbox/api/v0"

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("admin api: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return fmt.Errorf("admin api: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is made up; the socket path is in the dial error
		}
		return fmt.Errorf("admin api: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin api: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e apitype.Error
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("admin api: %s %s: %s", method, path, resp.Status)
		}
		return &Error{StatusCode: resp.StatusCode, Message: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("admin api: %s %s: decoding response: %w", method, path, err)
		}
	}
	return nil
}

// AddUser creates an account; see admin.Service.AddUser.
func (c *Client) AddUser(ctx context.Context, nameOrJID, password string) (string, error) {
	var u apitype.User
	err := c.do(ctx, http.MethodPost, "/users", apitype.AddUserRequest{User: nameOrJID, Password: password}, &u)
	return u.JID, err
}

// DeleteUser removes an account; see admin.Service.DeleteUser.
func (c *Client) DeleteUser(ctx context.Context, nameOrJID string) (string, error) {
	var u apitype.User
	err := c.do(ctx, http.MethodDelete, "/users/"+url.PathEscape(nameOrJID), nil, &u)
	return u.JID, err
}

// SetPassword changes a password; see admin.Service.SetPassword.
func (c *Client) SetPassword(ctx context.Context, nameOrJID, password string) (string, error) {
	var u apitype.User
	err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(nameOrJID)+"/password",
		apitype.SetPasswordRequest{Password: password}, &u)
	return u.JID, err
}

// ListUsers returns the bare JIDs of all accounts, sorted.
func (c *Client) ListUsers(ctx context.Context) ([]string, error) {
	var l apitype.UserList
	if err := c.do(ctx, http.MethodGet, "/users", nil, &l); err != nil {
		return nil, err
	}
	return l.Users, nil
}

// Users returns a page of the accounts matching q; see admin.Service.Users.
func (c *Client) Users(ctx context.Context, q admin.UserQuery) (admin.UserPage, error) {
	if q.Limit <= 0 || q.Limit > admin.MaxUserPage {
		q.Limit = admin.MaxUserPage // as the Service does; without a limit the server sends all
	}
	v := url.Values{"detail": {"1"}, "offset": {strconv.Itoa(q.Offset)}, "limit": {strconv.Itoa(q.Limit)}}
	if q.Search != "" {
		v.Set("search", q.Search)
	}
	var l apitype.UserList
	if err := c.do(ctx, http.MethodGet, "/users?"+v.Encode(), nil, &l); err != nil {
		return admin.UserPage{}, err
	}
	if l.Details == nil {
		// A server older than ?detail=1 answers the plain list; an empty page would be a lie.
		return admin.UserPage{}, errors.New("admin api: the running server does not tell account details; restart it to run this version")
	}
	page := admin.UserPage{Users: make([]admin.User, 0, len(l.Details)), Total: l.Total}
	for _, u := range l.Details {
		page.Users = append(page.Users, admin.User{JID: u.JID, Admin: u.Admin, Disabled: u.Disabled, Sessions: u.Sessions})
	}
	return page, nil
}

// SetDisabled disables or enables an account; see admin.Service.SetDisabled.
func (c *Client) SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (string, error) {
	var u apitype.User
	err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(nameOrJID)+"/disabled",
		apitype.SetDisabledRequest{Disabled: &disabled}, &u)
	return u.JID, err
}

// SetAdmin grants or withdraws administrator rights; see admin.Service.SetAdmin.
func (c *Client) SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error) {
	var u apitype.User
	err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(nameOrJID)+"/admin",
		apitype.SetAdminRequest{Admin: &isAdmin}, &u)
	return u.JID, err
}

// CreateInvite creates an invitation; see admin.Service.CreateInvite.
func (c *Client) CreateInvite(ctx context.Context, req admin.InviteRequest) (admin.Invite, error) {
	var inv apitype.Invite
	err := c.do(ctx, http.MethodPost, "/invites", apitype.CreateInviteRequest{
		ValidForSeconds: int64(req.ValidFor / time.Second),
		Uses:            req.Uses,
		Username:        req.Username,
		AddInviter:      req.AddInviter,
		Inviter:         req.Inviter,
	}, &inv)
	if err != nil {
		return admin.Invite{}, err
	}
	return inviteIn(inv), nil
}

func inviteIn(inv apitype.Invite) admin.Invite {
	return admin.Invite{Token: inv.Token, URI: inv.URI, Created: inv.Created, Expires: inv.Expires,
		Uses: inv.Uses, Username: inv.Username, CreatedBy: inv.CreatedBy, AddInviter: inv.AddInviter}
}

// ListInvites returns the invitations that still work; see admin.Service.ListInvites.
func (c *Client) ListInvites(ctx context.Context) ([]admin.Invite, error) {
	var l apitype.InviteList
	if err := c.do(ctx, http.MethodGet, "/invites", nil, &l); err != nil {
		return nil, err
	}
	out := make([]admin.Invite, 0, len(l.Invites))
	for _, inv := range l.Invites {
		out = append(out, inviteIn(inv))
	}
	return out, nil
}

// RevokeInvite deletes an invitation; see admin.Service.RevokeInvite. An unknown token is
// an *Error matching fs.ErrNotExist.
func (c *Client) RevokeInvite(ctx context.Context, token string) error {
	return c.do(ctx, http.MethodDelete, "/invites/"+url.PathEscape(token), nil, nil)
}

// ListRooms lists the chat rooms; see admin.Service.ListRooms.
func (c *Client) ListRooms(ctx context.Context) ([]admin.Room, error) {
	var l apitype.RoomList
	if err := c.do(ctx, http.MethodGet, "/rooms", nil, &l); err != nil {
		return nil, err
	}
	out := make([]admin.Room, 0, len(l.Rooms))
	for _, r := range l.Rooms {
		out = append(out, roomIn(r))
	}
	return out, nil
}

func roomIn(r apitype.Room) admin.Room {
	return admin.Room{JID: r.JID, Name: r.Name, Persistent: r.Persistent, Public: r.Public, Occupants: r.Occupants}
}

// CreateRoom creates a chat room; see admin.Service.CreateRoom.
func (c *Client) CreateRoom(ctx context.Context, name, owner string) (admin.Room, error) {
	var r apitype.Room
	err := c.do(ctx, http.MethodPost, "/rooms", apitype.CreateRoomRequest{Room: name, Owner: owner}, &r)
	return roomIn(r), err
}

// DestroyRoom ends a chat room; see admin.Service.DestroyRoom.
func (c *Client) DestroyRoom(ctx context.Context, name, reason string) (string, error) {
	var d apitype.DestroyedRoom
	var in any
	if reason != "" {
		in = apitype.DestroyRoomRequest{Reason: reason}
	}
	err := c.do(ctx, http.MethodDelete, "/rooms/"+url.PathEscape(name), in, &d)
	return d.Room, err
}

// SetRoomAffiliation sets an affiliation in a chat room; see admin.Service.SetRoomAffiliation.
func (c *Client) SetRoomAffiliation(ctx context.Context, name, nameOrJID, affiliation string) (admin.RoomAffiliation, error) {
	var a apitype.Affiliation
	err := c.do(ctx, http.MethodPut, "/rooms/"+url.PathEscape(name)+"/affiliations",
		apitype.SetAffiliationRequest{JID: nameOrJID, Affiliation: affiliation}, &a)
	return admin.RoomAffiliation{Room: a.Room, JID: a.JID, Affiliation: a.Affiliation}, err
}

// Status returns the server's status.
func (c *Client) Status(ctx context.Context) (apitype.Status, error) {
	var st apitype.Status
	err := c.do(ctx, http.MethodGet, "/status", nil, &st)
	return st, err
}
