package tlsconf

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/certmagic"
)

var _ certmagic.Issuer = (*CA)(nil)

// issuerKey names the local CA in certmagic's storage: leaf certificates live
// under certs/certificates/<issuerKey>/<name>/. Changing it orphans every
// stored certificate (certmagic would no longer find them and would issue
// new ones), so treat it as part of the on-disk format.
const issuerKey = "xmppbox-local-ca"

// leafLifetime is the validity of a leaf certificate. 90 days, as public CAs
// do: certmagic renews when a third is left, so a box that was switched off
// for up to two months still comes back with a valid certificate.
const leafLifetime = 90 * 24 * time.Hour

// IssuerKey implements certmagic.Issuer.
func (ca *CA) IssuerKey() string { return issuerKey }

// Issue implements certmagic.Issuer: it signs a leaf certificate for the
// CSR's DNS names with the CA's key. certmagic calls it once per name (each
// CSR carries one DNSNames entry and no CommonName). The returned chain is
// the leaf followed by the root.
func (ca *CA) Issue(ctx context.Context, csr *x509.CertificateRequest) (*certmagic.IssuedCertificate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tlsconf: issue: %w", err)
	}
	return ca.issue(csr, leafLifetime)
}

// issue signs csr for lifetime (counted from now; NotBefore is backdated by
// clockSkew on top). Tests call it with a short lifetime to drive renewal.
func (ca *CA) issue(csr *x509.CertificateRequest, lifetime time.Duration) (*certmagic.IssuedCertificate, error) {
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("tlsconf: issue: CSR signature: %w", err)
	}
	if len(csr.DNSNames) == 0 {
		return nil, errors.New("tlsconf: issue: CSR has no DNS names")
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("tlsconf: issue: %w", err)
	}
	now := time.Now()
	notAfter := now.Add(lifetime)
	if notAfter.After(ca.cert.NotAfter) {
		// A leaf may not outlive its root; clients would reject the chain.
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		DNSNames:     csr.DNSNames,
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// ClientAuth too: on server-to-server links we are the TLS client,
		// and the peer checks this same certificate (SASL EXTERNAL, XEP-0178).
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, csr.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: issue %v: %w", csr.DNSNames, err)
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	chain = append(chain, ca.certPEM...)
	return &certmagic.IssuedCertificate{Certificate: chain}, nil
}
