package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
	"xmppbox/server/s2s"
)

// Backend is what the API serves; *admin.Service implements it.
type Backend interface {
	AddUser(ctx context.Context, nameOrJID, password string) (string, error)
	DeleteUser(ctx context.Context, nameOrJID string) (string, error)
	SetPassword(ctx context.Context, nameOrJID, password string) (string, error)
	ListUsers(ctx context.Context) ([]string, error)
	Users(ctx context.Context, q admin.UserQuery) (admin.UserPage, error)
	SetDisabled(ctx context.Context, nameOrJID string, disabled bool) (string, error)
	SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error)
	Status(ctx context.Context) (admin.Status, error)
	CreateInvite(ctx context.Context, req admin.InviteRequest) (admin.Invite, error)
	ListInvites(ctx context.Context) ([]admin.Invite, error)
	RevokeInvite(ctx context.Context, token string) error
	ListRooms(ctx context.Context) ([]admin.Room, error)
	CreateRoom(ctx context.Context, name, owner string) (admin.Room, error)
	DestroyRoom(ctx context.Context, name, reason string) (string, error)
	SetRoomAffiliation(ctx context.Context, name, nameOrJID, affiliation string) (admin.RoomAffiliation, error)
	AddComponent(ctx context.Context, domain, secret string) (string, error)
	ListComponents(ctx context.Context) ([]admin.Component, error)
	DeleteComponent(ctx context.Context, domain string) (string, error)
	AddPeer(ctx context.Context, c s2s.PeerConfig) (s2s.PeerConfig, error)
	ListPeers(ctx context.Context) ([]admin.PeerStatus, error)
	DeletePeer(ctx context.Context, domain string) error
}

// maxBodyBytes bounds request bodies; the largest legitimate one is a password.
const maxBodyBytes = 64 << 10

// shutdownTimeout bounds how long Serve waits for requests in flight once ctx is done.
const shutdownTimeout = 5 * time.Second

// Server serves the admin API for a Backend.
type Server struct {
	backend Backend
	log     *slog.Logger
	mux     *http.ServeMux
}

// NewServer returns a Server for b, logging to log.
func NewServer(b Backend, log *slog.Logger) *Server {
	s := &Server{backend: b, log: log, mux: http.NewServeMux()}
	for _, r := range s.routes() {
		s.mux.Handle(r.pattern, s.wrap(r))
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		writeError(w, http.StatusForbidden, "requests from web browsers are refused")
		return
	}
	// Only the data directory's owner can reach the socket (mode 0600): the operator.
	s.mux.ServeHTTP(w, r.WithContext(admin.AsOperator(r.Context())))
}

// Serve answers requests on ln until ctx is done, then stops accepting, waits up to five
// seconds for requests in flight, and returns nil. It closes ln. Any other failure to
// serve is returned as is.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	shutdownDone := make(chan error, 1)
	stop := context.AfterFunc(ctx, func() {
		// Requests in flight keep their own (uncancelled) contexts, so Shutdown lets
		// them finish their store writes.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		if err != nil {
			err = errors.Join(err, hs.Close())
		}
		shutdownDone <- err
	})
	err := hs.Serve(ln)
	if stop() {
		// ctx is not done: Serve failed by itself.
		return fmt.Errorf("admin api: %w", err)
	}
	if err := <-shutdownDone; err != nil {
		return fmt.Errorf("admin api: shutdown: %w", err)
	}
	return nil
}

// route is one endpoint. write marks endpoints that change state: they are logged, and
// their bodies must be JSON (a form post cannot forge one).
type route struct {
	pattern string
	write   bool
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// routes is the one table of everything the API does.
func (s *Server) routes() []route {
	return []route{
		{"GET /api/v0/status", false, s.status},
		{"GET /api/v0/users", false, s.listUsers},
		{"POST /api/v0/users", true, s.addUser},
		{"DELETE /api/v0/users/{jid}", true, s.deleteUser},
		{"PUT /api/v0/users/{jid}/password", true, s.setPassword},
		{"PUT /api/v0/users/{jid}/disabled", true, s.setDisabled},
		{"PUT /api/v0/users/{jid}/admin", true, s.setAdmin},
		{"GET /api/v0/invites", false, s.listInvites},
		{"POST /api/v0/invites", true, s.createInvite},
		{"DELETE /api/v0/invites/{token}", true, s.revokeInvite},
		{"GET /api/v0/rooms", false, s.listRooms},
		{"POST /api/v0/rooms", true, s.createRoom},
		{"DELETE /api/v0/rooms/{room}", true, s.destroyRoom},
		{"PUT /api/v0/rooms/{room}/affiliations", true, s.setAffiliation},
		{"GET /api/v0/components", false, s.listComponents},
		{"POST /api/v0/components", true, s.addComponent},
		{"DELETE /api/v0/components/{domain}", true, s.deleteComponent},
		{"GET /api/v0/peers", false, s.listPeers},
		{"POST /api/v0/peers", true, s.addPeer},
		{"DELETE /api/v0/peers/{domain}", true, s.deletePeer},
	}
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := logPath(r)
		if rt.write {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.ContentLength != 0 && mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "request body must be application/json")
				return
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "admin api request",
				slog.String("method", r.Method), slog.String("path", path))
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := rt.handle(w, r); err != nil {
			code := statusFor(err)
			if code == http.StatusInternalServerError {
				s.log.LogAttrs(r.Context(), slog.LevelError, "admin api failed",
					slog.String("method", r.Method), slog.String("path", path), slog.Any("err", err))
			}
			writeError(w, code, err.Error())
		}
	})
}

// logPath is r's path for the log. An invitation token is a password until used, so it
// stays out of the log, as admin.Service keeps it out of its own.
func logPath(r *http.Request) string {
	if t := r.PathValue("token"); t != "" {
		// {token} is the pattern's last segment.
		return strings.TrimSuffix(r.URL.Path, t) + "{token}"
	}
	return r.URL.Path
}

// badRequest marks request decoding errors.
type badRequest struct{ err error }

func (e badRequest) Error() string { return "bad request: " + e.err.Error() }
func (e badRequest) Unwrap() error { return e.err }

func statusFor(err error) int {
	var br badRequest
	switch {
	case errors.As(err, &br), errors.Is(err, admin.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, admin.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, fs.ErrExist):
		return http.StatusConflict
	case errors.Is(err, admin.ErrNoRooms):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	st, err := s.backend.Status(r.Context())
	if err != nil {
		return err
	}
	out := apitype.Status{Domain: st.Domain, Version: admin.Version(), Users: st.Users, Sessions: []apitype.Session{},
		Started: st.Started.UTC(), OnlineUsers: st.OnlineUsers, Connections: st.Connections,
		StanzasPerSecond: st.StanzasPerSecond, AuthFailures: st.AuthFailures, StoreBytes: st.StoreBytes,
		CertExpiry: st.CertExpiry.UTC(), Links: PeerJSON(admin.PeerStatus{Links: st.Links}).Links}
	for _, ss := range st.Sessions {
		out.Sessions = append(out.Sessions, apitype.Session{JID: ss.JID, Remote: ss.Remote, Since: ss.Since})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	if d := r.URL.Query().Get("detail"); d != "" {
		detail, err := strconv.ParseBool(d)
		if err != nil {
			return badRequest{fmt.Errorf("detail=%q: give 1 or 0", d)}
		}
		if detail {
			return s.listUserDetails(w, r)
		}
	}
	users, err := s.backend.ListUsers(r.Context())
	if err != nil {
		return err
	}
	if users == nil {
		users = []string{}
	}
	return writeJSON(w, http.StatusOK, apitype.UserList{Users: users})
}

// listUserDetails answers GET /api/v0/users?detail=1[&search=S][&offset=N][&limit=N]:
// one page of Backend.Users when limit is given, else every page.
func (s *Server) listUserDetails(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := admin.UserQuery{Search: v.Get("search")}
	var err error
	if q.Offset, err = intParam(v, "offset"); err != nil {
		return err
	}
	if q.Limit, err = intParam(v, "limit"); err != nil {
		return err
	}
	var page admin.UserPage
	if v.Has("limit") {
		page, err = s.backend.Users(r.Context(), q)
	} else {
		page, err = allUsers(r.Context(), s.backend, q)
	}
	if err != nil {
		return err
	}
	out := apitype.UserList{Users: make([]string, 0, len(page.Users)), Details: make([]apitype.UserDetail, 0, len(page.Users)), Total: page.Total}
	for _, u := range page.Users {
		out.Users = append(out.Users, u.JID)
		out.Details = append(out.Details, apitype.UserDetail{JID: u.JID, Admin: u.Admin, Disabled: u.Disabled, Sessions: u.Sessions})
	}
	return writeJSON(w, http.StatusOK, out)
}

// allUsers collects every page of b.Users from q.Offset on.
func allUsers(ctx context.Context, b Backend, q admin.UserQuery) (admin.UserPage, error) {
	q.Limit = admin.MaxUserPage
	all := admin.UserPage{Users: []admin.User{}}
	for {
		page, err := b.Users(ctx, q)
		if err != nil {
			return admin.UserPage{}, err
		}
		all.Users = append(all.Users, page.Users...)
		all.Total = page.Total
		// Step by the limit, not by what came back: accounts deleted meanwhile are
		// left out of a page, and stepping by less would return some twice.
		q.Offset += q.Limit
		if q.Offset >= page.Total {
			return all, nil
		}
	}
}

// intParam returns the query parameter key as a non-negative int; absent is 0.
func intParam(v url.Values, key string) (int, error) {
	if !v.Has(key) {
		return 0, nil
	}
	n, err := strconv.Atoi(v.Get(key))
	if err != nil || n < 0 {
		return 0, badRequest{fmt.Errorf("%s=%q: give a number of 0 or more", key, v.Get(key))}
	}
	return n, nil
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) error {
	var req apitype.AddUserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	j, err := s.backend.AddUser(r.Context(), req.User, req.Password)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apitype.User{JID: j})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	j, err := s.backend.DeleteUser(r.Context(), r.PathValue("jid"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.User{JID: j})
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request) error {
	var req apitype.SetPasswordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	j, err := s.backend.SetPassword(r.Context(), r.PathValue("jid"), req.Password)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.User{JID: j})
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request) error {
	var req apitype.SetDisabledRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Disabled == nil {
		return badRequest{errors.New(`the body needs "disabled": true or false`)}
	}
	j, err := s.backend.SetDisabled(r.Context(), r.PathValue("jid"), *req.Disabled)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.User{JID: j})
}

func (s *Server) setAdmin(w http.ResponseWriter, r *http.Request) error {
	var req apitype.SetAdminRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Admin == nil {
		return badRequest{errors.New(`the body needs "admin": true or false`)}
	}
	j, err := s.backend.SetAdmin(r.Context(), r.PathValue("jid"), *req.Admin)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.User{JID: j})
}

func inviteOut(inv admin.Invite) apitype.Invite {
	return apitype.Invite{Token: inv.Token, URI: inv.URI, Created: inv.Created, Expires: inv.Expires,
		Uses: inv.Uses, Username: inv.Username, CreatedBy: inv.CreatedBy, AddInviter: inv.AddInviter}
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) error {
	invs, err := s.backend.ListInvites(r.Context())
	if err != nil {
		return err
	}
	out := apitype.InviteList{Invites: make([]apitype.Invite, 0, len(invs))}
	for _, inv := range invs {
		out.Invites = append(out.Invites, inviteOut(inv))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.RevokeInvite(r.Context(), r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) error {
	var req apitype.CreateInviteRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	if req.ValidForSeconds < 0 || req.ValidForSeconds > math.MaxInt64/int64(time.Second) {
		return badRequest{fmt.Errorf("valid_for_seconds %d is out of range", req.ValidForSeconds)}
	}
	inv, err := s.backend.CreateInvite(r.Context(), admin.InviteRequest{
		ValidFor:   time.Duration(req.ValidForSeconds) * time.Second,
		Uses:       req.Uses,
		Username:   req.Username,
		AddInviter: req.AddInviter,
		Inviter:    req.Inviter,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, inviteOut(inv))
}

func roomOut(r admin.Room) apitype.Room {
	return apitype.Room{JID: r.JID, Name: r.Name, Persistent: r.Persistent, Public: r.Public, Occupants: r.Occupants}
}

func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) error {
	rooms, err := s.backend.ListRooms(r.Context())
	if err != nil {
		return err
	}
	out := apitype.RoomList{Rooms: make([]apitype.Room, 0, len(rooms))}
	for _, rm := range rooms {
		out.Rooms = append(out.Rooms, roomOut(rm))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) error {
	var req apitype.CreateRoomRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rm, err := s.backend.CreateRoom(r.Context(), req.Room, req.Owner)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, roomOut(rm))
}

func (s *Server) destroyRoom(w http.ResponseWriter, r *http.Request) error {
	var req apitype.DestroyRoomRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	name, err := s.backend.DestroyRoom(r.Context(), r.PathValue("room"), req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.DestroyedRoom{Room: name})
}

func (s *Server) setAffiliation(w http.ResponseWriter, r *http.Request) error {
	var req apitype.SetAffiliationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.backend.SetRoomAffiliation(r.Context(), r.PathValue("room"), req.JID, req.Affiliation)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.Affiliation{Room: a.Room, JID: a.JID, Affiliation: a.Affiliation})
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return badRequest{err}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status line is sent: an encoding error can only be a broken connection,
	// which nobody is left to hear about.
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

func writeError(w http.ResponseWriter, code int, msg string) {
	_ = writeJSON(w, code, apitype.Error{Error: msg})
}
