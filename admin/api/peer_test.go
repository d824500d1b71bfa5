package api

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/admintest"
	"xmppbox/admin/apitype"
	"xmppbox/admin/peertest"
	"xmppbox/server/s2s"
)

func TestPeers(t *testing.T) {
	var logBuf lockedBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fed := peertest.Federation{
		{Local: "example.org", Remote: "other.example", TLSVersion: "TLS 1.3", Auth: "sasl-external", CertExpiry: expiry, Since: since},
		{Local: "example.org", Remote: "other.example", Incoming: true, TLSVersion: "TLS 1.3", Auth: "dialback", Since: since},
		{Remote: "open.example", LastError: "no route to host"},
	}
	store := peertest.NewMemPeers()
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: admintest.NewMemStore(), Peers: store, Federation: fed, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sock := serveBackend(t, svc, log)
	c := NewClient(sock)
	defer c.Close()
	ctx := t.Context()
	ca := peertest.CAPEM(t, "other CA")

	add := []struct {
		name       string
		in         s2s.PeerConfig
		want       s2s.PeerConfig
		wantStatus int
		wantErr    string
	}{
		{name: "pinned", in: s2s.PeerConfig{Domain: "Other.Example", Addr: "10.0.0.2:5269", CAPEM: ca, Policy: s2s.DialbackOK},
			want: s2s.PeerConfig{Domain: "other.example", Addr: "10.0.0.2:5269", CAPEM: ca, Policy: s2s.DialbackOK}},
		{name: "dns", in: s2s.PeerConfig{Domain: "dns.example"}, want: s2s.PeerConfig{Domain: "dns.example"}},
		{name: "own domain", in: s2s.PeerConfig{Domain: "example.org"}, wantStatus: http.StatusBadRequest, wantErr: "own domain"},
		{name: "bad addr", in: s2s.PeerConfig{Domain: "x.example", Addr: "x.example"}, wantStatus: http.StatusBadRequest, wantErr: "missing port"},
		{name: "bad policy", in: s2s.PeerConfig{Domain: "x.example", Policy: "yes"}, wantStatus: http.StatusBadRequest, wantErr: "unknown policy"},
		{name: "bad CA", in: s2s.PeerConfig{Domain: "x.example", CAPEM: "not pem"}, wantStatus: http.StatusBadRequest, wantErr: "no PEM certificate"},
	}
	for _, tt := range add {
		t.Run("add "+tt.name, func(t *testing.T) {
			got, err := c.AddPeer(ctx, tt.in)
			if tt.wantErr != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus || !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a %d containing %q", err, tt.wantStatus, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AddPeer = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}

	got, err := c.ListPeers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.PeerStatus{
		{PeerConfig: s2s.PeerConfig{Domain: "dns.example"}, Configured: true},
		{PeerConfig: s2s.PeerConfig{Domain: "open.example"}, Links: []s2s.LinkInfo{fed[2]}},
		{PeerConfig: add[0].want, Configured: true, Links: []s2s.LinkInfo{fed[0], fed[1]}},
	}
	if !slices.EqualFunc(got, want, func(a, b admin.PeerStatus) bool {
		return a.PeerConfig == b.PeerConfig && a.Configured == b.Configured && slices.EqualFunc(a.Links, b.Links, func(x, y s2s.LinkInfo) bool {
			return x.Local == y.Local && x.Remote == y.Remote && x.Incoming == y.Incoming && x.TLSVersion == y.TLSVersion &&
				x.Auth == y.Auth && x.CertExpiry.Equal(y.CertExpiry) && x.Since.Equal(y.Since) && x.LastError == y.LastError
		})
	}) {
		t.Errorf("ListPeers =\n%+v\nwant\n%+v", got, want)
	}

	// The wire shape, as scripts see it.
	hc := rawClient(sock)
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("http://x/api/v0/peers")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var raw struct {
		Peers []map[string]any `json:"peers"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Peers) != 3 {
		t.Fatalf("GET /api/v0/peers: %s (%v)", body, err)
	}
	dns, other := raw.Peers[0], raw.Peers[2]
	if dns["domain"] != "dns.example" || dns["addr"] != "" || dns["policy"] != "" || dns["has_ca"] != false || dns["configured"] != true ||
		dns["links"] == nil || len(dns["links"].([]any)) != 0 {
		t.Errorf("a peer without links: %v", dns)
	}
	if other["domain"] != "other.example" || other["addr"] != "10.0.0.2:5269" || other["policy"] != "dialback-ok" ||
		other["has_ca"] != true || other["ca_pem"] != ca {
		t.Errorf("a pinned peer: %v", other)
	}
	links, _ := other["links"].([]any)
	wantLinks := []string{
		`{"auth":"sasl-external","cert_expiry":"2030-01-02T03:04:05Z","direction":"out","local":"example.org","remote":"other.example","since":"2026-01-02T03:04:05Z","tls":"TLS 1.3"}`,
		`{"auth":"dialback","direction":"in","local":"example.org","remote":"other.example","since":"2026-01-02T03:04:05Z","tls":"TLS 1.3"}`,
	}
	if len(links) != len(wantLinks) {
		t.Fatalf("links %v, want %d", links, len(wantLinks))
	}
	for i, l := range links {
		if b, _ := json.Marshal(l); string(b) != wantLinks[i] {
			t.Errorf("link %d = %s, want %s", i, b, wantLinks[i])
		}
	}
	if raw.Peers[1]["configured"] != false {
		t.Errorf("a domain with links only: %v, want configured false", raw.Peers[1])
	}
	if l, _ := json.Marshal(raw.Peers[1]["links"]); string(l) != `[{"direction":"out","last_error":"no route to host","remote":"open.example"}]` {
		t.Errorf("a failure: %s", l)
	}

	// Delete answers 204, then 404.
	for _, step := range []struct {
		domain string
		want   int
	}{{"OTHER.example", http.StatusNoContent}, {"other.example", http.StatusNotFound}, {"a@b", http.StatusBadRequest}} {
		req, _ := http.NewRequest(http.MethodDelete, "http://x/api/v0/peers/"+step.domain, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != step.want {
			t.Errorf("DELETE %s: %s, want %d", step.domain, resp.Status, step.want)
		}
	}
	if err := c.DeletePeer(ctx, "dns.example"); err != nil {
		t.Errorf("DeletePeer: %v", err)
	}
	var ae *Error
	if err := c.DeletePeer(ctx, "dns.example"); !errors.As(err, &ae) || !errors.Is(err, fs.ErrNotExist) || err.Error() != "dns.example: no such peer" {
		t.Errorf("DeletePeer of a deleted peer: %v, want a 404 *Error", err)
	}
	if l, err := store.ListPeers(ctx); err != nil || len(l) != 0 {
		t.Errorf("store after deleting both: %+v, %v", l, err)
	}
	for _, w := range []string{`msg="peer added" domain=other.example`, `msg="peer deleted" domain=other.example`} {
		if !strings.Contains(logBuf.String(), w) {
			t.Errorf("the log lacks %q", w)
		}
	}

	// Once deleted, a peer with links is listed as a domain with links and no configuration.
	resp, err = hc.Get("http://x/api/v0/peers")
	if err != nil {
		t.Fatal(err)
	}
	var l apitype.PeerList
	err = json.NewDecoder(resp.Body).Decode(&l)
	resp.Body.Close()
	if err != nil || len(l.Peers) != 2 || l.Peers[1].Domain != "other.example" || l.Peers[1].Configured || len(l.Peers[1].Links) != 2 {
		t.Errorf("list after deleting: %+v, %v; want open.example and other.example, unconfigured, with their links", l, err)
	}
}
