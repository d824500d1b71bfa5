package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
	"xmppbox/admin/config"
	"xmppbox/embeddb"
	"xmppbox/server/sasl"
)

// result is what one command run produced.
type result struct {
	stdout, stderr string
	err            error
}

// run executes one command line on a fresh root. The environment holds only what the
// test gives; the host name is "Box.LAN".
func run(t *testing.T, stdin string, environ []string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := newEnv(environ, func() (string, error) { return "Box.LAN", nil })
	root := newRoot(e, strings.NewReader(stdin), &out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return result{out.String(), errOut.String(), err}
}

// mustRun is run that fails the test on an error.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := run(t, stdin, nil, args...)
	if r.err != nil {
		t.Fatalf("xmppbox %s: %v\nstderr:\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

// initDir sets up a data dir for example.org and returns it with the admin password.
func initDir(t *testing.T) (dir, password string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	r := mustRun(t, "", "init", "--yes", "--domain", "example.org", "--data", dir)
	return dir, field(t, r.stdout, "admin password")
}

// field returns the value of a "key: value" line.
func field(t *testing.T, out, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `: *(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", key, out)
	}
	return m[1]
}

// accounts opens the store of dir and returns its accounts with their credentials.
func accounts(t *testing.T, dir string) map[string]sasl.Credentials {
	t.Helper()
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	list, err := db.Accounts().ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]sasl.Credentials)
	for _, j := range list {
		if m[j], err = db.Accounts().Credentials(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestInit(t *testing.T) {
	tests := []struct {
		name      string
		stdin     string
		args      []string
		wantJID   string
		wantPass  string // "" means generated
		wantNoDNS bool
	}{
		{name: "yes", args: []string{"--yes", "--domain", "Example.ORG"}, wantJID: "admin@example.org"},
		{name: "host name as domain", args: []string{"--yes"}, wantJID: "admin@box.lan"},
		{name: "stdin not a terminal", args: []string{"--domain", "example.org", "--admin", "Boss"}, wantJID: "boss@example.org"},
		{name: "password stdin", stdin: "s3cret pass\n", args: []string{"--domain", "example.org", "--password-stdin"},
			wantJID: "admin@example.org", wantPass: "s3cret pass"},
		{name: "localhost", args: []string{"--yes", "--domain", "localhost"}, wantJID: "admin@localhost", wantNoDNS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a", "data")
			r := run(t, tt.stdin, nil, append([]string{"init", "--data", dir}, tt.args...)...)
			if r.err != nil {
				t.Fatalf("init: %v\n%s", r.err, r.stderr)
			}
			if got := field(t, r.stdout, "admin jid"); got != tt.wantJID {
				t.Errorf("admin jid %q, want %q", got, tt.wantJID)
			}
			pw := tt.wantPass
			if pw == "" {
				pw = field(t, r.stdout, "admin password")
				if len(pw) != admin.PasswordLength {
					t.Errorf("generated password %q", pw)
				}
			} else if strings.Contains(r.stdout, "admin password") {
				t.Errorf("a password given on stdin is printed:\n%s", r.stdout)
			}

			for path, want := range map[string]fs.FileMode{
				dir:                                 0o700,
				filepath.Join(dir, config.FileName): 0o600,
				filepath.Join(dir, "ca.key"):        0o600,
				filepath.Join(dir, "ca.crt"):        0o644,
				filepath.Join(dir, storeDirName):    0o700,
				filepath.Join(dir, "..", "..", "a"): 0o755,
			} {
				if got := mode(t, path); got != want {
					t.Errorf("%s: mode %v, want %v", path, got, want)
				}
			}
			cfg, err := config.Load(filepath.Join(dir, config.FileName), config.Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.SplitN(tt.wantJID, "@", 2)[1]; cfg.Domain != want {
				t.Errorf("config domain %q, want %q", cfg.Domain, want)
			}

			accts := accounts(t, dir)
			if len(accts) != 1 {
				t.Fatalf("accounts %v, want only %s", accts, tt.wantJID)
			}
			if c, ok := accts[tt.wantJID]; !ok || !c.VerifyPassword(pw) {
				t.Errorf("account %s missing or its password is not %q", tt.wantJID, pw)
			}

			certPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := pem.Decode(certPEM)
			if got, want := field(t, r.stdout, "CA SHA-256"), fingerprint(b.Bytes); got != want {
				t.Errorf("printed fingerprint %s, want %s", got, want)
			}
			for _, port := range []string{"5222", "5223", "5269", "5281", "5280"} {
				if !regexp.MustCompile(`(?m)^  ` + port + ` `).MatchString(r.stdout) {
					t.Errorf("port %s not listed:\n%s", port, r.stdout)
				}
			}
			srv := []string{
				"_xmpp-client._tcp.example.org. 3600 IN SRV 0 5 5222 example.org.",
				"_xmpps-client._tcp.example.org. 3600 IN SRV 0 5 5223 example.org.",
				"_xmpp-server._tcp.example.org. 3600 IN SRV 0 5 5269 example.org.",
			}
			for _, rec := range srv {
				d := strings.SplitN(tt.wantJID, "@", 2)[1]
				rec = strings.ReplaceAll(rec, "example.org", d)
				if got := strings.Contains(r.stdout, rec); got == tt.wantNoDNS {
					t.Errorf("SRV record %q printed: %v, want %v:\n%s", rec, got, !tt.wantNoDNS, r.stdout)
				}
			}
		})
	}
}

func TestInitExistingDir(t *testing.T) {
	t.Run("refused without force", func(t *testing.T) {
		dir, _ := initDir(t)
		before, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
		r := run(t, "", nil, "init", "--yes", "--domain", "other.org", "--data", dir)
		want := "data dir " + dir + " already holds an xmppbox setup; use --force to overwrite it"
		if r.err == nil || r.err.Error() != want {
			t.Fatalf("err = %v, want %q", r.err, want)
		}
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks the error", r.stderr)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
		if !bytes.Equal(before, after) {
			t.Error("the CA changed")
		}
	})
	t.Run("force replaces", func(t *testing.T) {
		dir, _ := initDir(t)
		mustRun(t, "", "user", "add", "alice", "--data", dir)
		before, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
		r := mustRun(t, "", "init", "--yes", "--force", "--domain", "other.org", "--data", dir)
		if got := field(t, r.stdout, "admin jid"); got != "admin@other.org" {
			t.Errorf("admin jid %q", got)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
		if bytes.Equal(before, after) {
			t.Error("the CA was not replaced")
		}
		if got := slices.Sorted(mapsKeys(accounts(t, dir))); !slices.Equal(got, []string{"admin@other.org"}) {
			t.Errorf("accounts %v, want only the new admin", got)
		}
	})
	t.Run("force refused while the store is in use", func(t *testing.T) {
		dir, _ := initDir(t)
		db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r := run(t, "", nil, "init", "--yes", "--force", "--domain", "other.org", "--data", dir)
		if r.err == nil || !strings.Contains(r.err.Error(), "another xmppbox is already using") {
			t.Fatalf("err = %v", r.err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ca.key")); err != nil {
			t.Errorf("setup damaged: %v", err)
		}
	})
	t.Run("empty dir is used", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "", "init", "--yes", "--domain", "example.org", "--data", dir)
		if got := mode(t, dir); got != 0o700 {
			t.Errorf("mode %v, want 0700", got)
		}
	})
	for _, force := range []bool{false, true} {
		name := "foreign files refused"
		args := []string{"init", "--yes", "--domain", "example.org"}
		if force {
			name += " with force"
			args = append(args, "--force")
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			precious := filepath.Join(dir, "thesis.tex")
			if err := os.WriteFile(precious, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := run(t, "", nil, append(args, "--data", dir)...)
			if r.err == nil || !strings.Contains(r.err.Error(), "thesis.tex") {
				t.Fatalf("err = %v, want a refusal naming thesis.tex", r.err)
			}
			if _, err := os.Stat(precious); err != nil {
				t.Errorf("foreign file touched: %v", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("dir has %d entries, want only the foreign file", len(entries))
			}
		})
	}
	t.Run("invalid domain leaves nothing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		r := run(t, "", nil, "init", "--yes", "--domain", "exa mple.org", "--data", dir)
		if r.err == nil || !strings.Contains(r.err.Error(), "invalid domain") {
			t.Fatalf("err = %v", r.err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("data dir created: %v", err)
		}
	})
	t.Run("empty password on stdin", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		r := run(t, "\n", nil, "init", "--domain", "example.org", "--password-stdin", "--data", dir)
		if r.err == nil || !strings.Contains(r.err.Error(), "empty") {
			t.Fatalf("err = %v", r.err)
		}
	})
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestPrompt(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		o          setupOptions
		adminGiven bool
		want       setupOptions
	}{
		{"defaults", "\n\n", setupOptions{admin: "admin"}, false, setupOptions{domain: "box.lan", admin: "admin"}},
		{"answers", "chat.example.org\nroot\n", setupOptions{admin: "admin"}, false,
			setupOptions{domain: "chat.example.org", admin: "root"}},
		{"retry invalid domain", "bad domain\nok.example\n\n", setupOptions{admin: "admin"}, false,
			setupOptions{domain: "ok.example", admin: "admin"}},
		{"flags not asked", "", setupOptions{domain: "given.org", admin: "boss"}, true,
			setupOptions{domain: "given.org", admin: "boss"}},
		{"end of input", "", setupOptions{admin: "admin"}, false, setupOptions{domain: "box.lan", admin: "admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(nil, func() (string, error) { return "Box.LAN", nil })
			var errOut bytes.Buffer
			cmd := newInitCmd(e)
			cmd.SetIn(strings.NewReader(tt.stdin))
			cmd.SetErr(&errOut)
			o := tt.o
			if err := e.prompt(cmd, &o, tt.adminGiven); err != nil {
				t.Fatal(err)
			}
			if o != tt.want {
				t.Errorf("got %+v, want %+v", o, tt.want)
			}
			if tt.name == "defaults" && !strings.Contains(errOut.String(), "[box.lan]") {
				t.Errorf("prompt does not show the default: %q", errOut.String())
			}
		})
	}
}

func TestUserOffline(t *testing.T) {
	dir, _ := initDir(t)
	type step struct {
		stdin   string
		args    []string
		wantOut string // regexp the stdout must match
		wantErr string // substring of the error
	}
	steps := []step{
		{args: []string{"user", "add", "Alice"}, wantOut: `^jid: alice@example.org\npassword: [a-zA-Z0-9]{20}\n$`},
		{stdin: "pencil\n", args: []string{"user", "add", "bob@example.org", "--password-stdin"}, wantOut: `^jid: bob@example.org\n$`},
		{args: []string{"user", "add", "alice"}, wantErr: "alice@example.org: user already exists"},
		{args: []string{"user", "add", "carol@other.org"}, wantErr: "its domain is other.org, but this server serves example.org"},
		{args: []string{"user", "list"}, wantOut: `^admin@example.org\nalice@example.org\nbob@example.org\n$`},
		{stdin: "crayon\n", args: []string{"user", "passwd", "bob", "--password-stdin"}, wantOut: `^jid: bob@example.org\n$`},
		{args: []string{"user", "passwd", "carol"}, wantErr: "carol@example.org: no such user"},
		{args: []string{"user", "del", "alice"}, wantOut: `^deleted alice@example.org\n$`},
		{args: []string{"user", "del", "alice"}, wantErr: "no such user"},
		{args: []string{"user", "add"}, wantErr: "accepts 1 arg(s), received 0"},
	}
	for _, s := range steps {
		r := run(t, s.stdin, nil, append(s.args, "--data", dir)...)
		name := strings.Join(s.args, " ")
		if s.wantErr != "" {
			if r.err == nil || !strings.Contains(r.err.Error(), s.wantErr) {
				t.Fatalf("%s: err = %v, want %q", name, r.err, s.wantErr)
			}
			continue
		}
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		if !regexp.MustCompile(s.wantOut).MatchString(r.stdout) {
			t.Fatalf("%s: stdout %q, want %s", name, r.stdout, s.wantOut)
		}
	}
	r := mustRun(t, "", "user", "list", "--json", "--data", dir)
	var l apitype.UserList
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || !slices.Equal(l.Users, []string{"admin@example.org", "bob@example.org"}) {
		t.Errorf("list --json = %q (%v)", r.stdout, err)
	}
	if c := accounts(t, dir)["bob@example.org"]; !c.VerifyPassword("crayon") {
		t.Error("bob's password was not changed")
	}
}

// serveAPI runs an admin API on dir's socket, backed by a Service on dir's store (which it
// holds open, as a running server does), until the test ends. It returns the store.
func serveAPI(t *testing.T, dir string) *embeddb.DB {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := admin.New(admin.Config{Domain: "example.org", Accounts: db.Accounts(), Invites: db.Invites(), Logger: log})
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
	return db
}

func TestUserThroughAPI(t *testing.T) {
	dir, _ := initDir(t)
	serveAPI(t, dir) // the store is now locked: only the API can succeed
	r := mustRun(t, "pencil\n", "user", "add", "carol", "--password-stdin", "--data", dir)
	if r.stdout != "jid: carol@example.org\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	r = mustRun(t, "", "user", "list", "--data", dir)
	if r.stdout != "admin@example.org\ncarol@example.org\n" {
		t.Errorf("list: %q", r.stdout)
	}
	r = run(t, "", nil, "user", "add", "carol", "--data", dir)
	if r.err == nil || !errors.Is(r.err, fs.ErrExist) || r.err.Error() != "carol@example.org: user already exists" {
		t.Errorf("adding carol again: %v", r.err)
	}
	mustRun(t, "", "user", "passwd", "carol", "--data", dir)
	mustRun(t, "", "user", "del", "carol", "--data", dir)
	if r = mustRun(t, "", "user", "list", "--data", dir); r.stdout != "admin@example.org\n" {
		t.Errorf("list after del: %q", r.stdout)
	}
}

func TestUserNoServer(t *testing.T) {
	t.Run("stale socket falls back to the store", func(t *testing.T) {
		dir, _ := initDir(t)
		ln, err := net.Listen("unix", filepath.Join(dir, api.SocketName))
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false) // what a killed server leaves
		ln.Close()
		r := mustRun(t, "", "user", "list", "--data", dir)
		if r.stdout != "admin@example.org\n" {
			t.Errorf("stdout %q", r.stdout)
		}
	})
	t.Run("locked store without a socket", func(t *testing.T) {
		dir, _ := initDir(t)
		db, err := embeddb.Open(embeddb.Options{Dir: filepath.Join(dir, storeDirName)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r := run(t, "", nil, "user", "list", "--data", dir)
		if r.err == nil || !strings.Contains(r.err.Error(), "locked by another process, but no xmppbox answers on") {
			t.Errorf("err = %v", r.err)
		}
	})
	t.Run("no setup", func(t *testing.T) {
		dir := t.TempDir()
		r := run(t, "", nil, "user", "list", "--data", dir)
		if r.err == nil || !strings.Contains(r.err.Error(), `run "xmppbox init" first`) {
			t.Errorf("err = %v", r.err)
		}
	})
}

func TestCertCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ir := mustRun(t, "", "init", "--yes", "--domain", "example.org", "--data", dir)
	r := mustRun(t, "", "cert", "ca", "--data", dir)
	b, rest := pem.Decode([]byte(r.stdout))
	if b == nil || b.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("stdout is not one PEM certificate:\n%s", r.stdout)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA {
		t.Error("not a CA certificate")
	}
	fp := fingerprint(b.Bytes)
	if got := field(t, r.stderr, "SHA-256 fingerprint"); got != fp {
		t.Errorf("stderr fingerprint %s, want %s", got, fp)
	}
	if got := field(t, ir.stdout, "CA SHA-256"); got != fp {
		t.Errorf("init printed %s, cert ca prints %s", got, fp)
	}

	r = run(t, "", nil, "cert", "ca", "--data", t.TempDir())
	if r.err == nil || !strings.Contains(r.err.Error(), "no CA in") || r.stdout != "" {
		t.Errorf("cert ca without a CA: %v, stdout %q", r.err, r.stdout)
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir, _ := initDir(t)
	cfgPath := filepath.Join(dir, config.FileName)
	tests := []struct {
		name    string
		environ []string
		args    []string
		file    string // replaces the config file if set
		want    string
	}{
		{name: "flag over env", environ: []string{"XMPPBOX_C2S_ADDR=bad-env"}, args: []string{"--c2s-addr", "bad-flag"},
			want: `--c2s-addr: listeners.c2s_addr: invalid address "bad-flag"`},
		{name: "env over file", environ: []string{"XMPPBOX_S2S_ADDR=bad-env"},
			want: `XMPPBOX_S2S_ADDR: listeners.s2s_addr: invalid address "bad-env"`},
		{name: "log level flag", args: []string{"--log-level", "chatty"}, want: `--log-level: invalid log level "chatty"`},
		{name: "file", file: "domain = \"example.org\"\n[listeners]\nhttp_addr = \"nope\"\n",
			want: cfgPath + `:3: listeners.http_addr: invalid address "nope"`},
		{name: "unknown key", file: "domain = \"example.org\"\nc2s_addr = \":5222\"\n",
			want: cfgPath + `:2: unknown setting "c2s_addr"`},
	}
	orig, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := orig
			if tt.file != "" {
				content = []byte(tt.file)
			}
			if err := os.WriteFile(cfgPath, content, 0o600); err != nil {
				t.Fatal(err)
			}
			r := run(t, "", tt.environ, append([]string{"serve", "--data", dir}, tt.args...)...)
			if r.err == nil || !strings.HasPrefix(r.err.Error(), tt.want) {
				t.Errorf("err = %v, want it to start with %q", r.err, tt.want)
			}
		})
	}
}

func TestServeRefusesForeignDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", nil, "serve", "--data", dir)
	if r.err == nil || !strings.Contains(r.err.Error(), "is not empty") {
		t.Fatalf("err = %v", r.err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("serve touched the directory: %d entries", len(entries))
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want string
	}{
		{"env wins", map[string]string{"XMPPBOX_DATA": "/srv/x", "HOME": "/home/u"}, 0, "/srv/x"},
		{"root", map[string]string{"HOME": "/root"}, 0, "/var/lib/xmppbox"},
		{"xdg", map[string]string{"XDG_DATA_HOME": "/d", "HOME": "/home/u"}, 1000, "/d/xmppbox"},
		{"relative xdg ignored", map[string]string{"XDG_DATA_HOME": "d", "HOME": "/home/u"}, 1000, "/home/u/.local/share/xmppbox"},
		{"home", map[string]string{"HOME": "/home/u"}, 1000, "/home/u/.local/share/xmppbox"},
		{"nothing", nil, 1000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := defaultDataDir(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }, tt.euid)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDataFromEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := run(t, "", []string{"XMPPBOX_DATA=" + dir}, "init", "--yes", "--domain", "example.org")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := os.Stat(filepath.Join(dir, config.FileName)); err != nil {
		t.Errorf("XMPPBOX_DATA not used: %v", err)
	}
}

func TestMisc(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "xmppbox "},
		{[]string{"--help"}, "XMPPBOX_DATA"},
		{[]string{"serve", "--help"}, "XMPPBOX_C2S_TLS_ADDR"},
		{[]string{"completion", "bash"}, "bash completion"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := mustRun(t, "", tt.args...)
			if !strings.Contains(r.stdout, tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, r.stdout)
			}
		})
	}
}
