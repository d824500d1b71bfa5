package api

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
)

// serve starts an API server for a fresh Service on a socket in a temp dir and returns
// the socket path. The server is stopped, and Serve's result checked, at cleanup.
func serve(t *testing.T) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Logger: log})
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
		if _, err := os.Stat(sock); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket left behind after Serve: %v", err)
		}
	})
	return sock
}

func TestClientServer(t *testing.T) {
	ctx := context.Background()
	c := NewClient(serve(t))
	defer c.Close()

	type result struct {
		jid     string
		wantErr error
		errText string
	}
	steps := []struct {
		name string
		run  func() (string, error)
		want result
	}{
		{"add", func() (string, error) { return c.AddUser(ctx, "Alice", "pencil") }, result{jid: "alice@example.org"}},
		{"add exists", func() (string, error) { return c.AddUser(ctx, "alice", "pencil") },
			result{wantErr: fs.ErrExist, errText: "alice@example.org: user already exists"}},
		{"add foreign", func() (string, error) { return c.AddUser(ctx, "bob@other.org", "pencil") },
			result{wantErr: admin.ErrInvalid, errText: "this server serves example.org"}},
		{"add bob", func() (string, error) { return c.AddUser(ctx, "bob@example.org", "pencil") }, result{jid: "bob@example.org"}},
		{"passwd", func() (string, error) { return c.SetPassword(ctx, "alice@example.org", "crayon") }, result{jid: "alice@example.org"}},
		{"passwd empty", func() (string, error) { return c.SetPassword(ctx, "alice", "") }, result{wantErr: admin.ErrInvalid}},
		{"passwd unknown", func() (string, error) { return c.SetPassword(ctx, "carol", "x") }, result{wantErr: fs.ErrNotExist}},
		{"delete with slash", func() (string, error) { return c.DeleteUser(ctx, "a/b") }, result{wantErr: admin.ErrInvalid}},
		{"delete", func() (string, error) { return c.DeleteUser(ctx, "bob") }, result{jid: "bob@example.org"}},
		{"delete unknown", func() (string, error) { return c.DeleteUser(ctx, "bob") },
			result{wantErr: fs.ErrNotExist, errText: "bob@example.org: no such user"}},
	}
	for _, s := range steps {
		j, err := s.run()
		if s.want.wantErr != nil {
			var ae *Error
			if !errors.Is(err, s.want.wantErr) || !errors.As(err, &ae) || !strings.Contains(err.Error(), s.want.errText) {
				t.Fatalf("%s: err = %v, want a *api.Error matching %v and containing %q", s.name, err, s.want.wantErr, s.want.errText)
			}
			continue
		}
		if err != nil || j != s.want.jid {
			t.Fatalf("%s = %q, %v; want %q", s.name, j, err, s.want.jid)
		}
	}
	users, err := c.ListUsers(ctx)
	if err != nil || !slices.Equal(users, []string{"alice@example.org"}) {
		t.Errorf("ListUsers = %v, %v", users, err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Domain != "example.org" || st.Users != 1 || st.Sessions == nil || st.Version == "" {
		t.Errorf("Status = %+v, %v", st, err)
	}
}

// rawClient sends requests over the socket without the Client's conventions.
func rawClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

func TestRefusedRequests(t *testing.T) {
	sock := serve(t)
	hc := rawClient(sock)
	defer hc.CloseIdleConnections()
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
	}{
		{"origin", "GET", "/api/v0/users", map[string]string{"Origin": "http://evil.example"}, "", http.StatusForbidden},
		{"referer", "GET", "/api/v0/status", map[string]string{"Referer": "http://evil.example/x"}, "", http.StatusForbidden},
		{"origin on write", "POST", "/api/v0/users", map[string]string{"Origin": "null", "Content-Type": "application/json"},
			`{"user":"x","password":"y"}`, http.StatusForbidden},
		{"form post", "POST", "/api/v0/users", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			`user=x&password=y`, http.StatusUnsupportedMediaType},
		{"bad json", "POST", "/api/v0/users", map[string]string{"Content-Type": "application/json"}, `{`, http.StatusBadRequest},
		{"wrong method", "PATCH", "/api/v0/users", nil, "", http.StatusMethodNotAllowed},
		{"unversioned", "GET", "/api/users", nil, "", http.StatusNotFound},
		{"plain get ok", "GET", "/api/v0/users", nil, "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://xmppbox"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}
	c := NewClient(sock)
	defer c.Close()
	if users, err := c.ListUsers(context.Background()); err != nil || len(users) != 0 {
		t.Errorf("after refused writes: users %v, %v; want none", users, err)
	}
}

func TestListen(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string) // what is at path before Listen
		wantErr string
	}{
		{"fresh", func(*testing.T, string) {}, ""},
		{"stale socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false) // as a killed process leaves it
			ln.Close()
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("stale socket not left behind: %v", err)
			}
		}, ""},
		{"live socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, "another process is serving"},
		{"regular file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SocketName)
			tt.prepare(t, path)
			ln, err := Listen(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Listen error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
				t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
			}
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Fatalf("dialing the new socket: %v", err)
			}
			c.Close()
		})
	}
}

func TestClientNotRunning(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
	}{
		{"no socket file", func(*testing.T, string) {}},
		{"stale socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			ln.(*net.UnixListener).SetUnlinkOnClose(false)
			ln.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SocketName)
			tt.prepare(t, path)
			c := NewClient(path)
			defer c.Close()
			_, err := c.ListUsers(context.Background())
			if !errors.Is(err, ErrNotRunning) {
				t.Errorf("err = %v, want ErrNotRunning", err)
			}
		})
	}
}
