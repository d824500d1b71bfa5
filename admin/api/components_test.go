package api

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
	"xmppbox/server/component/componenttest"
)

// connectedLinks reports the domains it holds as connected; disconnecting takes one out.
type connectedLinks struct{ domains []string }

func (l *connectedLinks) ComponentConnected(d string) bool { return slices.Contains(l.domains, d) }
func (l *connectedLinks) DisconnectComponent(d string) bool {
	i := slices.Index(l.domains, d)
	if i < 0 {
		return false
	}
	l.domains = slices.Delete(l.domains, i, i+1)
	return true
}

func TestComponents(t *testing.T) {
	var logBuf lockedBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	secrets := componenttest.NewMemSecrets()
	links := &connectedLinks{domains: []string{"irc.example.org"}}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Components: secrets,
		ComponentLinks: links, MUCDomain: "conference.example.org", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(serveBackend(t, svc, log))
	defer c.Close()
	ctx := t.Context()
	const secret = "very-secret-0123456789"

	steps := []struct {
		name     string
		run      func() (string, error)
		want     string
		wantCode int // HTTP status of the expected error
		wantErr  error
	}{
		{"add", func() (string, error) { return c.AddComponent(ctx, "IRC.example.org", secret) }, "irc.example.org", 0, nil},
		{"add gw", func() (string, error) { return c.AddComponent(ctx, "gw.example.org", secret) }, "gw.example.org", 0, nil},
		{"add again", func() (string, error) { return c.AddComponent(ctx, "irc.example.org", secret) }, "", http.StatusConflict, fs.ErrExist},
		{"add MUC domain", func() (string, error) { return c.AddComponent(ctx, "conference.example.org", secret) }, "", http.StatusBadRequest, admin.ErrInvalid},
		{"add short secret", func() (string, error) { return c.AddComponent(ctx, "x.example.org", "short") }, "", http.StatusBadRequest, admin.ErrInvalid},
		{"delete gw", func() (string, error) { return c.DeleteComponent(ctx, "gw.example.org") }, "gw.example.org", 0, nil},
		{"delete gw again", func() (string, error) { return c.DeleteComponent(ctx, "gw.example.org") }, "", http.StatusNotFound, fs.ErrNotExist},
	}
	for _, s := range steps {
		got, err := s.run()
		if s.wantErr != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.StatusCode != s.wantCode || !errors.Is(err, s.wantErr) {
				t.Fatalf("%s: err = %v, want a %d *api.Error matching %v", s.name, err, s.wantCode, s.wantErr)
			}
			continue
		}
		if err != nil || got != s.want {
			t.Fatalf("%s = %q, %v; want %q", s.name, got, err, s.want)
		}
	}
	l, err := c.ListComponents(ctx)
	if want := []admin.Component{{Domain: "irc.example.org", Connected: true}}; err != nil || !slices.Equal(l, want) {
		t.Errorf("ListComponents = %v, %v; want %v", l, err, want)
	}
	if _, err := c.DeleteComponent(ctx, "irc.example.org"); err != nil || len(links.domains) != 0 {
		t.Errorf("deleting a connected component: %v; still connected: %v", err, links.domains)
	}
	if l, err := c.ListComponents(ctx); err != nil || l == nil || len(l) != 0 {
		t.Errorf("ListComponents after deleting all = %v (nil %v), %v; want an empty list", l, l == nil, err)
	}
	if strings.Contains(logBuf.String(), secret) {
		t.Errorf("the secret reached the log:\n%s", logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "path=/api/v0/components/irc.example.org") {
		t.Errorf("the delete request was not logged:\n%s", logBuf.String())
	}
}
