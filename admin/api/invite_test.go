package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
	"xmppbox/server/mod/register/registertest"
)

func TestCreateInvite(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	invites := registertest.NewMemInvites()
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Invites: invites, Logger: log})
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

	c := NewClient(sock)
	defer c.Close()
	before := time.Now()
	inv, err := c.CreateInvite(t.Context(), admin.InviteRequest{ValidFor: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if inv.URI != "xmpp:example.org?register;preauth="+inv.Token || inv.Token == "" {
		t.Errorf("invite %+v", inv)
	}
	if inv.Expires.Before(before.Add(2*time.Hour)) || inv.Expires.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("expires %v, want two hours from now", inv.Expires)
	}
	if _, err := invites.Invite(t.Context(), inv.Token); err != nil {
		t.Errorf("the invite is not in the store: %v", err)
	}

	// No body at all means the default validity; a negative one is refused.
	hc := rawClient(sock)
	resp, err := hc.Post("http://x/api/v0/invites", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST without a body: %s, want 201", resp.Status)
	}
	resp, err = hc.Post("http://x/api/v0/invites", "application/json", strings.NewReader(`{"valid_for_seconds": -5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("negative validity: %s, want 400", resp.Status)
	}
	var ae *Error
	if _, err := c.CreateInvite(t.Context(), admin.InviteRequest{ValidFor: -time.Hour}); !errors.As(err, &ae) || !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("client with negative validity: %v, want a 400 *Error", err)
	}
}

// lockedBuffer is a log destination the server's goroutines and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestInviteLifecycle(t *testing.T) {
	var logBuf lockedBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sock := serveBackend(t, newService(t, admintest.NewMemStore(), registertest.NewMemInvites(), log), log)
	c := NewClient(sock)
	defer c.Close()
	ctx := t.Context()

	create := []struct {
		name    string
		req     admin.InviteRequest
		want    admin.Invite // Uses and Username
		wantErr string
	}{
		{name: "default", req: admin.InviteRequest{}, want: admin.Invite{Uses: 1}},
		{name: "three uses", req: admin.InviteRequest{Uses: 3, ValidFor: time.Hour}, want: admin.Invite{Uses: 3}},
		{name: "username", req: admin.InviteRequest{Username: "Dave"}, want: admin.Invite{Uses: 1, Username: "dave"}},
		{name: "username by JID", req: admin.InviteRequest{Username: "erin@example.org", Uses: 1}, want: admin.Invite{Uses: 1, Username: "erin"}},
		{name: "username twice", req: admin.InviteRequest{Username: "dave", Uses: 2}, wantErr: "can be used once"},
		{name: "foreign username", req: admin.InviteRequest{Username: "dave@other.org"}, wantErr: "this server serves example.org"},
		{name: "negative uses", req: admin.InviteRequest{Uses: -1}, wantErr: "give 1 to 1000"},
		{name: "too many uses", req: admin.InviteRequest{Uses: admin.MaxInviteUses + 1}, wantErr: "give 1 to 1000"},
		{name: "add inviter as operator", req: admin.InviteRequest{AddInviter: true}, wantErr: "only an account"},
	}
	var made []admin.Invite
	for _, tt := range create {
		t.Run("create "+tt.name, func(t *testing.T) {
			before := time.Now()
			inv, err := c.CreateInvite(ctx, tt.req)
			if tt.wantErr != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a 400 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inv.Uses != tt.want.Uses || inv.Username != tt.want.Username || inv.CreatedBy != "" || inv.AddInviter ||
				inv.URI != "xmpp:example.org?register;preauth="+inv.Token || inv.Created.Before(before) || !inv.Expires.After(inv.Created) {
				t.Errorf("invite %+v, want uses %d, username %q", inv, tt.want.Uses, tt.want.Username)
			}
			made = append(made, inv)
		})
	}
	if len(made) != 4 {
		t.Fatalf("made %d invites, want 4", len(made))
	}

	sameInvites := func(t *testing.T, got, want []admin.Invite) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("ListInvites = %d invites, want %d", len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if !g.Created.Equal(w.Created) || !g.Expires.Equal(w.Expires) {
				t.Errorf("invite %d times %v %v, want %v %v", i, g.Created, g.Expires, w.Created, w.Expires)
			}
			g.Created, g.Expires, w.Created, w.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if g != w {
				t.Errorf("invite %d = %+v, want %+v", i, g, w)
			}
		}
	}
	got, err := c.ListInvites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameInvites(t, got, made)

	revoke := []struct {
		name      string
		token     string
		wantErr   bool
		wantAfter []admin.Invite
	}{
		{"first", made[0].Token, false, made[1:]},
		{"first again", made[0].Token, true, made[1:]},
		{"unknown", "NOSUCHTOKEN", true, made[1:]},
		{"last", made[3].Token, false, made[1:3]},
	}
	for _, tt := range revoke {
		t.Run("revoke "+tt.name, func(t *testing.T) {
			err := c.RevokeInvite(ctx, tt.token)
			var ae *Error
			switch {
			case !tt.wantErr && err != nil:
				t.Fatal(err)
			case tt.wantErr && (!errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound ||
				!errors.Is(err, fs.ErrNotExist) || err.Error() != admin.ErrNoInvite.Error()):
				t.Fatalf("err = %v, want a 404 with %q", err, admin.ErrNoInvite)
			}
			got, err := c.ListInvites(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sameInvites(t, got, tt.wantAfter)
		})
	}

	// The raw answers: 204 without a body; an empty list is [], not null.
	hc := rawClient(sock)
	defer hc.CloseIdleConnections()
	for _, inv := range made[1:3] {
		req, _ := http.NewRequest(http.MethodDelete, "http://x/api/v0/invites/"+inv.Token, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Errorf("DELETE: %s %q, want 204 and no body", resp.Status, body)
		}
	}
	resp, err := hc.Get("http://x/api/v0/invites")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"invites":[]}` {
		t.Errorf("GET empty: %s %s", resp.Status, body)
	}

	// A token is a password until used: neither the Service nor the API logs it.
	logs := logBuf.String()
	if !strings.Contains(logs, "/api/v0/invites/{token}") {
		t.Errorf("revocations not logged:\n%s", logs)
	}
	for _, inv := range made {
		if strings.Contains(logs, inv.Token) {
			t.Errorf("token %s in the log:\n%s", inv.Token, logs)
		}
	}
}
