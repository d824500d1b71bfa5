package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

var testDomains = []string{"example.test", "conference.example.test"}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// recordingIssuer wraps the local CA, counts Issue calls, and lets a test
// choose each certificate's lifetime.
type recordingIssuer struct {
	ca *CA
	// lifetime returns the lifetime of the n-th certificate (from 0); nil
	// means the production lifetime.
	lifetime func(n int) time.Duration

	mu     sync.Mutex
	issued []string // the CSR's first name, per call; guarded by mu
	signal chan struct{}
}

func newRecordingIssuer(t *testing.T, dir string) *recordingIssuer {
	t.Helper()
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &recordingIssuer{ca: ca, signal: make(chan struct{}, 100)}
}

func (r *recordingIssuer) IssuerKey() string { return r.ca.IssuerKey() }

func (r *recordingIssuer) Issue(ctx context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	r.mu.Lock()
	n := len(r.issued)
	r.issued = append(r.issued, csr.DNSNames[0])
	r.mu.Unlock()
	defer func() { r.signal <- struct{}{} }()
	if r.lifetime == nil {
		return r.ca.Issue(ctx, csr)
	}
	return r.ca.issue(csr, r.lifetime(n))
}

func (r *recordingIssuer) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.issued)
}

func startManager(t *testing.T, cfg Config, opts options) *Manager {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	m, err := newManager(t.Context(), cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// serveTLS accepts TLS connections on a loopback port with cfg. For every
// handshake it sends the server-side connection state, or the error.
func serveTLS(t *testing.T, cfg *tls.Config) (addr string, states <-chan serverResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan serverResult, 16) // never blocks the accept loop, even after a failed case
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := tls.Server(c, cfg)
			err = tc.HandshakeContext(t.Context())
			ch <- serverResult{tc.ConnectionState(), err}
			tc.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), ch
}

type serverResult struct {
	state tls.ConnectionState
	err   error
}

func TestManagerHandshake(t *testing.T) {
	dir := newTestCA(t)
	m := startManager(t, Config{DataDir: dir, Domains: testDomains}, options{})
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.PEM()) {
		t.Fatal("root PEM not accepted")
	}
	addr, served := serveTLS(t, m.TLSConfig())

	tests := []struct {
		name       string
		serverName string // SNI; "" sends none
		maxVersion uint16
		alpn       []string
		wantName   string // the name the served certificate must carry
		wantProto  string
		wantVer    uint16
	}{
		{"TLS 1.3 xmpp-client", "example.test", 0, []string{"xmpp-client"}, "example.test", "xmpp-client", tls.VersionTLS13},
		{"TLS 1.2 forced", "example.test", tls.VersionTLS12, []string{"xmpp-client"}, "example.test", "xmpp-client", tls.VersionTLS12},
		{"subdomain xmpp-server", "conference.example.test", 0, []string{"xmpp-server"}, "conference.example.test", "xmpp-server", tls.VersionTLS13},
		{"STARTTLS without ALPN", "EXAMPLE.test", 0, nil, "example.test", "", tls.VersionTLS13},
		{"no SNI gets the default name", "", 0, []string{"xmpp-client"}, "example.test", "xmpp-client", tls.VersionTLS13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			cfg := &tls.Config{
				ServerName: tt.serverName,
				RootCAs:    roots,
				MaxVersion: tt.maxVersion,
				NextProtos: tt.alpn,
			}
			if tt.serverName == "" {
				// With no ServerName, crypto/tls sends no SNI but would also
				// verify against nothing; verify against the default name.
				cfg.InsecureSkipVerify = true
				cfg.VerifyConnection = func(cs tls.ConnectionState) error {
					opts := x509.VerifyOptions{DNSName: tt.wantName, Roots: roots, Intermediates: x509.NewCertPool()}
					for _, c := range cs.PeerCertificates[1:] {
						opts.Intermediates.AddCert(c)
					}
					_, err := cs.PeerCertificates[0].Verify(opts)
					return err
				}
			}
			client := tls.Client(conn, cfg)
			if err := client.HandshakeContext(t.Context()); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			srv := <-served
			if srv.err != nil {
				t.Fatalf("server handshake: %v", srv.err)
			}
			cs := client.ConnectionState()
			if cs.Version != tt.wantVer {
				t.Errorf("version = %x, want %x", cs.Version, tt.wantVer)
			}
			if cs.NegotiatedProtocol != tt.wantProto {
				t.Errorf("ALPN = %q, want %q", cs.NegotiatedProtocol, tt.wantProto)
			}
			seen := cs.PeerCertificates[0]
			if !slices.Equal(seen.DNSNames, []string{tt.wantName}) {
				t.Errorf("served certificate for %v, want %s", seen.DNSNames, tt.wantName)
			}

			// What a c2s consumer does for tls-server-end-point: look up
			// the leaf by the server side's view of the SNI.
			leaf, err := m.Leaf(srv.state.ServerName)
			if err != nil {
				t.Fatalf("Leaf(%q): %v", srv.state.ServerName, err)
			}
			if !slices.Equal(leaf.Raw, seen.Raw) {
				t.Errorf("Leaf(%q) is not the certificate the client saw", srv.state.ServerName)
			}
		})
	}

	t.Run("unknown SNI", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client := tls.Client(conn, &tls.Config{ServerName: "other.test", RootCAs: roots})
		if err := client.HandshakeContext(t.Context()); err == nil {
			t.Error("handshake for a name we hold no certificate for succeeded")
		}
		if srv := <-served; srv.err == nil {
			t.Error("server accepted a handshake for an unknown name")
		}
		if _, err := m.Leaf("other.test"); err == nil {
			t.Error("Leaf for an unknown name succeeded")
		}
	})

	t.Run("client offering only another ALPN", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client := tls.Client(conn, &tls.Config{ServerName: "example.test", RootCAs: roots, NextProtos: []string{"h2"}})
		if err := client.HandshakeContext(t.Context()); err == nil {
			t.Error("handshake with ALPN h2 succeeded")
		}
		<-served
	})
}

func TestTLSConfig(t *testing.T) {
	m := startManager(t, Config{DataDir: newTestCA(t), Domains: testDomains}, options{})
	tc := m.TLSConfig()
	if tc != m.TLSConfig() {
		t.Error("TLSConfig returned a different *tls.Config on the second call")
	}
	if tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", tc.MinVersion)
	}
	if want := []string{"xmpp-client", "xmpp-server"}; !slices.Equal(tc.NextProtos, want) {
		t.Errorf("NextProtos = %q, want %q", tc.NextProtos, want)
	}
	if tc.GetCertificate == nil {
		t.Error("no GetCertificate")
	}
}

func TestManagerLoadsStoredCertificates(t *testing.T) {
	dir := newTestCA(t)
	first := newRecordingIssuer(t, dir)
	m1 := startManager(t, Config{DataDir: dir, Domains: testDomains}, options{issuer: first})
	if got := first.calls(); !slices.Equal(got, testDomains) {
		t.Fatalf("first Manager issued %v, want %v", got, testDomains)
	}
	for _, d := range testDomains {
		if _, err := os.Stat(filepath.Join(dir, "certs", "certificates", issuerKey, d, d+".crt")); err != nil {
			t.Errorf("certificate not in FileStorage: %v", err)
		}
	}

	// A second Manager on the same DataDir, while the first still runs, as
	// after a restart or from a second process.
	second := newRecordingIssuer(t, dir)
	m2 := startManager(t, Config{DataDir: dir, Domains: testDomains}, options{issuer: second})
	if got := second.calls(); len(got) != 0 {
		t.Errorf("second Manager issued %v, want none", got)
	}
	for _, d := range testDomains {
		l1, err := m1.Leaf(d)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := m2.Leaf(d)
		if err != nil {
			t.Fatal(err)
		}
		if !l1.Equal(l2) {
			t.Errorf("%s: second Manager serves a different certificate", d)
		}
	}

	m2.Close()
	m2.Close() // must not panic
}

// TestManagerRenews issues a certificate with one minute left, which is
// inside certmagic's renewal window (a third of the lifetime, which is six
// minutes with the backdating), and waits for the background renewal to
// replace it in the cache. Renewed certificates get 90 days, so exactly one
// renewal happens.
func TestManagerRenews(t *testing.T) {
	dir := newTestCA(t)
	iss := newRecordingIssuer(t, dir)
	iss.lifetime = func(n int) time.Duration {
		if n == 0 {
			return time.Minute
		}
		return leafLifetime
	}
	m := startManager(t, Config{DataDir: dir, Domains: testDomains[:1]}, options{
		issuer:             iss,
		renewCheckInterval: 20 * time.Millisecond,
	})
	old, err := m.Leaf("example.test")
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(old.NotAfter); left > time.Minute {
		t.Fatalf("first certificate has %v left, want at most a minute", left)
	}

	deadline := time.After(10 * time.Second)
	for n := 0; n < 2; n++ { // the first issue, then the renewal
		select {
		case <-iss.signal:
		case <-deadline:
			t.Fatalf("no renewal within 10s; issued %v", iss.calls())
		}
	}
	// Issue has returned; certmagic then stores the certificate and swaps
	// it into the cache. Poll for the swap under the same deadline.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		cur, err := m.Leaf("example.test")
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Equal(old) {
			if left := time.Until(cur.NotAfter); left < 89*24*time.Hour {
				t.Errorf("renewed certificate has only %v left", left)
			}
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("renewed certificate never replaced the old one in the cache")
		}
	}
	m.Close()
	if got := iss.calls(); len(got) != 2 {
		t.Errorf("issued %v, want the first certificate and one renewal", got)
	}
}

func TestNewErrors(t *testing.T) {
	caDir := newTestCA(t)
	tests := []struct {
		name    string
		cfg     Config
		wantIs  error
		wantErr string
	}{
		{name: "no CA", cfg: Config{DataDir: t.TempDir(), Domains: testDomains}, wantIs: fs.ErrNotExist},
		{name: "no DataDir", cfg: Config{Domains: testDomains}, wantErr: "DataDir"},
		{name: "no domains", cfg: Config{DataDir: caDir}, wantErr: "no domains"},
		{name: "wildcard", cfg: Config{DataDir: caDir, Domains: []string{"*.example.test"}}, wantErr: "not a valid"},
		{name: "IP address", cfg: Config{DataDir: caDir, Domains: []string{"192.0.2.1"}}, wantErr: "not a valid"},
		{name: "space", cfg: Config{DataDir: caDir, Domains: []string{"example .test"}}, wantErr: "not a valid"},
		{name: "ACME without URL", cfg: Config{DataDir: caDir, Domains: testDomains, ACME: &ACME{}}, wantErr: "DirectoryURL"},
		{
			name:   "ACME roots file missing",
			cfg:    Config{DataDir: caDir, Domains: testDomains, ACME: &ACME{DirectoryURL: "https://ca.test/dir", TrustedRootsFile: filepath.Join(caDir, "nope.pem")}},
			wantIs: fs.ErrNotExist,
		},
		{
			name:    "ACME roots file without certificates",
			cfg:     Config{DataDir: caDir, Domains: testDomains, ACME: &ACME{DirectoryURL: "https://ca.test/dir", TrustedRootsFile: filepath.Join(caDir, caKeyFile)}},
			wantErr: "no PEM certificates",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(t.Context(), tt.cfg)
			if err == nil {
				m.Close()
				t.Fatal("New succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want one wrapping %v", err, tt.wantIs)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestACMEConfig checks the ACME issuer is built as configured. It does not
// obtain anything: that needs an ACME server (compile-tested only).
func TestACMEConfig(t *testing.T) {
	dir := newTestCA(t) // its root stands in for the internal CA's
	const url = "https://ca.office.lan/acme/acme/directory"
	m, err := build(Config{
		DataDir: dir,
		Domains: testDomains,
		ACME:    &ACME{DirectoryURL: url, Email: "admin@example.test", TrustedRootsFile: filepath.Join(dir, caCertFile)},
		Logger:  testLogger(t),
	}, options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer m.Close()

	if len(m.magic.Issuers) != 1 {
		t.Fatalf("%d issuers, want 1", len(m.magic.Issuers))
	}
	acme, ok := m.magic.Issuers[0].(*certmagic.ACMEIssuer)
	if !ok {
		t.Fatalf("issuer is %T, want *certmagic.ACMEIssuer", m.magic.Issuers[0])
	}
	if acme.CA != url {
		t.Errorf("CA = %q, want %q", acme.CA, url)
	}
	if acme.TestCA != "" {
		t.Errorf("TestCA = %q, want none (no fallback to Let's Encrypt staging)", acme.TestCA)
	}
	if acme.Email != "admin@example.test" || !acme.Agreed {
		t.Errorf("Email = %q, Agreed = %v", acme.Email, acme.Agreed)
	}
	if !acme.DisableTLSALPNChallenge {
		t.Error("TLS-ALPN challenge enabled without acme-tls/1 in NextProtos")
	}
	if acme.TrustedRoots == nil {
		t.Error("TrustedRoots not set from TrustedRootsFile")
	}
	if slices.Contains(m.TLSConfig().NextProtos, "acme-tls/1") {
		t.Error("NextProtos offers acme-tls/1")
	}
	if fs, ok := m.magic.Storage.(*certmagic.FileStorage); !ok || fs.Path != filepath.Join(dir, "certs") {
		t.Errorf("Storage = %#v, want FileStorage in DataDir/certs", m.magic.Storage)
	}
}
