package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
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
