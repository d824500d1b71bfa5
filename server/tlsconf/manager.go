package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
)

// ACME selects an ACME issuer instead of the local CA.
type ACME struct {
	// DirectoryURL is the CA's ACME directory, e.g.
	// "https://ca.office.lan/acme/acme/directory" for step-ca or
	// certmagic.LetsEncryptProductionCA. Required: an empty URL would make
	// certmagic fall back to Let's Encrypt, and we never reach the internet
	// by default.
	DirectoryURL string
	// Email is the ACME account contact; may be empty.
	Email string
	// TrustedRootsFile is a PEM file with the roots that verify the ACME
	// server's own HTTPS certificate (an internal CA). Empty: system roots.
	TrustedRootsFile string
}

// Config configures a Manager.
type Config struct {
	// DataDir holds the local CA (ca.crt, ca.key; see CreateCA) and, in
	// DataDir/certs, certmagic's FileStorage with the leaf certificates.
	DataDir string
	// Domains are the DNS names to hold certificates for (no wildcards, no
	// IP addresses): the XMPP domain and its service subdomains. The first
	// is also served to clients that send no SNI (DefaultServerName).
	Domains []string
	// ACME, if not nil, obtains certificates from an ACME CA; nil signs
	// them with the local CA in DataDir, which must exist.
	ACME *ACME
	// Logger receives certmagic's logs (bridged from zap). Nil discards them.
	Logger *slog.Logger
}

// Manager holds the certificates for Config.Domains: it loads them from
// storage or has them issued, serves them through one shared *tls.Config,
// and renews them in the background until Close. Its methods are safe for
// concurrent use.
type Manager struct {
	cache     *certmagic.Cache
	magic     *certmagic.Config
	tlsConfig *tls.Config
	closeOnce sync.Once
}

// options are test knobs; New uses the zero value.
type options struct {
	issuer             certmagic.Issuer // replaces the local CA issuer
	renewCheckInterval time.Duration    // 0: certmagic's default (10 min)
}

// New starts a Manager for cfg.Domains. It returns once every name has a
// valid certificate: loaded from DataDir/certs, renewed if due, or issued
// now (ManageSync). With the local CA this takes milliseconds and needs no
// network; with ACME it waits for the CA and its challenges, bounded by ctx.
// ctx bounds only this start-up; background renewal runs until Close.
//
// Without cfg.ACME the CA must exist in cfg.DataDir, else the error wraps
// fs.ErrNotExist (run CreateCA first). The caller must Close the Manager.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	return newManager(ctx, cfg, options{})
}

func newManager(ctx context.Context, cfg Config, opts options) (*Manager, error) {
	m, err := build(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := m.magic.ManageSync(ctx, cfg.Domains); err != nil {
		m.Close()
		return nil, fmt.Errorf("tlsconf: manage certificates: %w", err)
	}
	return m, nil
}

// build makes the certmagic cache and config without obtaining anything, so
// tests can inspect an ACME configuration without a network.
func build(cfg Config, opts options) (*Manager, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("tlsconf: empty DataDir")
	}
	if len(cfg.Domains) == 0 {
		return nil, errors.New("tlsconf: no domains")
	}
	for _, d := range cfg.Domains {
		// DNS names only: certmagic would put an IP address in the CSR's
		// IPAddresses, and an XMPP domain is a DNS name in practice.
		if !certmagic.SubjectQualifiesForCert(d) || strings.Contains(d, "*") || net.ParseIP(d) != nil {
			return nil, fmt.Errorf("tlsconf: %q is not a valid certificate name", d)
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	zl := newZapLogger(logger)

	// The issuer is chosen before the cache exists, so that a bad CA or
	// roots file fails without starting certmagic's maintenance goroutine.
	var (
		issuer certmagic.Issuer = opts.issuer
		roots  *x509.CertPool
	)
	switch {
	case issuer != nil:
	case cfg.ACME != nil:
		if cfg.ACME.DirectoryURL == "" {
			return nil, errors.New("tlsconf: ACME: empty DirectoryURL")
		}
		if cfg.ACME.TrustedRootsFile != "" {
			var err error
			if roots, err = loadRoots(cfg.ACME.TrustedRootsFile); err != nil {
				return nil, err
			}
		}
	default:
		ca, err := LoadCA(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		issuer = ca
	}

	// cache and magic refer to each other: the cache asks which Config
	// manages a certificate, and a Config needs its cache. magic is set
	// before any certificate enters the cache, so the callback never sees
	// nil.
	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) {
			return magic, nil
		},
		RenewCheckInterval: opts.renewCheckInterval,
		Logger:             zl,
	})
	magic = certmagic.New(cache, certmagic.Config{
		// FileStorage, not a certmagic.Storage on top of Badger: certmagic
		// uses its storage (reads, renewal locks) the whole time the server
		// runs, and the server holds Badger's single-process lock all that
		// time, so certificates kept in Badger would be out of reach of
		// `xmppbox cert` commands and of any second process. Plain files
		// can be read by both at any time. FileStorage is also the
		// implementation certmagic itself tests, locking included. Never
		// nil: nil means ~/.local/share/certmagic.
		Storage: &certmagic.FileStorage{Path: filepath.Join(cfg.DataDir, "certs")},
		// Non-nil even for ACME (set below): a nil slice means Let's Encrypt.
		Issuers:           []certmagic.Issuer{},
		KeySource:         certmagic.StandardKeyGenerator{KeyType: certmagic.P256},
		DefaultServerName: cfg.Domains[0],
		// Our leaves carry no OCSP URL, and fetching staples from an ACME
		// CA would reach the network during maintenance.
		OCSP: certmagic.OCSPConfig{DisableStapling: true},
		// ACME Renewal Information is an ACME extension; the local CA has nothing to
		// ask, while an ACME CA that offers it may ask us to renew early.
		DisableARI: cfg.ACME == nil,
		Logger:     zl,
	})
	if issuer == nil {
		// NewACMEIssuer keeps the *Config it is given, so it must be the
		// one certmagic.New returned.
		issuer = certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
			CA:           cfg.ACME.DirectoryURL,
			Email:        cfg.ACME.Email,
			Agreed:       true,
			TrustedRoots: roots,
			// TLS-ALPN-01 needs the CA to reach our port 443 with ALPN
			// acme-tls/1, which our XMPP listeners do not offer. HTTP-01
			// stays: certmagic listens on port 80 while a challenge runs.
			DisableTLSALPNChallenge: true,
			Logger:                  zl,
		})
	}
	magic.Issuers = []certmagic.Issuer{issuer}

	// certmagic's TLSConfig offers only ALPN acme-tls/1 and no minimum
	// version; a XEP-0368 client offering xmpp-client would be refused
	// with "no application protocol".
	tc := magic.TLSConfig()
	tc.MinVersion = tls.VersionTLS12
	tc.NextProtos = []string{"xmpp-client", "xmpp-server"}

	return &Manager{cache: cache, magic: magic, tlsConfig: tc}, nil
}

func loadRoots(path string) (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: ACME trusted roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("tlsconf: ACME trusted roots: %s: no PEM certificates", path)
	}
	return pool, nil
}

// TLSConfig returns the server's TLS configuration: TLS 1.2 minimum, ALPN
// xmpp-client and xmpp-server (XEP-0368; clients that offer no ALPN are
// accepted too), and GetCertificate serving the managed certificates, renewed
// ones included, without a restart. Every call returns the same *tls.Config;
// it is shared by all listeners and must not be modified. A caller that
// needs different settings must Clone it.
func (m *Manager) TLSConfig() *tls.Config { return m.tlsConfig }

// Leaf returns the leaf certificate the Manager currently serves to a client
// that sends serverName as SNI; "" gives the certificate for clients that send
// none (the first of Config.Domains). It is meant for tls-server-end-point
// channel binding (RFC 5929), with serverName taken from
// tls.ConnectionState.ServerName. The certificate is shared: do not modify it.
//
// The lookup goes through certmagic's GetCertificate, the same selection a
// handshake uses. A renewal between a handshake and Leaf would return the new
// certificate; certmagic renews once every ~60 days, so the window is tiny,
// and a mismatch only makes that one SCRAM-PLUS login fail.
func (m *Manager) Leaf(serverName string) (*x509.Certificate, error) {
	hello := &tls.ClientHelloInfo{ServerName: serverName, Conn: noConn{}}
	cert, err := m.magic.GetCertificate(hello)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: leaf for %q: %w", serverName, err)
	}
	if cert == nil || cert.Leaf == nil {
		return nil, fmt.Errorf("tlsconf: leaf for %q: no certificate", serverName)
	}
	return cert.Leaf, nil
}

// noConn stands in for the connection of the ClientHelloInfo that Leaf
// builds. certmagic logs hello.Conn.RemoteAddr() when no certificate matches
// and would dereference a nil Conn; it calls nothing else on it. Any other
// method would panic on the nil embedded interface.
type noConn struct{ net.Conn }

func (noConn) LocalAddr() net.Addr  { return noAddr{} }
func (noConn) RemoteAddr() net.Addr { return noAddr{} }

// noAddr's empty String makes certmagic's match on the local IP address (for
// clients without SNI) find nothing, so it falls back to DefaultServerName
// as a real handshake does.
type noAddr struct{}

func (noAddr) Network() string { return "" }
func (noAddr) String() string  { return "" }

// Close stops background renewal. It is safe to call more than once
// (certmagic's Cache.Stop panics on a second call). After Close the
// TLSConfig still serves the certificates already loaded, but nothing is
// renewed. A renewal already running when Close is called is cancelled but
// may still be writing to DataDir/certs briefly; certmagic runs it on its
// own job queue, which Close cannot wait for.
func (m *Manager) Close() {
	m.closeOnce.Do(m.cache.Stop)
}
