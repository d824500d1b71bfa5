package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"testing"
	"time"

	"xmppbox/admin/admintest"
	"xmppbox/server/mod/register/registertest"
)

// webFixture is a Service with an admin (root@), a user (alice@) and a disabled admin
// (gone@), as the web page sees them.
type webFixture struct {
	s        *Service
	accounts *admintest.MemStore
	invites  *registertest.MemInvites
	sessions *fakeSessions
	settings *memSettings
	live     *fakeLive
}

const (
	rootJID  = "root@example.org"
	aliceJID = "alice@example.org"
	goneJID  = "gone@example.org"
)

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	f := &webFixture{accounts: admintest.NewMemStore(), invites: registertest.NewMemInvites(),
		sessions: &fakeSessions{}, settings: &memSettings{}, live: &fakeLive{mode: RegistrationClosed, retention: 24 * time.Hour}}
	var err error
	f.s, err = New(Config{Domain: "example.org", Accounts: f.accounts, Invites: f.invites, Sessions: f.sessions,
		Settings: f.settings, Live: f.live, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	op := AsOperator(t.Context())
	for _, u := range []struct {
		jid             string
		admin, disabled bool
	}{{rootJID, true, false}, {aliceJID, false, false}, {goneJID, true, true}} {
		if _, err := f.s.AddUser(op, u.jid, "pw-"+u.jid); err != nil {
			t.Fatal(err)
		}
		if u.admin {
			if _, err := f.s.SetAdmin(op, u.jid, true); err != nil {
				t.Fatal(err)
			}
		}
		if u.disabled {
			if _, err := f.s.SetDisabled(op, u.jid, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

type memSettings struct{ v []byte }

func (m *memSettings) Settings(context.Context) ([]byte, error) {
	if m.v == nil {
		return nil, fs.ErrNotExist
	}
	return m.v, nil
}
func (m *memSettings) SaveSettings(_ context.Context, v []byte) error { m.v = v; return nil }

type fakeLive struct {
	mode      string
	retention time.Duration
}

func (l *fakeLive) Registration() string                { return l.mode }
func (l *fakeLive) SetRegistration(mode string)         { l.mode = mode }
func (l *fakeLive) ArchiveRetention() time.Duration     { return l.retention }
func (l *fakeLive) SetArchiveRetention(d time.Duration) { l.retention = d }

// TestAuthorization runs every admin operation as each kind of caller.
func TestAuthorization(t *testing.T) {
	ops := map[string]func(*Service, context.Context) error{
		"Users":        func(s *Service, c context.Context) error { _, err := s.Users(c, UserQuery{}); return err },
		"ListUsers":    func(s *Service, c context.Context) error { _, err := s.ListUsers(c); return err },
		"AddUser":      func(s *Service, c context.Context) error { _, err := s.AddUser(c, "new", "pw"); return err },
		"DeleteUser":   func(s *Service, c context.Context) error { _, err := s.DeleteUser(c, goneJID); return err },
		"SetDisabled":  func(s *Service, c context.Context) error { _, err := s.SetDisabled(c, goneJID, false); return err },
		"SetAdmin":     func(s *Service, c context.Context) error { _, err := s.SetAdmin(c, goneJID, false); return err },
		"ListSessions": func(s *Service, c context.Context) error { _, err := s.ListSessions(c); return err },
		"CreateInvite": func(s *Service, c context.Context) error { _, err := s.CreateInvite(c, InviteRequest{}); return err },
		"ListInvites":  func(s *Service, c context.Context) error { _, err := s.ListInvites(c); return err },
		"Status":       func(s *Service, c context.Context) error { _, err := s.Status(c); return err },
		"History":      func(s *Service, c context.Context) error { _, err := s.History(c); return err },
		"Settings":     func(s *Service, c context.Context) error { _, err := s.Settings(c); return err },
		"SetSettings": func(s *Service, c context.Context) error {
			return s.SetSettings(c, Settings{Registration: RegistrationOpen, MAMRetention: 48 * time.Hour})
		},
		"ListRooms": func(s *Service, c context.Context) error { _, err := s.ListRooms(c); return err },
		"OthersPassword": func(s *Service, c context.Context) error {
			_, err := s.SetPassword(c, goneJID, "x")
			return err
		},
		"OthersSession": func(s *Service, c context.Context) error {
			return s.KickSession(c, goneJID+"/phone")
		},
	}
	callers := []struct {
		name    string
		ctx     func(context.Context) context.Context
		allowed bool
	}{
		{"operator", AsOperator, true},
		{"admin", func(c context.Context) context.Context { return AsUser(c, rootJID) }, true},
		{"user", func(c context.Context) context.Context { return AsUser(c, aliceJID) }, false},
		{"disabled admin", func(c context.Context) context.Context { return AsUser(c, goneJID) }, false},
		{"unknown account", func(c context.Context) context.Context { return AsUser(c, "nobody@example.org") }, false},
		{"nobody", func(c context.Context) context.Context { return c }, false},
	}
	for _, c := range callers {
		for name, op := range ops {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				f := newWebFixture(t)
				err := op(f.s, c.ctx(t.Context()))
				if forbidden := errors.Is(err, ErrForbidden); forbidden == c.allowed {
					t.Errorf("err = %v; allowed %v", err, c.allowed)
				}
				if !c.allowed && !errors.Is(err, fs.ErrPermission) {
					t.Errorf("err = %v does not wrap fs.ErrPermission", err)
				}
			})
		}
	}
}

func TestSelfService(t *testing.T) {
	f := newWebFixture(t)
	alice := AsUser(t.Context(), aliceJID)
	before, _ := f.s.User(alice, aliceJID)
	if _, err := f.s.SetPassword(alice, aliceJID, "new secret"); err != nil {
		t.Errorf("own password change: %v", err)
	}
	if after, _ := f.s.User(alice, aliceJID); after.PasswordStamp == before.PasswordStamp || after.PasswordStamp == "" {
		t.Errorf("password stamp %q before and %q after a change; want a new one", before.PasswordStamp, after.PasswordStamp)
	}
	if _, err := f.s.Authenticate(t.Context(), "alice", "new secret"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if u, err := f.s.User(alice, aliceJID); err != nil || u.JID != aliceJID || u.Admin {
		t.Errorf("own User = %+v, %v", u, err)
	}
	if _, err := f.s.User(alice, rootJID); !errors.Is(err, ErrForbidden) {
		t.Errorf("another's User: err = %v, want ErrForbidden", err)
	}
	if l, err := f.s.UserSessions(alice, aliceJID); err != nil || len(l) != 1 || l[0].JID != aliceJID+"/phone" {
		t.Errorf("own sessions = %v, %v", l, err)
	}
	if err := f.s.KickSession(alice, aliceJID+"/phone"); err != nil {
		t.Errorf("ending own session: %v", err)
	}
	if err := f.s.KickSession(alice, aliceJID+"/laptop"); !errors.Is(err, ErrNoSession) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ending a missing session: err = %v, want ErrNoSession", err)
	}
	if err := f.s.KickSession(alice, aliceJID); !errors.Is(err, ErrInvalid) {
		t.Errorf("ending a bare JID: err = %v, want ErrInvalid", err)
	}
	// A disabled account cannot act even on itself.
	if _, err := f.s.SetPassword(AsUser(t.Context(), goneJID), goneJID, "x"); !errors.Is(err, ErrForbidden) {
		t.Errorf("disabled account changing its password: err = %v, want ErrForbidden", err)
	}
}

func TestAdminSelfLockout(t *testing.T) {
	f := newWebFixture(t)
	root := AsUser(t.Context(), rootJID)
	for name, op := range map[string]func() error{
		"disable": func() error { _, err := f.s.SetDisabled(root, rootJID, true); return err },
		"demote":  func() error { _, err := f.s.SetAdmin(root, rootJID, false); return err },
		"delete":  func() error { _, err := f.s.DeleteUser(root, rootJID); return err },
	} {
		if err := op(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s own account: err = %v, want ErrInvalid", name, err)
		}
	}
	if u, err := f.s.User(root, rootJID); err != nil || !u.Admin || u.Disabled {
		t.Errorf("root after refused changes = %+v, %v", u, err)
	}
}

func TestAuthenticate(t *testing.T) {
	f := newWebFixture(t)
	tests := []struct {
		user, password string
		want           error
	}{
		{"root", "pw-" + rootJID, nil},
		{"ROOT@example.org", "pw-" + rootJID, nil},
		{"root", "wrong", ErrBadLogin},
		{"nobody", "pw", ErrBadLogin},
		{"gone", "pw-" + goneJID, ErrBadLogin}, // disabled
		{"bad@other.org", "pw", ErrBadLogin},
		{"", "", ErrBadLogin},
	}
	for _, tt := range tests {
		u, err := f.s.Authenticate(t.Context(), tt.user, tt.password)
		if !errors.Is(err, tt.want) || (err == nil && u.JID != rootJID) {
			t.Errorf("Authenticate(%q, %q) = %+v, %v; want %v", tt.user, tt.password, u, err, tt.want)
		}
	}
}

func TestUsersSearchAndPaging(t *testing.T) {
	f := newWebFixture(t)
	op := AsOperator(t.Context())
	for i := range 12 {
		if _, err := f.s.AddUser(op, fmt.Sprintf("user%02d", i), "pw"); err != nil {
			t.Fatal(err)
		}
	}
	jids := func(p UserPage) []string {
		var out []string
		for _, u := range p.Users {
			out = append(out, u.JID)
		}
		return out
	}
	tests := []struct {
		q         UserQuery
		wantTotal int
		want      []string
	}{
		{UserQuery{Limit: 2}, 15, []string{aliceJID, goneJID}},
		{UserQuery{Search: "USER1", Limit: 5}, 2, []string{"user10@example.org", "user11@example.org"}},
		{UserQuery{Search: "user", Offset: 10, Limit: 5}, 12, []string{"user10@example.org", "user11@example.org"}},
		{UserQuery{Search: "user", Offset: 12}, 12, nil},
		{UserQuery{Search: "zzz"}, 0, nil},
	}
	for _, tt := range tests {
		p, err := f.s.Users(op, tt.q)
		if err != nil || p.Total != tt.wantTotal || !slices.Equal(jids(p), tt.want) {
			t.Errorf("Users(%+v) = %v (total %d), %v; want %v (total %d)", tt.q, jids(p), p.Total, err, tt.want, tt.wantTotal)
		}
	}
	p, _ := f.s.Users(op, UserQuery{Search: "example.org", Limit: 3})
	if got := p.Users; len(got) != 3 || got[0].Sessions != 1 || got[1].Disabled != true || !got[1].Admin || !got[2].Admin {
		t.Errorf("flags and sessions of the first page = %+v", got)
	}
	if _, err := f.s.Users(op, UserQuery{Offset: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative offset: err = %v, want ErrInvalid", err)
	}
}

func TestDisableEndsSessions(t *testing.T) {
	f := newWebFixture(t)
	if _, err := f.s.SetDisabled(AsUser(t.Context(), rootJID), "alice", true); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.sessions.disconnected, aliceJID) {
		t.Errorf("disconnected = %v, want alice's sessions ended", f.sessions.disconnected)
	}
	if _, err := f.s.Authenticate(t.Context(), "alice", "pw-"+aliceJID); !errors.Is(err, ErrBadLogin) {
		t.Errorf("login of a disabled account: err = %v", err)
	}
}
