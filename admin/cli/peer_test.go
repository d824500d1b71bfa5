package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/peertest"
	"xmppbox/embeddb"
	"xmppbox/server/s2s"
)

// servePeerAPI runs an admin API on dir's socket, backed by a Service on dir's store with
// fed standing for the running server's links, until the test ends.
func servePeerAPI(t *testing.T, dir string, fed admin.Federation) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: db.Accounts(), Peers: db.Peers(), Federation: fed, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := api.Listen(filepath.Join(dir, api.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.NewServer(svc, log).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		db.Close()
	})
}

// storedPeers opens the store of dir (no server may hold it) and lists its peers.
func storedPeers(t *testing.T, dir string) []s2s.PeerConfig {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.Peers().ListPeers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPeerCommands(t *testing.T) {
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	fed := peertest.Federation{
		{Local: "example.org", Remote: "other.example", Incoming: true, TLSVersion: "TLS 1.3", Auth: "dialback", Since: time.Now()},
		{Local: "example.org", Remote: "other.example", TLSVersion: "TLS 1.3", Auth: "sasl-external", CertExpiry: expiry, Since: time.Now()},
		{Remote: "open.example", LastError: "dial tcp 10.9.9.9:5269: connection refused"},
	}
	modes := []struct {
		name    string
		start   func(t *testing.T, dir string)
		online  bool
		wantAll string // peer list after the adds
	}{
		{"offline", func(*testing.T, string) {}, false,
			"DOMAIN         ADDR           CA      POLICY\n" +
				"dns.example    dns            system  default\n" +
				"other.example  10.0.0.2:5269  pinned  dialback-ok\n"},
		{"through api", func(t *testing.T, dir string) { servePeerAPI(t, dir, fed) }, true,
			"DOMAIN         ADDR           CA      POLICY\n" +
				"dns.example    dns            system  default\n" +
				"open.example   dns            system  default\n" +
				"  out  -        -              -                                  last error: dial tcp 10.9.9.9:5269: connection refused\n" +
				"other.example  10.0.0.2:5269  pinned  dialback-ok\n" +
				"  out  TLS 1.3  sasl-external  cert expires 2030-01-02T03:04:05Z\n" +
				"  in   TLS 1.3  dialback       -\n"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir, _ := initDir(t)
			// The CA to pin is the one "xmppbox cert ca" prints, as the help says.
			ca := mustRun(t, "", "cert", "ca", "--data", dir).stdout
			caFile := writeTemp(t, "other-ca.pem", ca)
			m.start(t, dir)

			if !m.online {
				r := mustRun(t, "", "peer", "list", "--data", dir)
				if r.stdout != "" || r.stderr != "no peers\n" {
					t.Errorf("empty list: stdout %q, stderr %q", r.stdout, r.stderr)
				}
				if r = mustRun(t, "", "peer", "list", "--json", "--data", dir); r.stdout != "{\n  \"peers\": []\n}\n" {
					t.Errorf("empty list --json: %q", r.stdout)
				}
			}

			adds := []struct {
				name    string
				stdin   string
				args    []string
				want    string // stdout
				wantErr string
			}{
				{name: "pinned", args: []string{"Other.EXAMPLE", "--addr", "10.0.0.2:5269", "--ca", caFile, "--policy", "dialback-ok"},
					want: "other.example: added\n"},
				{name: "again", args: []string{"other.example", "--addr", "10.0.0.2:5269", "--ca", caFile, "--policy", "dialback-ok"},
					want: "other.example: updated\n"},
				{name: "dns, CA from stdin", stdin: ca, args: []string{"dns.example", "--ca", "-"}, want: "dns.example: added\n"},
				{name: "dns without CA", args: []string{"dns.example"}, want: "dns.example: updated\n"},
				{name: "unreadable CA", args: []string{"x.example", "--ca", filepath.Join(dir, "nope.pem")}, wantErr: "--ca " + filepath.Join(dir, "nope.pem") + ": cannot read it"},
				{name: "CA not PEM", args: []string{"x.example", "--ca", writeTemp(t, "x.pem", "hello")}, wantErr: `no PEM certificate in it; give the file that "xmppbox cert ca" printed`},
				{name: "bad policy", args: []string{"x.example", "--policy", "lax"}, wantErr: `--policy "lax": give require-valid-cert or dialback-ok`},
				{name: "own domain", args: []string{"example.org"}, wantErr: "it is this server's own domain"},
				{name: "bad addr", args: []string{"x.example", "--addr", "10.0.0.2"}, wantErr: "missing port"},
				{name: "a JID", args: []string{"bob@x.example"}, wantErr: "without user@"},
				{name: "no domain", args: []string{}, wantErr: "accepts 1 arg"},
			}
			for _, a := range adds {
				r := run(t, a.stdin, nil, append(append([]string{"peer", "add"}, a.args...), "--data", dir)...)
				if a.wantErr != "" {
					if r.err == nil || !strings.Contains(r.err.Error(), a.wantErr) {
						t.Errorf("add %s: err = %v, want one containing %q", a.name, r.err, a.wantErr)
					}
					continue
				}
				if r.err != nil || r.stdout != a.want {
					t.Errorf("add %s: stdout %q, err %v; want %q", a.name, r.stdout, r.err, a.want)
				}
			}

			if r := mustRun(t, "", "peer", "list", "--data", dir); r.stdout != m.wantAll {
				t.Errorf("list:\n%s\nwant\n%s", r.stdout, m.wantAll)
			}
			r := mustRun(t, "", "peer", "list", "--json", "--data", dir)
			var l apitype.PeerList
			if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
				t.Fatalf("list --json: %v\n%s", err, r.stdout)
			}
			other := l.Peers[len(l.Peers)-1]
			if other.Domain != "other.example" || other.Addr != "10.0.0.2:5269" || !other.HasCA || other.CAPEM != ca ||
				other.Policy != "dialback-ok" || !other.Configured || other.Links == nil {
				t.Errorf("list --json: other.example is %+v", other)
			}
			if m.online && (len(other.Links) != 2 || other.Links[0].Direction != "out" || !other.Links[0].CertExpiry.Equal(expiry)) {
				t.Errorf("list --json: other.example's links are %+v", other.Links)
			}

			if r := mustRun(t, "", "peer", "del", "DNS.example", "--data", dir); r.stdout != "dns.example: deleted\n" {
				t.Errorf("del: %q", r.stdout)
			}
			r = run(t, "", nil, "peer", "rm", "dns.example", "--data", dir)
			if r.err == nil || !errors.Is(r.err, fs.ErrNotExist) || !strings.HasPrefix(r.err.Error(), "dns.example: no such peer; \"xmppbox peer list\"") {
				t.Errorf("del again: %v", r.err)
			}
		})
	}
}

// TestPeerAddStored: what "peer add" stores offline is what the server reads when it starts.
func TestPeerAddStored(t *testing.T) {
	dir, _ := initDir(t)
	ca := peertest.CAPEM(t, "other CA")
	mustRun(t, "", "peer", "add", "other.example", "--addr", "[fd00::2]:5269", "--ca", writeTemp(t, "ca.pem", ca), "--data", dir)
	want := []s2s.PeerConfig{{Domain: "other.example", Addr: "[fd00::2]:5269", CAPEM: ca}}
	if got := storedPeers(t, dir); len(got) != 1 || got[0] != want[0] {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	p, ok := s2s.StoredPeers{Store: openPeers(t, dir)}.Peer("other.example")
	if !ok || p.Roots == nil || p.Addr != "[fd00::2]:5269" {
		t.Errorf("the server would see %+v, %v; want the peer with its CA as roots", p, ok)
	}
}

func openPeers(t *testing.T, dir string) *embeddb.Peers {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Peers()
}
