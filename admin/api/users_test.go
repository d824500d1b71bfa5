package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
	"xmppbox/admin/apitype"
	"xmppbox/server/sasl"
)

// serveBackend serves the API of b on a socket in a temp dir until the test ends, and
// returns the socket path.
func serveBackend(t *testing.T, b Backend, log *slog.Logger) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), SocketName)
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(b, log).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sock
}

// newService returns a Service for example.org on accounts (and invites, if not nil).
func newService(t *testing.T, accounts admin.AccountStore, invites admin.InviteStore, log *slog.Logger) *admin.Service {
	t.Helper()
	cfg := admin.Config{Domain: "example.org", Accounts: accounts, Logger: log}
	if invites != nil {
		cfg.Invites = invites
	}
	svc, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestUserFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	sock := serveBackend(t, newService(t, admintest.NewMemStore(), nil, log), log)
	c := NewClient(sock)
	defer c.Close()
	ctx := t.Context()
	for _, u := range []string{"alice", "bob"} {
		if _, err := c.AddUser(ctx, u, "pencil"); err != nil {
			t.Fatal(err)
		}
	}

	type flags struct{ admin, disabled bool }
	steps := []struct {
		name    string
		run     func() (string, error)
		wantJID string
		wantErr error
		errText string
		want    map[string]flags // every account's flags after the step
	}{
		{name: "disable", run: func() (string, error) { return c.SetDisabled(ctx, "Alice", true) },
			wantJID: "alice@example.org", want: map[string]flags{"alice@example.org": {disabled: true}, "bob@example.org": {}}},
		{name: "disable again", run: func() (string, error) { return c.SetDisabled(ctx, "alice@example.org", true) },
			wantJID: "alice@example.org", want: map[string]flags{"alice@example.org": {disabled: true}, "bob@example.org": {}}},
		{name: "promote", run: func() (string, error) { return c.SetAdmin(ctx, "bob", true) },
			wantJID: "bob@example.org", want: map[string]flags{"alice@example.org": {disabled: true}, "bob@example.org": {admin: true}}},
		{name: "enable", run: func() (string, error) { return c.SetDisabled(ctx, "alice", false) },
			wantJID: "alice@example.org", want: map[string]flags{"alice@example.org": {}, "bob@example.org": {admin: true}}},
		{name: "demote", run: func() (string, error) { return c.SetAdmin(ctx, "bob", false) },
			wantJID: "bob@example.org", want: map[string]flags{"alice@example.org": {}, "bob@example.org": {}}},
		{name: "disable unknown", run: func() (string, error) { return c.SetDisabled(ctx, "carol", true) },
			wantErr: fs.ErrNotExist, errText: "carol@example.org: no such user"},
		{name: "promote unknown", run: func() (string, error) { return c.SetAdmin(ctx, "carol", true) },
			wantErr: fs.ErrNotExist, errText: "carol@example.org: no such user"},
		{name: "promote foreign", run: func() (string, error) { return c.SetAdmin(ctx, "bob@other.org", true) },
			wantErr: admin.ErrInvalid, errText: "this server serves example.org"},
		{name: "disable full JID", run: func() (string, error) { return c.SetDisabled(ctx, "bob@example.org/phone", true) },
			wantErr: admin.ErrInvalid, errText: "without /resource"},
	}
	for _, s := range steps {
		j, err := s.run()
		if s.wantErr != nil {
			var ae *Error
			if !errors.Is(err, s.wantErr) || !errors.As(err, &ae) || !strings.Contains(err.Error(), s.errText) {
				t.Fatalf("%s: err = %v, want a *api.Error matching %v and containing %q", s.name, err, s.wantErr, s.errText)
			}
			continue
		}
		if err != nil || j != s.wantJID {
			t.Fatalf("%s = %q, %v; want %q", s.name, j, err, s.wantJID)
		}
		page, err := c.Users(ctx, admin.UserQuery{})
		if err != nil {
			t.Fatalf("%s: Users: %v", s.name, err)
		}
		got := make(map[string]flags)
		for _, u := range page.Users {
			got[u.JID] = flags{u.Admin, u.Disabled}
		}
		if page.Total != len(s.want) || fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Fatalf("%s: Users = %+v, want %v", s.name, page, s.want)
		}
	}
}

// TestUserDetail checks GET /api/v0/users with and without ?detail=1, paging included.
func TestUserDetail(t *testing.T) {
	// Accounts go straight into the store: deriving SCRAM secrets for a thousand
	// accounts through AddUser would only make the test slow.
	const n = 2*admin.MaxUserPage + 3
	accounts := admintest.NewMemStore()
	var all []string
	for i := range n {
		j := fmt.Sprintf("user%04d@example.org", i)
		if err := accounts.CreateAccount(t.Context(), j, sasl.Credentials{}); err != nil {
			t.Fatal(err)
		}
		all = append(all, j)
	}
	if err := accounts.SetAdmin(t.Context(), all[1], true); err != nil {
		t.Fatal(err)
	}
	if err := accounts.SetDisabled(t.Context(), all[2], true); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sock := serveBackend(t, newService(t, accounts, nil, log), log)
	hc := rawClient(sock)
	defer hc.CloseIdleConnections()

	tests := []struct {
		query       string
		wantStatus  int
		wantUsers   []string
		wantDetails bool // "details" present
		wantTotal   int
	}{
		{query: "", wantStatus: http.StatusOK, wantUsers: all},
		{query: "?detail=0", wantStatus: http.StatusOK, wantUsers: all},
		{query: "?detail=1", wantStatus: http.StatusOK, wantUsers: all, wantDetails: true, wantTotal: n},
		{query: "?detail=true&offset=1000", wantStatus: http.StatusOK, wantUsers: all[1000:], wantDetails: true, wantTotal: n},
		{query: "?detail=1&offset=1&limit=2", wantStatus: http.StatusOK, wantUsers: all[1:3], wantDetails: true, wantTotal: n},
		{query: "?detail=1&search=USER000", wantStatus: http.StatusOK, wantUsers: all[:10], wantDetails: true, wantTotal: 10},
		{query: "?detail=1&search=nobody", wantStatus: http.StatusOK, wantUsers: []string{}, wantDetails: true},
		{query: "?detail=1&offset=5000&limit=10", wantStatus: http.StatusOK, wantUsers: []string{}, wantDetails: true, wantTotal: n},
		{query: "?detail=maybe", wantStatus: http.StatusBadRequest},
		{query: "?detail=1&offset=-1", wantStatus: http.StatusBadRequest},
		{query: "?detail=1&limit=x", wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.query, "no query"), func(t *testing.T) {
			resp, err := hc.Get("http://xmppbox/api/v0/users" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %s, want %d", resp.Status, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var (
				raw map[string]json.RawMessage // to tell absent, null and [] apart
				l   apitype.UserList
			)
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(body, &l); err != nil {
				t.Fatal(err)
			}
			if string(raw["users"]) == "null" || !slices.Equal(l.Users, tt.wantUsers) {
				t.Errorf("users %s, want %d from %v", raw["users"], len(tt.wantUsers), tt.wantUsers[:min(len(tt.wantUsers), 3)])
			}
			if _, ok := raw["details"]; ok != tt.wantDetails || string(raw["details"]) == "null" {
				t.Fatalf("details %s, want present: %v", raw["details"], tt.wantDetails)
			}
			if l.Total != tt.wantTotal {
				t.Errorf("total %d, want %d", l.Total, tt.wantTotal)
			}
			if !tt.wantDetails {
				return
			}
			if len(l.Details) != len(l.Users) {
				t.Fatalf("%d details for %d users", len(l.Details), len(l.Users))
			}
			for i, d := range l.Details {
				want := apitype.UserDetail{JID: l.Users[i], Admin: d.JID == all[1], Disabled: d.JID == all[2]}
				if d != want {
					t.Errorf("details[%d] = %+v, want %+v", i, d, want)
				}
			}
		})
	}
}

// nonAdmin is the Service as a logged-in account that is no administrator sees it: the
// admin operations are refused by the Service itself.
type nonAdmin struct {
	*admin.Service
	jid string
}

func (b nonAdmin) ListUsers(ctx context.Context) ([]string, error) {
	return b.Service.ListUsers(admin.AsUser(ctx, b.jid))
}

func (b nonAdmin) SetAdmin(ctx context.Context, nameOrJID string, isAdmin bool) (string, error) {
	return b.Service.SetAdmin(admin.AsUser(ctx, b.jid), nameOrJID, isAdmin)
}

func (b nonAdmin) ListInvites(ctx context.Context) ([]admin.Invite, error) {
	return b.Service.ListInvites(admin.AsUser(ctx, b.jid))
}

func TestForbidden(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	svc := newService(t, admintest.NewMemStore(), nil, log)
	ctx := admin.AsOperator(t.Context())
	if _, err := svc.AddUser(ctx, "eve", "pencil"); err != nil {
		t.Fatal(err)
	}
	c := NewClient(serveBackend(t, nonAdmin{svc, "eve@example.org"}, log))
	defer c.Close()

	tests := []struct {
		name string
		call func() error
	}{
		{"list users", func() error { _, err := c.ListUsers(t.Context()); return err }},
		{"promote self", func() error { _, err := c.SetAdmin(t.Context(), "eve", true); return err }},
		{"list invites", func() error { _, err := c.ListInvites(t.Context()); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae *Error
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden ||
				!errors.Is(err, admin.ErrForbidden) || !errors.Is(err, fs.ErrPermission) {
				t.Fatalf("err = %v, want a 403 *api.Error matching admin.ErrForbidden", err)
			}
			if !strings.Contains(err.Error(), "eve@example.org is not an administrator") {
				t.Errorf("message %q does not say why", err)
			}
		})
	}
	if isAdmin, _, err := svcFlags(t, svc, "eve@example.org"); err != nil || isAdmin {
		t.Errorf("eve promoted herself: %v, %v", isAdmin, err)
	}
}

func svcFlags(t *testing.T, svc *admin.Service, j string) (isAdmin, disabled bool, err error) {
	t.Helper()
	u, err := svc.User(admin.AsOperator(t.Context()), j)
	return u.Admin, u.Disabled, err
}

func TestStatusFor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"forbidden", fmt.Errorf("list users: %w: no caller", admin.ErrForbidden), http.StatusForbidden},
		{"invalid", fmt.Errorf("%w user name", admin.ErrInvalid), http.StatusBadRequest},
		{"bad request", badRequest{errors.New("unexpected EOF")}, http.StatusBadRequest},
		{"no user", fmt.Errorf("x: %w", admin.ErrNoUser), http.StatusNotFound},
		{"no invite", admin.ErrNoInvite, http.StatusNotFound},
		{"exists", fmt.Errorf("x: %w", admin.ErrUserExists), http.StatusConflict},
		{"no rooms", admin.ErrNoRooms, http.StatusServiceUnavailable},
		{"other", errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFor(tt.err); got != tt.want {
				t.Errorf("statusFor(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestSetFlagBodies(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	svc := newService(t, admintest.NewMemStore(), nil, log)
	if _, err := svc.AddUser(admin.AsOperator(t.Context()), "alice", "pencil"); err != nil {
		t.Fatal(err)
	}
	hc := rawClient(serveBackend(t, svc, log))
	defer hc.CloseIdleConnections()
	tests := []struct {
		name       string
		path, body string
		wantStatus int
	}{
		{"disable", "/users/alice/disabled", `{"disabled": true}`, http.StatusOK},
		{"missing field", "/users/alice/disabled", `{}`, http.StatusBadRequest},
		{"misspelt field", "/users/alice/disabled", `{"disable": false}`, http.StatusBadRequest},
		{"no body", "/users/alice/admin", ``, http.StatusBadRequest},
		{"wrong type", "/users/alice/admin", `{"admin": "yes"}`, http.StatusBadRequest},
		{"promote", "/users/alice/admin", `{"admin": true}`, http.StatusOK},
		{"unknown", "/users/zed/admin", `{"admin": true}`, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, "http://xmppbox/api/v0"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %s, want %d", resp.Status, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				var u apitype.User
				if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || u.JID != "alice@example.org" {
					t.Errorf("body %+v, %v", u, err)
				}
			}
		})
	}
	if isAdmin, disabled, err := svcFlags(t, svc, "alice"); err != nil || !isAdmin || !disabled {
		t.Errorf("alice: admin %v, disabled %v, %v; want both", isAdmin, disabled, err)
	}
}

// TestUsersOldServer checks that Client.Users refuses the plain list a server older than
// ?detail=1 answers, instead of reading it as no accounts.
func TestUsersOldServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), SocketName)
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, http.StatusOK, apitype.UserList{Users: []string{"alice@example.org"}})
	})}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		hs.Close()
		<-done
	})
	c := NewClient(sock)
	defer c.Close()
	if page, err := c.Users(t.Context(), admin.UserQuery{}); err == nil || !strings.Contains(err.Error(), "restart it") {
		t.Errorf("Users = %+v, %v; want an error saying to restart the server", page, err)
	}
}
