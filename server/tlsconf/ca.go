package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names of the root CA inside its directory.
const (
	caCertFile = "ca.crt"
	caKeyFile  = "ca.key"
)

// caLifetime is the root's validity. Ten years: clients import the root once,
// and replacing it means visiting every device again.
const caLifetime = 10 * 365 * 24 * time.Hour

// clockSkew backdates NotBefore of every certificate we sign, so a client
// whose clock is a little behind ours does not see a certificate from the
// future.
const clockSkew = 5 * time.Minute

// CA is the local root certificate authority. It signs the server's leaf
// certificates as a certmagic.Issuer. A CA is immutable after
// LoadCA and safe for concurrent use.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// CreateCA writes a new ECDSA P-256 root CA, valid for 10 years, to
// dir/ca.crt (mode 0644) and dir/ca.key (mode 0600), creating dir (0700) if
// needed. commonName names the CA in clients' trust stores, e.g. "xmppbox
// local CA for example.org".
//
// CreateCA never overwrites: if either file exists it returns an error
// wrapping fs.ErrExist and changes nothing, because replacing the root would
// silently break every client that trusts the old one.
func CreateCA(dir, commonName string) error {
	if strings.TrimSpace(commonName) == "" {
		return errors.New("tlsconf: create CA: empty common name")
	}
	certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("tlsconf: create CA: %s: %w", p, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tlsconf: create CA: %w", err)
		}
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("tlsconf: create CA: generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return fmt.Errorf("tlsconf: create CA: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"xmppbox"}},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(caLifetime),
		IsCA:         true,
		// MaxPathLen 0: the root signs leaves only, never an intermediate,
		// so a leaked leaf key can never be turned into a signing CA.
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("tlsconf: create CA: sign root: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("tlsconf: create CA: encode key: %w", err)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsconf: create CA: %w", err)
	}
	// The key goes first: if writing the certificate then fails, no
	// certificate exists without its key. O_EXCL closes the race with a
	// concurrent CreateCA between the checks above and here.
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := writeNew(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("tlsconf: create CA: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeNew(certPath, certPEM, 0o644); err != nil {
		os.Remove(keyPath)
		return fmt.Errorf("tlsconf: create CA: %w", err)
	}
	return nil
}

// writeNew creates path with perm, failing with fs.ErrExist if it exists,
// and syncs it: losing the CA key in a power cut would orphan every client.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// LoadCA reads the root CA written by CreateCA from dir. The key may be an
// "EC PRIVATE KEY" (SEC 1) or a PKCS #8 "PRIVATE KEY" block, so a root made
// with openssl can be used too. A missing file gives an error wrapping
// fs.ErrNotExist. The key must match the certificate, and the certificate
// must be a CA.
func LoadCA(dir string) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load CA: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load CA: %w", err)
	}

	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("tlsconf: load CA: %s: no CERTIFICATE block", caCertFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load CA: %s: %w", caCertFile, err)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, fmt.Errorf("tlsconf: load CA: %s is not a CA certificate", caCertFile)
	}

	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load CA: %s: %w", caKeyFile, err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("tlsconf: load CA: %s does not match %s", caKeyFile, caCertFile)
	}

	return &CA{
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		key:     key,
	}, nil
}

func parseKey(keyPEM []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", k)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
	}
}

// Certificate returns the root certificate. The caller must not modify it.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// PEM returns the root certificate PEM-encoded, as clients import it. The
// caller gets its own copy.
func (ca *CA) PEM() []byte { return append([]byte(nil), ca.certPEM...) }

// Fingerprint returns the SHA-256 of the root certificate's DER encoding as
// upper-case hex pairs separated by colons ("AB:01:…", 95 characters), the
// form browsers and openssl x509 -fingerprint -sha256 show.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(sum)*3 - 1)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// randomSerial returns a positive 127-bit serial number; RFC 5280 §4.1.2.2
// allows up to 20 octets, and CA/B Forum rules ask for at least 64 random bits.
func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil // never 0
}
