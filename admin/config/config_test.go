package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteLoadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  *Config
	}{
		{"defaults", Default("example.org")},
		{"everything", func() *Config {
			c := Default("exämple.org")
			c.LogLevel = "debug"
			c.Listeners.HTTP = ""
			c.Listeners.C2S = "127.0.0.1:15222"
			c.Auth.SCRAMIterations = 10000
			c.Register = Register{Enabled: true, InviteOnly: true, MaxPerIPPerHour: 9}
			c.ACME = &ACME{DirectoryURL: "https://ca.lan/acme/directory", Email: `a"b\c@example.org`, TrustedRootsFile: "/etc/r.pem"}
			c.Limits = Limits{MaxStanzaBytes: 1 << 20, MaxConnections: 5, MaxConnectionsPerIP: 2,
				AuthFailuresPerIP: 3, NegotiationTimeout: 90 * time.Second, MaxOfflineMessages: 7}
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), FileName)
			if err := Write(p, tt.cfg); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			got, err := Load(p, Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			got.origin = nil
			if !reflect.DeepEqual(got, tt.cfg) {
				t.Errorf("Load(Write(c)) =\n%+v\nwant\n%+v", got, tt.cfg)
			}
			if err := Write(p, tt.cfg); err == nil {
				t.Error("Write over an existing file succeeded")
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	const file = `domain = "example.org"
[listeners]
c2s_addr = "10.0.0.1:1000"
s2s_addr = "10.0.0.1:3000"
`
	env := map[string]string{
		"XMPPBOX_C2S_ADDR":       "10.0.0.2:1000",
		"XMPPBOX_C2S_TLS_ADDR":   "10.0.0.2:2000",
		"XMPPBOX_S2S_ADDR":       "10.0.0.2:3000",
		"XMPPBOX_COMPONENT_ADDR": "127.0.0.1:6000",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name      string
		flags     map[string]string
		env       func(string) (string, bool)
		want      Listeners
		wantLevel string
	}{
		{
			name: "file over default",
			want: Listeners{C2S: "10.0.0.1:1000", C2STLS: DefaultC2STLSAddr, S2S: "10.0.0.1:3000",
				HTTPS: DefaultHTTPSAddr, HTTP: DefaultHTTPAddr, Component: DefaultComponentAddr},
			wantLevel: "info",
		},
		{
			name: "env over file and default",
			env:  lookup,
			want: Listeners{C2S: "10.0.0.2:1000", C2STLS: "10.0.0.2:2000", S2S: "10.0.0.2:3000",
				HTTPS: DefaultHTTPSAddr, HTTP: DefaultHTTPAddr, Component: "127.0.0.1:6000"},
			wantLevel: "info",
		},
		{
			name: "flag over env, file and default",
			env:  lookup,
			flags: map[string]string{"c2s-addr": "10.0.0.3:1000", "http-addr": "", "https-addr": "127.0.0.1:0", "log-level": "debug",
				"component-addr": ""},
			want: Listeners{C2S: "10.0.0.3:1000", C2STLS: "10.0.0.2:2000", S2S: "10.0.0.2:3000",
				HTTPS: "127.0.0.1:0", HTTP: ""},
			wantLevel: "debug",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, file), Overrides{Flags: tt.flags, LookupEnv: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if c.Listeners != tt.want {
				t.Errorf("listeners = %+v, want %+v", c.Listeners, tt.want)
			}
			if c.LogLevel != tt.wantLevel {
				t.Errorf("log level = %q, want %q", c.LogLevel, tt.wantLevel)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		flags map[string]string
		env   map[string]string
		want  string // substring of the error; "FILE" stands for the file's path
	}{
		{"syntax", "domain = \"example.org\"\n[listeners]\nc2s_addr = :5222\n", nil, nil, "FILE:3:"},
		{"unknown key", "domain = \"example.org\"\n\n[listeners]\nc2s_adr = \":5222\"\n", nil, nil,
			`FILE:4: unknown setting "listeners.c2s_adr"`},
		{"unknown table", "domain = \"example.org\"\n[listener]\n", nil, nil, `FILE:2: unknown setting "listener"`},
		{"wrong type", "domain = \"example.org\"\n[limits]\nmax_connections = \"many\"\n", nil, nil, "FILE:3:"},
		{"bad address in file", "domain = \"example.org\"\n[listeners]\n\ns2s_addr = \"5269\"\n", nil, nil,
			`FILE:4: listeners.s2s_addr: invalid address "5269"`},
		{"bad port in file", "domain = \"example.org\"\n[listeners]\nhttp_addr = \":http\"\n", nil, nil,
			`FILE:3: listeners.http_addr: invalid address ":http": port must be a number`},
		{"bad address from flag", "domain = \"example.org\"\n", map[string]string{"c2s-addr": "nope"}, nil,
			`--c2s-addr: listeners.c2s_addr: invalid address "nope"`},
		{"bad address from env", "domain = \"example.org\"\n", nil, map[string]string{"XMPPBOX_HTTPS_ADDR": "x:99999"},
			`XMPPBOX_HTTPS_ADDR: listeners.https_addr: invalid address "x:99999"`},
		{"missing domain", "log_level = \"info\"\n", nil, nil, "domain is missing"},
		{"bad domain", "\n\ndomain = \"alice@example.org\"\n", nil, nil, `FILE:3: invalid domain "alice@example.org"`},
		{"bad domain chars", "domain = \"exa mple.org\"\n", nil, nil, `FILE:1: invalid domain`},
		{"bad level", "domain = \"example.org\"\nlog_level = \"loud\"\n", nil, nil, `FILE:2: invalid log level "loud"`},
		{"few iterations", "domain = \"example.org\"\n[auth]\nscram_iterations = 1000\n", nil, nil, "FILE:3: auth.scram_iterations is 1000"},
		{"acme without url", "domain = \"example.org\"\n[acme]\nemail = \"a@b.c\"\n", nil, nil, "FILE:2: [acme] needs directory_url"},
		{"duration without unit", "domain = \"example.org\"\n[limits]\nnegotiation_timeout = 60\n", nil, nil,
			`FILE:3: limits.negotiation_timeout needs a unit`},
		{"bad duration", "domain = \"example.org\"\n[limits]\nnegotiation_timeout = \"1 minute\"\n", nil, nil, "FILE:3:"},
		{"negative limit", "domain = \"example.org\"\n[limits]\nmax_connections = -1\n", nil, nil, "FILE:3: limits.max_connections must not be negative"},
		{"negative registrations", "domain = \"example.org\"\n[register]\nmax_per_ip_per_hour = -1\n", nil, nil,
			"FILE:3: register.max_per_ip_per_hour must not be negative"},
		{"register typo", "domain = \"example.org\"\n[register]\nenable = true\n", nil, nil, `FILE:3: unknown setting "register.enable"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file)
			_, err := Load(p, Overrides{Flags: tt.flags, LookupEnv: func(k string) (string, bool) {
				v, ok := tt.env[k]
				return v, ok
			}})
			want := strings.ReplaceAll(tt.want, "FILE", p)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load error = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestLoadNormalisesDomain(t *testing.T) {
	c, err := Load(writeFile(t, "domain = \"Example.ORG.\"\n"), Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "example.org" {
		t.Errorf("domain = %q, want example.org", c.Domain)
	}
	if c.Auth.SCRAMIterations != DefaultSCRAMIterations {
		t.Errorf("iterations = %d, want the default", c.Auth.SCRAMIterations)
	}
}
