package admin

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"xmppbox/admin/admintest"
	"xmppbox/server/mod/register"
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
			inv, err := s.CreateInvite(AsOperator(t.Context()), InviteRequest{ValidFor: tt.validFor})
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
	if _, err := s.CreateInvite(AsOperator(t.Context()), InviteRequest{ValidFor: -time.Second}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative validity: err = %v, want ErrInvalid", err)
	}

	noStore, _ := newService(t, nil)
	if _, err := noStore.CreateInvite(AsOperator(t.Context()), InviteRequest{}); err == nil {
		t.Error("CreateInvite without an invitation store succeeded")
	}
}

func TestInviteLifecycle(t *testing.T) {
	f := newWebFixture(t)
	root := AsUser(t.Context(), rootJID)
	bad := []InviteRequest{
		{Uses: -1}, {Uses: MaxInviteUses + 1}, {Username: "a@other.org"}, {Username: "carol", Uses: 2},
	}
	for _, req := range bad {
		if _, err := f.s.CreateInvite(root, req); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateInvite(%+v): err = %v, want ErrInvalid", req, err)
		}
	}
	if _, err := f.s.CreateInvite(AsOperator(t.Context()), InviteRequest{AddInviter: true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("operator invitation adding the inviter: err = %v, want ErrInvalid", err)
	}

	multi, err := f.s.CreateInvite(root, InviteRequest{Uses: 2, AddInviter: true})
	if err != nil {
		t.Fatal(err)
	}
	preset, err := f.s.CreateInvite(root, InviteRequest{Username: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	if preset.Username != "carol" || preset.CreatedBy != rootJID || multi.Uses != 2 || !multi.AddInviter {
		t.Errorf("invites = %+v, %+v", multi, preset)
	}
	if l, err := f.s.ListInvites(root); err != nil || len(l) != 2 {
		t.Errorf("ListInvites = %+v, %v; want 2", l, err)
	}

	// The public side: anyone with the token.
	anon := t.Context()
	if got, err := f.s.LookupInvite(anon, multi.Token); err != nil || got.Uses != 2 {
		t.Errorf("LookupInvite = %+v, %v", got, err)
	}
	if _, err := f.s.LookupInvite(anon, "nonsense"); !errors.Is(err, ErrNoInvite) {
		t.Errorf("LookupInvite(unknown): err = %v, want ErrNoInvite", err)
	}
	if _, err := f.s.RedeemInvite(anon, preset.Token, "dave", "pw"); !errors.Is(err, ErrInvalid) {
		t.Errorf("redeeming a preset invitation with another name: err = %v, want ErrInvalid", err)
	}
	if j, err := f.s.RedeemInvite(anon, preset.Token, "Carol", "pw"); err != nil || j != "carol@example.org" {
		t.Errorf("RedeemInvite(preset) = %q, %v", j, err)
	}
	if _, err := f.s.RedeemInvite(anon, preset.Token, "carol2", "pw"); !errors.Is(err, ErrNoInvite) {
		t.Errorf("redeeming a used invitation: err = %v, want ErrNoInvite", err)
	}
	if _, err := f.s.RedeemInvite(anon, multi.Token, "alice", "pw"); !errors.Is(err, ErrUserExists) {
		t.Errorf("redeeming for a taken name: err = %v, want ErrUserExists", err)
	}
	if _, err := f.s.RedeemInvite(anon, multi.Token, "erin", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("redeeming with an empty password: err = %v, want ErrInvalid", err)
	}
	for _, name := range []string{"erin", "frank"} {
		if _, err := f.s.RedeemInvite(anon, multi.Token, name, "pw"); err != nil {
			t.Errorf("RedeemInvite(multi, %s): %v", name, err)
		}
	}
	if _, err := f.s.RedeemInvite(anon, multi.Token, "gina", "pw"); !errors.Is(err, ErrNoInvite) {
		t.Errorf("third use of a two-use invitation: err = %v, want ErrNoInvite", err)
	}
	if _, err := f.s.Authenticate(anon, "erin", "pw"); err != nil {
		t.Errorf("login of the invited account: %v", err)
	}
	want := []string{"erin@example.org " + rootJID, "frank@example.org " + rootJID}
	if !slices.Equal(f.sessions.contacts, want) {
		t.Errorf("contacts made = %q, want %q", f.sessions.contacts, want)
	}
	if l, _ := f.s.ListInvites(root); len(l) != 0 {
		t.Errorf("used-up invitations still listed: %+v", l)
	}

	revoked, _ := f.s.CreateInvite(root, InviteRequest{})
	if err := f.s.RevokeInvite(root, revoked.Token); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RevokeInvite(root, revoked.Token); !errors.Is(err, ErrNoInvite) {
		t.Errorf("revoking twice: err = %v, want ErrNoInvite", err)
	}
	if _, err := f.s.RedeemInvite(anon, revoked.Token, "hal", "pw"); !errors.Is(err, ErrNoInvite) {
		t.Errorf("redeeming a revoked invitation: err = %v, want ErrNoInvite", err)
	}
}

func TestExpiredInvite(t *testing.T) {
	f := newWebFixture(t)
	tok := "EXPIRED"
	if err := f.invites.CreateInvite(t.Context(), register.Invite{Token: tok, Uses: 1, Expires: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.LookupInvite(t.Context(), tok); !errors.Is(err, ErrNoInvite) {
		t.Errorf("LookupInvite(expired): err = %v, want ErrNoInvite", err)
	}
	if _, err := f.s.RedeemInvite(t.Context(), tok, "ivan", "pw"); !errors.Is(err, ErrNoInvite) {
		t.Errorf("RedeemInvite(expired): err = %v, want ErrNoInvite", err)
	}
	if l, _ := f.s.ListInvites(AsOperator(t.Context())); len(l) != 0 {
		t.Errorf("expired invitation listed: %+v", l)
	}
}

// TestUsersMayInvite: with the setting on, an ordinary account invites one person for up
// to a week, sees and revokes only its own invitations; off, it may not.
func TestUsersMayInvite(t *testing.T) {
	f := newWebFixture(t)
	root, alice := AsUser(t.Context(), rootJID), AsUser(t.Context(), aliceJID)
	if _, err := f.s.CreateInvite(alice, InviteRequest{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("invitation by a user with the setting off: err = %v, want ErrForbidden", err)
	}
	if may, err := f.s.UsersMayInvite(alice); err != nil || may {
		t.Errorf("UsersMayInvite = %v, %v; want false", may, err)
	}
	if err := f.s.SetSettings(root, Settings{Registration: RegistrationClosed, MAMRetention: 48 * time.Hour, UsersMayInvite: true}); err != nil {
		t.Fatal(err)
	}
	if st, err := f.s.Settings(root); err != nil || !st.UsersMayInvite {
		t.Errorf("Settings = %+v, %v; want users_may_invite", st, err)
	}
	if may, err := f.s.UsersMayInvite(alice); err != nil || !may {
		t.Errorf("UsersMayInvite = %v, %v; want true", may, err)
	}
	for _, req := range []InviteRequest{{Uses: 2}, {ValidFor: 30 * 24 * time.Hour}} {
		if _, err := f.s.CreateInvite(alice, req); !errors.Is(err, ErrInvalid) {
			t.Errorf("user invitation %+v: err = %v, want ErrInvalid", req, err)
		}
	}
	mine, err := f.s.CreateInvite(alice, InviteRequest{AddInviter: true})
	if err != nil || mine.CreatedBy != aliceJID {
		t.Fatalf("user invitation = %+v, %v", mine, err)
	}
	theirs, err := f.s.CreateInvite(root, InviteRequest{Uses: 5})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := f.s.ListInvites(alice); err != nil || len(l) != 1 || l[0].Token != mine.Token {
		t.Errorf("alice's list = %+v, %v; want only her invitation", l, err)
	}
	if l, _ := f.s.ListInvites(root); len(l) != 2 {
		t.Errorf("the admin's list has %d invitations, want 2", len(l))
	}
	if err := f.s.RevokeInvite(alice, theirs.Token); !errors.Is(err, ErrNoInvite) {
		t.Errorf("alice revoking the admin's invitation: err = %v, want ErrNoInvite", err)
	}
	if err := f.s.RevokeInvite(alice, mine.Token); err != nil {
		t.Errorf("alice revoking her own: %v", err)
	}
	if _, err := f.s.CreateInvite(AsUser(t.Context(), goneJID), InviteRequest{}); !errors.Is(err, ErrForbidden) {
		t.Errorf("invitation by a disabled account: err = %v, want ErrForbidden", err)
	}
}

func TestInviteOnBehalf(t *testing.T) {
	f := newWebFixture(t)
	op, root := AsOperator(t.Context()), AsUser(t.Context(), rootJID)
	inv, err := f.s.CreateInvite(op, InviteRequest{Inviter: "alice", AddInviter: true})
	if err != nil || inv.CreatedBy != aliceJID || !inv.AddInviter {
		t.Errorf("operator inviting for alice = %+v, %v", inv, err)
	}
	if inv, err := f.s.CreateInvite(root, InviteRequest{Inviter: aliceJID}); err != nil || inv.CreatedBy != aliceJID {
		t.Errorf("admin inviting for alice = %+v, %v", inv, err)
	}
	if _, err := f.s.CreateInvite(op, InviteRequest{Inviter: "nobody"}); !errors.Is(err, ErrNoUser) {
		t.Errorf("inviter unknown: err = %v, want ErrNoUser", err)
	}
	if err := f.s.SetSettings(root, Settings{Registration: RegistrationClosed, MAMRetention: 48 * time.Hour, UsersMayInvite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateInvite(AsUser(t.Context(), aliceJID), InviteRequest{Inviter: rootJID}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a user inviting on the admin's behalf: err = %v, want ErrInvalid", err)
	}
}
