package admin

import (
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"xmppbox/admin/admintest"
	"xmppbox/server/component/componenttest"
)

var _ ComponentStore = (*componenttest.MemSecrets)(nil)

// fakeLinks stands in for the running server's component listener.
type fakeLinks struct {
	mu           sync.Mutex
	connected    map[string]bool // guarded by mu
	disconnected []string        // guarded by mu
}

func (f *fakeLinks) ComponentConnected(d string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected[d]
}

func (f *fakeLinks) DisconnectComponent(d string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disconnected = append(f.disconnected, d)
	was := f.connected[d]
	delete(f.connected, d)
	return was
}

func newComponentService(t *testing.T, links ComponentLinks) (*Service, *componenttest.MemSecrets) {
	t.Helper()
	store := componenttest.NewMemSecrets()
	s, err := New(Config{Domain: "Example.ORG", Accounts: admintest.NewMemStore(), Components: store, ComponentLinks: links,
		MUCDomain: "Conference.Example.org", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}

const goodSecret = "0123456789abcdef" // MinComponentSecretBytes long

func TestAddComponent(t *testing.T) {
	tests := []struct {
		name, domain, secret string
		want                 string // normalised domain; "" when an error is expected
		wantErr              string
	}{
		{name: "subdomain", domain: "irc.example.org", secret: goodSecret, want: "irc.example.org"},
		{name: "normalised", domain: "GW.Example.ORG.", secret: goodSecret, want: "gw.example.org"},
		{name: "other domain", domain: "gw.elsewhere.test", secret: goodSecret, want: "gw.elsewhere.test"},
		{name: "empty", domain: "", secret: goodSecret, wantErr: "it is empty"},
		{name: "own domain", domain: "example.org", secret: goodSecret, wantErr: "this server's own domain"},
		{name: "MUC domain", domain: "conference.example.org", secret: goodSecret, wantErr: "chat room service"},
		{name: "no dot", domain: "gateway", secret: goodSecret, wantErr: "with a dot"},
		{name: "address", domain: "127.0.0.1", secret: goodSecret, wantErr: "not an address"},
		{name: "IPv6", domain: "[::1]", secret: goodSecret, wantErr: "not an address"},
		{name: "user", domain: "bot@gw.example.org", secret: goodSecret, wantErr: "without user@"},
		{name: "resource", domain: "gw.example.org/x", secret: goodSecret, wantErr: "without user@ or /resource"},
		{name: "no secret", domain: "gw.example.org", secret: "", wantErr: "give at least 16"},
		{name: "short secret", domain: "gw.example.org", secret: goodSecret[1:], wantErr: "it has 15 bytes"},
		{name: "control character", domain: "gw.example.org", secret: goodSecret + "\n", wantErr: "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store := newComponentService(t, nil)
			got, err := s.AddComponent(AsOperator(t.Context()), tt.domain, tt.secret)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AddComponent(%q) err = %v, want ErrInvalid with %q", tt.domain, err, tt.wantErr)
				}
				if l, _ := store.ListComponents(t.Context()); len(l) != 0 {
					t.Errorf("a refused component was stored: %v", l)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AddComponent(%q) = %q, %v; want %q", tt.domain, got, err, tt.want)
			}
			if sec, err := store.ComponentSecret(t.Context(), tt.want); err != nil || sec != tt.secret {
				t.Errorf("stored secret = %q, %v", sec, err)
			}
			if _, err := s.AddComponent(AsOperator(t.Context()), tt.domain, goodSecret+"x"); !errors.Is(err, ErrComponentExists) || !errors.Is(err, fs.ErrExist) {
				t.Errorf("adding it again: err = %v, want ErrComponentExists", err)
			}
		})
	}
}

func TestComponentLifecycle(t *testing.T) {
	links := &fakeLinks{connected: map[string]bool{"irc.example.org": true}}
	s, store := newComponentService(t, links)
	op := AsOperator(t.Context())
	for _, d := range []string{"irc.example.org", "gw.example.org"} {
		if _, err := s.AddComponent(op, d, goodSecret); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.ListComponents(op)
	want := []Component{{"gw.example.org", false}, {"irc.example.org", true}}
	if err != nil || !slices.Equal(l, want) {
		t.Errorf("ListComponents = %v, %v; want %v", l, err, want)
	}
	d, err := s.DeleteComponent(op, "IRC.example.org")
	if err != nil || d != "irc.example.org" {
		t.Fatalf("DeleteComponent = %q, %v", d, err)
	}
	if !slices.Equal(links.disconnected, []string{"irc.example.org"}) {
		t.Errorf("disconnected %v, want the deleted component", links.disconnected)
	}
	if _, err := store.ComponentSecret(t.Context(), "irc.example.org"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("secret after delete: %v", err)
	}
	if _, err := s.DeleteComponent(op, "irc.example.org"); !errors.Is(err, ErrNoComponent) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second delete: err = %v, want ErrNoComponent", err)
	}
	if _, err := s.DeleteComponent(op, "a@b/c"); !errors.Is(err, ErrInvalid) {
		t.Errorf("delete of a full JID: err = %v, want ErrInvalid", err)
	}

	// Without a running server nothing is connected, and deleting disconnects nothing.
	offline, _ := newComponentService(t, nil)
	if _, err := offline.AddComponent(op, "gw.example.org", goodSecret); err != nil {
		t.Fatal(err)
	}
	if l, err := offline.ListComponents(op); err != nil || !slices.Equal(l, []Component{{"gw.example.org", false}}) {
		t.Errorf("offline ListComponents = %v, %v", l, err)
	}
	if _, err := offline.DeleteComponent(op, "gw.example.org"); err != nil {
		t.Errorf("offline DeleteComponent: %v", err)
	}

	noStore, _ := newService(t, nil)
	if _, err := noStore.AddComponent(op, "gw.example.org", goodSecret); err == nil {
		t.Error("AddComponent without a component store succeeded")
	}
}

func TestComponentsNeedAdmin(t *testing.T) {
	f := newWebFixture(t)
	f.s.components = componenttest.NewMemSecrets()
	for _, who := range []string{aliceJID, goneJID} {
		ctx := AsUser(t.Context(), who)
		if _, err := f.s.AddComponent(ctx, "gw.example.org", goodSecret); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: AddComponent err = %v, want ErrForbidden", who, err)
		}
		if _, err := f.s.ListComponents(ctx); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: ListComponents err = %v, want ErrForbidden", who, err)
		}
		if _, err := f.s.DeleteComponent(ctx, "gw.example.org"); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: DeleteComponent err = %v, want ErrForbidden", who, err)
		}
	}
	if _, err := f.s.AddComponent(t.Context(), "gw.example.org", goodSecret); !errors.Is(err, ErrForbidden) {
		t.Errorf("no caller: err = %v, want ErrForbidden", err)
	}
	if _, err := f.s.AddComponent(AsUser(t.Context(), rootJID), "gw.example.org", goodSecret); err != nil {
		t.Errorf("an admin account: %v", err)
	}
}
