package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"xmppbox/admin/peertest"
	"xmppbox/server/s2s"
)

// TestS2S covers the [s2s] table and the [[peers]] tables: defaults, values, and errors
// pointing at the line of the bad value.
func TestS2S(t *testing.T) {
	base := "domain = \"example.org\"\n" // line 1
	def := defaultS2S()
	tests := []struct {
		name      string
		file      string
		want      S2S
		wantPeers []Peer
		wantErr   string
	}{
		{name: "Absent", file: base, want: def},
		{name: "Defaults", file: base + "[s2s]\nfederation = \"peers\"\npolicy = \"require-valid-cert\"\ndeny = []\nmax_connections = 0\nidle_timeout = \"10m\"\n",
			want: def},
		{name: "Open", file: base + "[s2s]\nfederation = \"open\"\npolicy = \"dialback-ok\"\ndeny = [\"Spam.EXAMPLE\", \"b.example\"]\nmax_connections = 50\nidle_timeout = \"90s\"\n",
			want: S2S{Federation: "open", Policy: "dialback-ok", Deny: []string{"spam.example", "b.example"}, MaxConnections: 50, IdleTimeout: 90 * time.Second}},
		{name: "Peers", file: base + "[[peers]]\ndomain = \"Other.Example\"\naddr = \"10.0.0.2:5269\"\nca_file = \"peers/o.pem\"\npolicy = \"dialback-ok\"\n\n[[peers]]\ndomain = \"dns.example\"\n",
			want: def, wantPeers: []Peer{{Domain: "other.example", Addr: "10.0.0.2:5269", CAFile: "peers/o.pem", Policy: "dialback-ok"}, {Domain: "dns.example"}}},
		{name: "PeersBeforeS2S", file: base + "[[peers]]\ndomain = \"a.example\"\n[s2s]\nfederation = \"open\"\n",
			want: S2S{Federation: "open", Policy: def.Policy, IdleTimeout: def.IdleTimeout}, wantPeers: []Peer{{Domain: "a.example"}}},

		{name: "IdleTimeoutWithoutUnit", file: base + "[s2s]\nidle_timeout = 600\n", wantErr: "xmppbox.toml:3: s2s.idle_timeout needs a unit"},
		{name: "NegativeIdleTimeout", file: base + "[s2s]\nidle_timeout = \"-1m\"\n", wantErr: "xmppbox.toml:3: s2s.idle_timeout must not be negative"},
		{name: "NegativeMaxConnections", file: base + "[s2s]\nmax_connections = -1\n", wantErr: "xmppbox.toml:3: s2s.max_connections must not be negative"},
		{name: "Federation", file: base + "[s2s]\nfederation = \"all\"\n", wantErr: `xmppbox.toml:3: s2s.federation is "all": give "peers" (only the configured peers) or "open"`},
		{name: "EmptyFederation", file: base + "[s2s]\nfederation = \"\"\n", wantErr: `s2s.federation is ""`},
		{name: "Policy", file: base + "[s2s]\n\npolicy = \"none\"\n", wantErr: `xmppbox.toml:4: s2s.policy is "none": give "require-valid-cert" or "dialback-ok"`},
		{name: "Deny", file: base + "[s2s]\ndeny = [\"ok.example\", \"a@b.example\"]\n", wantErr: `xmppbox.toml:3: s2s.deny: invalid domain "a@b.example"`},
		{name: "DenyNotAList", file: base + "[s2s]\ndeny = \"a.example\"\n", wantErr: "xmppbox.toml:3: s2s.deny"},
		{name: "Typo", file: base + "[s2s]\nfederate = \"open\"\n", wantErr: `xmppbox.toml:3: unknown setting "s2s.federate"`},
		{name: "PeerTypo", file: base + "[[peers]]\ndomain = \"a.example\"\ncafile = \"x.pem\"\n", wantErr: `xmppbox.toml:4: unknown setting "peers.cafile"`},
		{name: "PeerWithoutDomain", file: base + "[[peers]]\ndomain = \"a.example\"\n[[peers]]\naddr = \"10.0.0.2:5269\"\n",
			wantErr: "xmppbox.toml:4: [[peers]] domain is missing"},
		{name: "PeerDomain", file: base + "[[peers]]\ndomain = \"a.example\"\n[[peers]]\n# the second\ndomain = \"bob@b.example\"\n",
			wantErr: `xmppbox.toml:6: [[peers]] domain: invalid domain "bob@b.example": give a domain only`},
		{name: "PeersInline", file: base + "peers = [{domain = \"a@b.example\"}]\n", wantErr: `xmppbox.toml:2: [[peers]] domain: invalid domain "a@b.example"`},
		{name: "PeerOwnDomain", file: base + "[[peers]]\ndomain = \"EXAMPLE.org\"\n", wantErr: "xmppbox.toml:3: [[peers]] domain example.org is this server's own domain"},
		{name: "PeerTwice", file: base + "[[peers]]\ndomain = \"a.example\"\n[[peers]]\ndomain = \"A.example\"\n",
			wantErr: "xmppbox.toml:5: [[peers]] domain a.example is listed twice (also at " /* path:2 */},
		{name: "PeerDenied", file: base + "[s2s]\ndeny = [\"a.example\"]\n[[peers]]\ndomain = \"a.example\"\n",
			wantErr: "xmppbox.toml:5: [[peers]] domain a.example is also in s2s.deny"},
		{name: "PeerAddr", file: base + "[[peers]]\ndomain = \"a.example\"\naddr = \"10.0.0.2\"\n", wantErr: `xmppbox.toml:4: [[peers]] a.example addr: address "10.0.0.2": missing port`},
		{name: "PeerAddrPort0", file: base + "[[peers]]\ndomain = \"a.example\"\naddr = \"10.0.0.2:0\"\n", wantErr: "port must be a number from 1 to 65535"},
		{name: "PeerAddrNoHost", file: base + "[[peers]]\ndomain = \"a.example\"\naddr = \":5269\"\n", wantErr: "the host is missing"},
		{name: "PeerPolicy", file: base + "[[peers]]\ndomain = \"a.example\"\npolicy = \"trust\"\n", wantErr: `xmppbox.toml:4: [[peers]] a.example policy is "trust"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file)
			c, err := Load(p, Overrides{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.S2S, tt.want) {
				t.Errorf("S2S = %+v, want %+v", c.S2S, tt.want)
			}
			if !reflect.DeepEqual(c.Peers, tt.wantPeers) {
				t.Errorf("Peers = %+v, want %+v", c.Peers, tt.wantPeers)
			}
		})
	}
}

func TestS2SRoundTrip(t *testing.T) {
	c := Default("example.org")
	c.S2S = S2S{Federation: "open", Policy: "dialback-ok", Deny: []string{"spam.example", "b.example"}, MaxConnections: 20, IdleTimeout: time.Hour}
	c.Peers = []Peer{{Domain: "other.example", Addr: "10.0.0.2:5269", CAFile: "/etc/xmppbox/o\"ther.pem", Policy: "require-valid-cert"}, {Domain: "dns.example"}}
	p := filepath.Join(t.TempDir(), FileName)
	if err := Write(p, c); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.S2S, c.S2S) || !reflect.DeepEqual(got.Peers, c.Peers) {
		t.Errorf("after Write and Load: S2S %+v, Peers %+v; want %+v, %+v", got.S2S, got.Peers, c.S2S, c.Peers)
	}
}

// TestS2STemplate: the file init writes explains the federation default and shows how to
// list a peer; uncommenting the example gives a valid peer.
func TestS2STemplate(t *testing.T) {
	data, err := Marshal(Default("example.org"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		"[s2s]\n", `federation = "peers"`, `policy = "require-valid-cert"`, "deny = []", "max_connections = 0", `idle_timeout = "10m0s"`,
		"no presence\n# or message to a server nobody chose", `"open" federates with any server found through DNS`,
		"# [[peers]]\n", `"xmppbox cert ca" prints`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the file lacks %q", want)
		}
	}
	uncommented := strings.ReplaceAll(doc, "# [[peers]]", "[[peers]]")
	for _, k := range []string{"domain", "addr", "ca_file", "policy"} {
		uncommented = strings.ReplaceAll(uncommented, "\n# "+k+" = ", "\n"+k+" = ")
	}
	c, err := Load(writeFile(t, uncommented), Overrides{})
	if err != nil {
		t.Fatalf("the file with the example peer uncommented: %v", err)
	}
	want := []Peer{{Domain: "other.example", Addr: "10.0.0.2:5269", CAFile: "peers/other-ca.pem", Policy: "dialback-ok"}}
	if !reflect.DeepEqual(c.Peers, want) {
		t.Errorf("example peer = %+v, want %+v", c.Peers, want)
	}
}

func TestPeerConfigs(t *testing.T) {
	dataDir := t.TempDir()
	ca := peertest.CAPEM(t, "other CA")
	if err := os.MkdirAll(filepath.Join(dataDir, "peers"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "peers", "o.pem"), []byte(ca), 0o600); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(t.TempDir(), "abs.pem")
	if err := os.WriteFile(abs, []byte(ca), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "domain = \"example.org\"\n"
	tests := []struct {
		name    string
		file    string
		want    []s2s.PeerConfig
		wantErr string
	}{
		{"None", base, nil, ""},
		{"Relative", base + "[[peers]]\ndomain = \"Other.Example\"\naddr = \"10.0.0.2:5269\"\nca_file = \"peers/o.pem\"\npolicy = \"dialback-ok\"\n",
			[]s2s.PeerConfig{{Domain: "other.example", Addr: "10.0.0.2:5269", CAPEM: ca, Policy: s2s.DialbackOK}}, ""},
		{"Absolute", base + "[[peers]]\ndomain = \"a.example\"\nca_file = \"" + abs + "\"\n[[peers]]\ndomain = \"dns.example\"\n",
			[]s2s.PeerConfig{{Domain: "a.example", CAPEM: ca}, {Domain: "dns.example"}}, ""},
		{"Missing", base + "[[peers]]\ndomain = \"a.example\"\nca_file = \"peers/nope.pem\"\n", nil,
			"xmppbox.toml:4: [[peers]] a.example ca_file " + filepath.Join(dataDir, "peers", "nope.pem") + ": no such file or directory"},
		{"NotPEM", base + "[[peers]]\ndomain = \"a.example\"\n\nca_file = \"" + notPEM + "\"\n", nil,
			"xmppbox.toml:5: [[peers]] a.example ca_file " + notPEM + ": no PEM certificate in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tt.file), Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.PeerConfigs(dataDir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PeerConfigs: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PeerConfigs = %+v, %v; want %+v", got, err, tt.want)
			}
			for _, pc := range got {
				if _, err := pc.Peer(); err != nil {
					t.Errorf("the s2s package refuses %s: %v", pc.Domain, err)
				}
			}
		})
	}
}
