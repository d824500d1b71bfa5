package s2s

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// verifyDomain checks that chain (leaf first, as TLS gives it) is a valid certificate for
// domain under roots (RFC 6125 DNS-ID; XEP-0178 §3). The leaf must be usable for server
// or client authentication: the same certificate proves a server's identity in both
// directions of server-to-server links.
func verifyDomain(chain []*x509.Certificate, domain string, roots *x509.CertPool, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("no certificate presented")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		DNSName:       domain,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return fmt.Errorf("certificate not valid for %s: %w", domain, err)
	}
	return nil
}
