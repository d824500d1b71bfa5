package integration

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"
)

// Debian's Prosody 0.12 (package prosody), the federation peer of the s2s tests.
const (
	prosodyBinary    = "/usr/bin/prosody"
	prosodyctlBinary = "/usr/bin/prosodyctl"
)

// Deadlines for Prosody; like the ones in harness_test.go they bound a hang and are never
// asserted as timings.
const (
	prosodyReadyTimeout = 10 * time.Second // exec to both listeners answering a stream header
	prosodyStartTries   = 3                // starts with fresh ports when one was taken meanwhile
)

// defaultProsodyDomain is the VirtualHost of a Prosody unless a test asks for another.
const defaultProsodyDomain = "prosody.test"

// Certificate modes of prosodyOpts.CertMode.
const (
	certValid      = "valid"       // a leaf signed by a CA the harness makes (Prosody.CAPEM)
	certSelfSigned = "self-signed" // a leaf that signs itself: no chain any peer trusts
)

// prosodyOpts changes how startProsody sets up a Prosody. The zero value is prosody.test with
// a certificate from a fresh CA, dialback loaded, s2s_secure_auth off, no accounts, no MUC,
// and the system's DNS resolver.
type prosodyOpts struct {
	Domain string // the one VirtualHost; defaultProsodyDomain if empty

	// TrustPEM are the CA certificates (PEM) Prosody trusts for s2s, typically xmppbox's
	// Server.CAPEM. They are the only roots: the system store is not used.
	TrustPEM [][]byte
	// SecureAuth sets s2s_secure_auth: Prosody closes an s2s stream, in either direction,
	// with not-authorized unless the peer's certificate chains to TrustPEM and names its
	// domain; dialback no longer stands in for a bad certificate (TestProsodyTrust).
	SecureAuth bool
	// DisableDialback leaves out mod_dialback (XEP-0220): only SASL EXTERNAL (XEP-0178)
	// can authenticate a stream, in both directions.
	DisableDialback bool
	// Bidi loads mod_s2s_bidi: bidirectional server-to-server streams (XEP-0288).
	Bidi bool
	// CertMode is certValid ("" too) or certSelfSigned.
	CertMode string

	// Peers are remote domains and the "127.0.0.1:port" their s2s listens on. When set,
	// Prosody's resolver asks a DNS server run by the test, which answers the SRV record
	// _xmpp-server._tcp.DOMAIN and the address record for each of them and NXDOMAIN for
	// every other name, so Prosody reaches exactly these addresses (prosody_dns_test.go).
	// List every domain Prosody must reach, a peer's MUC service included; incoming
	// dialback makes Prosody connect back to the sender's domain too. When empty, Prosody
	// uses the system's resolver: only localhost and *.localhost then reach 127.0.0.1, on
	// port 5269 (TestProsodyResolvesLocalhost).
	Peers map[string]string

	Users map[string]string // local accounts: name -> password
	MUC   bool              // a MUC service (XEP-0045) at "rooms."+Domain
}

// Prosody is one running Prosody and its directory. It is stopped when the test ends.
type Prosody struct {
	Domain    string
	MUCDomain string // "rooms."+Domain with prosodyOpts.MUC, else ""
	Dir       string // config, certificates, data, log and pid file
	C2S, S2S  string // 127.0.0.1:port, STARTTLS on both

	// CAPEM is the CA that signed Prosody's certificate, for xmppbox's `peer add --ca`;
	// in certSelfSigned mode it is the certificate itself. CAPool holds it.
	CAPEM  []byte
	CAPool *x509.CertPool

	// Log returns Prosody's debug log so far, for failure messages. Lines of level info and
	// above also go to t.Log as they are written.
	Log func() string

	proc *process
}

// startProsody writes a Prosody configuration and certificates into a temporary directory,
// creates the accounts, starts `prosody -F` with c2s and s2s on free 127.0.0.1 ports and
// returns once both listeners answer a stream header. Prosody is stopped with SIGTERM (then
// SIGKILL) when the test ends.
//
// Without /usr/bin/prosody the test is skipped, unless XMPPBOX_REQUIRE_PROSODY=1 fails it.
func startProsody(t *testing.T, o prosodyOpts) *Prosody {
	t.Helper()
	for _, bin := range []string{prosodyBinary, prosodyctlBinary} {
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("XMPPBOX_REQUIRE_PROSODY") == "1" {
				t.Fatalf("prosody is required (apt-get install prosody): %v", err)
			}
			t.Skipf("prosody not installed (scripts/test installs it): %v", err)
		}
	}
	if o.Domain == "" {
		o.Domain = defaultProsodyDomain
	}
	p := &Prosody{Domain: o.Domain, Dir: t.TempDir()}
	if o.MUC {
		p.MUCDomain = "rooms." + o.Domain
	}
	logFile := filepath.Join(p.Dir, "prosody.log")
	p.Log = func() string {
		b, err := os.ReadFile(logFile)
		if err != nil {
			return fmt.Sprintf("(no prosody log: %v)", err)
		}
		return string(b)
	}

	cfg := prosodyConfig{
		Dir:        p.Dir,
		DataDir:    filepath.Join(p.Dir, "data"),
		CertDir:    filepath.Join(p.Dir, "certs"),
		CAPath:     filepath.Join(p.Dir, "capath"),
		LogFile:    logFile,
		PIDFile:    filepath.Join(p.Dir, "prosody.pid"),
		Domain:     o.Domain,
		MUCDomain:  p.MUCDomain,
		Dialback:   !o.DisableDialback,
		Bidi:       o.Bidi,
		SecureAuth: o.SecureAuth,
	}
	for _, d := range []string{cfg.DataDir, cfg.CertDir, cfg.CAPath} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p.CAPEM = writeProsodyCerts(t, &cfg, o.CertMode)
	p.CAPool = x509.NewCertPool()
	if !p.CAPool.AppendCertsFromPEM(p.CAPEM) {
		t.Fatal("prosody: the generated CA does not parse")
	}
	if len(o.TrustPEM) > 0 {
		cfg.CAFile = filepath.Join(p.Dir, "trust.pem")
		var bundle []byte
		for _, c := range o.TrustPEM {
			bundle = append(bundle, c...)
			bundle = append(bundle, '\n')
		}
		if err := os.WriteFile(cfg.CAFile, bundle, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.Peers) > 0 {
		cfg.DNS = startPeerResolver(t, o.Peers)
	}
	cfgFile := filepath.Join(p.Dir, "prosody.cfg.lua")

	began := time.Now()
	for try := 1; ; try++ {
		cfg.C2SPort, cfg.S2SPort = freePort(t), freePort(t)
		cfg.write(t, cfgFile)
		if try == 1 {
			// prosodyctl writes the account files itself; Prosody need not run.
			for name, password := range o.Users {
				prosodyctl(t, cfgFile, "register", name, o.Domain, password)
			}
		}
		proc := startProsodyProcess(t, "--config", cfgFile, "-F")
		if err := p.waitListening(proc, cfg); err != nil {
			if stopErr := proc.terminate(stopTimeout); stopErr != nil {
				t.Logf("prosody: stop after a failed start: %v", stopErr)
			}
			if errors.Is(err, errPortTaken) && try < prosodyStartTries {
				t.Logf("prosody: %v; again with other ports", err)
				continue
			}
			t.Fatalf("prosody did not start: %v\nprosody log:\n%s", err, p.Log())
		}
		p.proc = proc
		break
	}
	t.Cleanup(func() { p.stop(t) })
	t.Logf("prosody %s ready in %v: c2s %s, s2s %s, dir %s", p.Domain,
		time.Since(began).Round(time.Millisecond), p.C2S, p.S2S, p.Dir)
	return p
}

// JID returns name@Domain.
func (p *Prosody) JID(name string) string { return name + "@" + p.Domain }

// Dial logs a Prosody account in over STARTTLS on the c2s port, trusting CAPool (unless
// opts.RootCAs) with ServerName Domain, and fails the test if that fails. DirectTLS is not
// available: Prosody has no direct TLS listener here.
func (p *Prosody) Dial(t *testing.T, user, password string, opts dialOpts) *Client {
	t.Helper()
	return dial(t, p.server(), user, password, opts)
}

// TryDial is Dial returning the error instead of failing the test.
func (p *Prosody) TryDial(t *testing.T, user, password string, opts dialOpts) (*Client, error) {
	t.Helper()
	return tryDial(t, p.server(), user, password, opts)
}

// server is Prosody as the *Server that dial and tryDial take: they read only Domain, C2S
// and CAPool of it.
func (p *Prosody) server() *Server {
	return &Server{Domain: p.Domain, C2S: p.C2S, CAPool: p.CAPool}
}

func (p *Prosody) stop(t *testing.T) {
	if p.proc == nil {
		return
	}
	proc := p.proc
	p.proc = nil
	// Not a test failure: the harness tests xmppbox, not Prosody's shutdown.
	if err := proc.terminate(stopTimeout); err != nil {
		t.Logf("prosody: stop: %v", err)
	}
}

// errPortTaken means another process bound a port between freePort and Prosody's bind.
var errPortTaken = errors.New("prosody could not bind a port")

// waitListening waits for Prosody to report its c2s and s2s listeners and then for each to
// answer a stream header with stream features, which shows that the server loop runs and the
// VirtualHost is there.
func (p *Prosody) waitListening(proc *process, cfg prosodyConfig) error {
	deadline := time.Now().Add(prosodyReadyTimeout)
	for _, svc := range []struct {
		name string
		port int
		addr *string
		ns   string
	}{
		{"c2s", cfg.C2SPort, &p.C2S, nsClient},
		{"s2s", cfg.S2SPort, &p.S2S, "jabber:server"},
	} {
		// portmanager logs at info: Activated service 'c2s' on [127.0.0.1]:PORT, or "on no
		// ports" after "Failed to open server port".
		line, err := proc.log.wait(deadline, func(l string) bool {
			return strings.Contains(l, "Activated service '"+svc.name+"' on ")
		})
		if err != nil {
			return fmt.Errorf("no listener %s: %w", svc.name, err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(svc.port))
		if !strings.Contains(line, "[127.0.0.1]:"+strconv.Itoa(svc.port)) {
			return fmt.Errorf("%w: %s", errPortTaken, line)
		}
		if err := streamFeatures(deadline, addr, svc.ns, p.Domain); err != nil {
			return fmt.Errorf("%s on %s: %w", svc.name, addr, err)
		}
		*svc.addr = addr
	}
	return nil
}

// streamFeatures opens a stream to domain at addr and waits for <stream:features/>.
func streamFeatures(deadline time.Time, addr, ns, domain string) error {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	header := fmt.Sprintf(`<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='%s' xmlns:stream='%s'>`,
		xmlEscape(domain), ns, nsStream)
	if _, err := io.WriteString(conn, header); err != nil {
		return err
	}
	dec := xml.NewDecoder(conn)
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("no stream features: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsStream && se.Name.Local == "features" {
			io.WriteString(conn, "</stream:stream>")
			return nil
		}
	}
}

// freePort returns a port that was free on 127.0.0.1 a moment ago. Prosody cannot bind port
// 0 and report the port it got, so the harness picks one; startProsody retries when another
// process took it meanwhile.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// prosodyctl runs `prosodyctl --config FILE ARGS...` and fails the test if it fails.
func prosodyctl(t *testing.T, cfgFile string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prosodyctlBinary, append([]string{"--config", cfgFile}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("prosodyctl %s: %v\n%s", args[0], err, out)
	}
}

// startProsodyProcess starts prosody; its output lines go to t.Log and to the process's log
// buffer. The process type and terminate are harness_test.go's.
func startProsodyProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(prosodyBinary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, log: newLogBuffer(), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prosody: %v", err)
	}
	pid := cmd.Process.Pid
	forward := func(r io.Reader, stream string) {
		defer p.copied.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			t.Logf("prosody[%d] %s: %s", pid, stream, sc.Text())
			p.log.add(sc.Text())
		}
	}
	p.copied.Add(2)
	go forward(stdout, "stdout")
	go forward(stderr, "stderr")
	go func() {
		// Wait must follow the pipe readers: it closes the pipes.
		p.copied.Wait()
		p.err = cmd.Wait()
		p.log.close(p.err)
		close(p.exited)
	}()
	return p
}

// prosodyConfig is what prosodyConfigTemplate needs.
type prosodyConfig struct {
	Dir, DataDir, CertDir, CAPath, LogFile, PIDFile string
	CertFile, KeyFile                               string
	CAFile                                          string // bundle of prosodyOpts.TrustPEM; "" if none
	DNS                                             string // "127.0.0.1:port" of the peer resolver; "" for the system's
	Domain, MUCDomain                               string
	C2SPort, S2SPort                                int
	Dialback, SecureAuth, Bidi                      bool
}

func (c prosodyConfig) write(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	if err := prosodyConfigTemplate.Execute(&b, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// prosodyConfigTemplate is the whole configuration. Prosody 0.12 facts it relies on (read in
// /usr/lib/prosody and checked by the tests):
//   - `prosody` never changes user; only prosodyctl switches from root to the prosody user,
//     and mod_posix (autoloaded) refuses to run as root. run_as_root keeps both as the
//     current user, so every file stays the test's.
//   - mod_posix also writes the pid file and turns SIGTERM into a clean shutdown (exit 0).
//   - Certificate checks: TLS runs with verify "peer" and lsec_continue, so a bad chain never
//     breaks the handshake; mod_s2s_auth_certs then checks the chain against cafile plus
//     capath (default /etc/ssl/certs, here an empty directory) and the name with
//     util.x509.verify_identity. lsec_ignore_purpose: the peer's EKU is not checked.
//   - With lua-unbound installed (Debian pulls it in), DNS is libunbound, configured by the
//     `unbound` table; Prosody turns off its hosts-file reading (hoststxt = false), so
//     /etc/hosts is ignored. Outgoing s2s asks SRV _xmpps-server._tcp and _xmpp-server._tcp
//     and, without a record, connects to the domain's A/AAAA on port 5269.
var prosodyConfigTemplate = template.Must(template.New("prosody").Funcs(template.FuncMap{
	"lua": luaString,
	"forward": func(hostport string) string {
		// libunbound writes a forwarder's port after an @.
		host, port, _ := net.SplitHostPort(hostport)
		return luaString(host + "@" + port)
	},
}).Parse(`-- Prosody 0.12 as a federation peer of an xmppbox integration test (prosody_test.go).
-- Everything lives in {{lua .Dir}}.
run_as_root = true
pidfile = {{lua .PIDFile}}
data_path = {{lua .DataDir}}
log = {
	{ levels = { min = "debug" }, to = "file", filename = {{lua .LogFile}} };
	{ levels = { min = "info" }, to = "console" };
}

-- Autoloaded as well: posix, presence, message, iq, offline, c2s, s2s, s2s_auth_certs.
modules_enabled = { "roster"; "saslauth"; "tls"; {{if .Dialback}}"dialback"; {{end}}{{if .Bidi}}"s2s_bidi"; {{end}}"disco"; "ping"; }
authentication = "internal_hashed"
password_hash = "SHA-256" -- SCRAM-SHA-256; with the default SHA-1 Prosody offers SCRAM-SHA-1 only

interfaces = { "127.0.0.1" }
c2s_ports = { {{.C2SPort}} }
s2s_ports = { {{.S2SPort}} }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
legacy_ssl_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }

c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = {{.SecureAuth}}
s2s_timeout = 10      -- seconds for an outgoing s2s stream to connect and authenticate
s2s_close_timeout = 1 -- seconds to wait for the peer's </stream:stream>
use_ipv6 = false      -- outgoing s2s: A records only, so 127.0.0.1 and never ::1

certificates = {{lua .CertDir}}
ssl = {
	certificate = {{lua .CertFile}};
	key = {{lua .KeyFile}};
	capath = {{lua .CAPath}}; -- empty: no system roots
{{- if .CAFile}}
	cafile = {{lua .CAFile}};
{{- end}}
}
{{- if .DNS}}

-- Every query goes to the test's resolver, which knows the peers (prosody_dns_test.go).
-- libunbound answers test. itself (NXDOMAIN, RFC 6761) unless the zone is transparent.
unbound = {
	resolvconf = false; hoststxt = false; forward = {{forward .DNS}};
	options = { ["local-zone:"] = "test. transparent" };
}
{{- end}}

VirtualHost {{lua .Domain}}
{{- if .MUCDomain}}

Component {{lua .MUCDomain}} "muc"
	restrict_room_creation = false
{{- end}}
`))

// luaString quotes s as a Lua string literal: bytes outside printable ASCII become \ddd.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeProsodyCerts writes Prosody's key and certificate (for Domain and MUCDomain, ECDSA
// P-256, serverAuth and clientAuth: Prosody presents it as a client on outgoing s2s) into
// CertDir as DOMAIN.crt and DOMAIN.key, where Prosody's certificate index finds them for SNI
// too, and sets cfg.CertFile and cfg.KeyFile. It returns the PEM of the CA that signed the
// certificate: a fresh CA for certValid, the certificate itself for certSelfSigned.
func writeProsodyCerts(t *testing.T, cfg *prosodyConfig, mode string) []byte {
	t.Helper()
	names := []string{cfg.Domain}
	if cfg.MUCDomain != "" {
		names = append(names, cfg.MUCDomain)
	}
	bothEKUs := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	var cert tls.Certificate
	var caPEM []byte
	switch mode {
	case certValid, "":
		ca := newTestCA(t, "prosody test CA for "+cfg.Domain)
		cert, caPEM = ca.Issue(t, names, bothEKUs), ca.PEM
	case certSelfSigned:
		cert = selfSigned(t, names, bothEKUs)
		caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	default:
		t.Fatalf("prosodyOpts.CertMode %q: want %q or %q", mode, certValid, certSelfSigned)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CertFile = filepath.Join(cfg.CertDir, cfg.Domain+".crt")
	cfg.KeyFile = filepath.Join(cfg.CertDir, cfg.Domain+".key")
	for path, block := range map[string]*pem.Block{
		cfg.CertFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		cfg.KeyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caPEM
}

// testCA is a certificate authority made by a test (ECDSA P-256, valid for a day).
type testCA struct {
	Cert *x509.Certificate
	PEM  []byte // Cert as PEM, for prosodyOpts.TrustPEM or `xmppbox peer add --ca`
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{Cert: cert, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}
}

// Issue returns a leaf for the DNS names (the first is also the common name) with the
// extended key usages, signed by ca.
func (ca *testCA) Issue(t *testing.T, names []string, ekus []x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	der, err := x509.CreateCertificate(rand.Reader, leafTemplate(t, names, ekus), ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// selfSigned returns a leaf like testCA.Issue's that signs itself. It is no CA, so it can
// only be trusted by pinning it.
func selfSigned(t *testing.T, names []string, ekus []x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	tmpl := leafTemplate(t, names, ekus)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func leafTemplate(t *testing.T, names []string, ekus []x509.ExtKeyUsage) *x509.Certificate {
	t.Helper()
	return &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           ekus,
		BasicConstraintsValid: true,
	}
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func randomSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
