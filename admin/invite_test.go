package admin

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"xmppbox/admin/admintest"
	"xmppbox/server/mod/register/registertest"
)

var _ InviteStore = (*registertest.MemInvites)(nil)

func TestCreateInvite(t *testing.T) {
	store := registertest.NewMemInvites()
	s, err := New(Config{Domain: "Example.ORG", Accounts: admintest.NewMemStore(), Invites: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		validFor time.Duration
		want     time.Duration // expected validity
	}{
		{"default", 0, DefaultInviteValidity},
		{"an hour", time.Hour, time.Hour},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			inv, err := s.CreateInvite(t.Context(), InviteRequest{ValidFor: tt.validFor})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Token) < 26 || strings.Trim(inv.Token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" || seen[inv.Token] {
				t.Errorf("token %q: want 26+ base32 characters, new each time", inv.Token)
			}
			seen[inv.Token] = true
			if want := "xmpp:example.org?register;preauth=" + inv.Token; inv.URI != want {
				t.Errorf("URI = %q, want %q", inv.URI, want)
			}
			if inv.Expires.Before(before.Add(tt.want)) || inv.Expires.After(time.Now().Add(tt.want)) {
				t.Errorf("expires %v, want %v from now", inv.Expires, tt.want)
			}
			stored, err := store.Invite(t.Context(), inv.Token)
			if err != nil || stored.Uses != 1 || !stored.Expires.Equal(inv.Expires) || stored.CreatedBy != "" {
				t.Errorf("stored invite = %+v, %v; want one use, same expiry, created by the operator", stored, err)
			}
		})
	}
	if _, err := s.CreateInvite(t.Context(), InviteRequest{ValidFor: -time.Second}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative validity: err = %v, want ErrInvalid", err)
	}

	noStore, _ := newService(t, nil)
	if _, err := noStore.CreateInvite(t.Context(), InviteRequest{}); err == nil {
		t.Error("CreateInvite without an invitation store succeeded")
	}
}
