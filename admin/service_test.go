package admin

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"xmppbox/admin/admintest"
)

var _ AccountStore = (*admintest.MemStore)(nil)

// fakeSessions records disconnects.
type fakeSessions struct {
	mu           sync.Mutex
	disconnected []string // guarded by mu
	contacts     []string // "a b" pairs made contacts; guarded by mu
}

func (f *fakeSessions) Sessions() []Session   { return []Session{{JID: "alice@example.org/phone"}} }
func (f *fakeSessions) Kick(full string) bool { return full == "alice@example.org/phone" }
func (f *fakeSessions) Stats() ServerStats    { return ServerStats{Connections: 1, Sessions: 1} }
func (f *fakeSessions) MakeContacts(_ context.Context, a, b string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contacts = append(f.contacts, a+" "+b)
	return nil
}
func (f *fakeSessions) Disconnect(j string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disconnected = append(f.disconnected, j)
	return 1
}

func newService(t *testing.T, sessions Sessions) (*Service, *admintest.MemStore) {
	t.Helper()
	st := admintest.NewMemStore()
	s, err := New(Config{Domain: "Example.ORG", Accounts: st, Sessions: sessions, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestBareJID(t *testing.T) {
	s, _ := newService(t, nil)
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "alice", want: "alice@example.org"},
		{in: "Alice", want: "alice@example.org"},
		{in: "ＡＬＩＣＥ", want: "alice@example.org"},
		{in: "Alice@Example.ORG", want: "alice@example.org"},
		{in: "alice@example.org.", want: "alice@example.org"},
		{in: "alice@other.org", wantErr: "its domain is other.org, but this server serves example.org"},
		{in: "alice@example.org/phone", wantErr: "without /resource"},
		{in: "example.org", wantErr: ""}, // a name that happens to look like a domain
		{in: "@example.org", wantErr: "invalid"},
		{in: "", wantErr: "invalid"},
		{in: "a b", wantErr: "invalid"},
		{in: "a:b", wantErr: "invalid"},
		{in: "a/b", wantErr: "without /resource"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := s.BareJID(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("BareJID(%q) = %q, %v; want an ErrInvalid containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("BareJID(%q): %v", tt.in, err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("BareJID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUserLifecycle(t *testing.T) {
	ctx := AsOperator(t.Context())
	sess := &fakeSessions{}
	s, st := newService(t, sess)

	steps := []struct {
		name    string
		run     func() (string, error)
		want    string
		wantErr error
	}{
		{"add", func() (string, error) { return s.AddUser(ctx, "Alice", "pencil") }, "alice@example.org", nil},
		{"add again", func() (string, error) { return s.AddUser(ctx, "alice@example.org", "x") }, "", fs.ErrExist},
		{"add empty password", func() (string, error) { return s.AddUser(ctx, "bob", "") }, "", ErrInvalid},
		{"add foreign", func() (string, error) { return s.AddUser(ctx, "bob@other.org", "x") }, "", ErrInvalid},
		{"passwd", func() (string, error) { return s.SetPassword(ctx, "alice", "crayon") }, "alice@example.org", nil},
		{"passwd unknown", func() (string, error) { return s.SetPassword(ctx, "carol", "x") }, "", fs.ErrNotExist},
		{"delete", func() (string, error) { return s.DeleteUser(ctx, "ALICE") }, "alice@example.org", nil},
		{"delete again", func() (string, error) { return s.DeleteUser(ctx, "alice") }, "", fs.ErrNotExist},
	}
	for _, step := range steps {
		got, err := step.run()
		if step.wantErr != nil {
			if !errors.Is(err, step.wantErr) {
				t.Fatalf("%s: err = %v, want %v", step.name, err, step.wantErr)
			}
			continue
		}
		if err != nil || got != step.want {
			t.Fatalf("%s = %q, %v; want %q", step.name, got, err, step.want)
		}
		if step.name == "passwd" {
			c, _ := st.Credentials(ctx, "alice@example.org")
			if !c.VerifyPassword("crayon") || c.VerifyPassword("pencil") {
				t.Fatal("passwd did not replace the password")
			}
			if c.SHA256.Iterations != 4096 {
				t.Errorf("iterations = %d, want 4096", c.SHA256.Iterations)
			}
		}
	}
	if want := []string{"alice@example.org", "alice@example.org"}; !slices.Equal(sess.disconnected, want) {
		t.Errorf("disconnected %v, want %v (passwd and delete)", sess.disconnected, want)
	}
	if l, _ := s.ListUsers(ctx); len(l) != 0 {
		t.Errorf("users left: %v", l)
	}
}

func TestErrorMessages(t *testing.T) {
	ctx := AsOperator(t.Context())
	s, _ := newService(t, nil)
	if _, err := s.AddUser(ctx, "alice", "pencil"); err != nil {
		t.Fatal(err)
	}
	_, err := s.AddUser(ctx, "alice", "pencil")
	if got, want := err.Error(), "alice@example.org: user already exists"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	_, err = s.DeleteUser(ctx, "bob")
	if got, want := err.Error(), "bob@example.org: no such user"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

func TestListAndStatus(t *testing.T) {
	ctx := AsOperator(t.Context())
	s, _ := newService(t, &fakeSessions{})
	for _, u := range []string{"carol", "alice", "bob"} {
		if _, err := s.AddUser(ctx, u, "pw"); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.ListUsers(ctx)
	if want := []string{"alice@example.org", "bob@example.org", "carol@example.org"}; err != nil || !slices.Equal(l, want) {
		t.Fatalf("ListUsers = %v, %v; want %v", l, err, want)
	}
	st, err := s.Status(ctx)
	if err != nil || st.Domain != "example.org" || st.Users != 3 || !st.Running || len(st.Sessions) != 1 {
		t.Errorf("Status = %+v, %v", st, err)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != PasswordLength {
			t.Fatalf("len(%q) = %d", pw, len(pw))
		}
		if i := strings.IndexFunc(pw, func(r rune) bool { return !strings.ContainsRune(passwordAlphabet, r) }); i >= 0 {
			t.Fatalf("%q has %q, outside the alphabet", pw, pw[i])
		}
		if seen[pw] {
			t.Fatalf("%q generated twice", pw)
		}
		seen[pw] = true
	}
	for _, c := range "0O1lIo" {
		if strings.ContainsRune(passwordAlphabet, c) {
			t.Errorf("alphabet has ambiguous %q", c)
		}
	}
}
