package tlsconf

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"
)

func newCSR(t *testing.T, names ...string) *x509.CertificateRequest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

// parseChain decodes every CERTIFICATE block of a PEM chain.
func parseChain(t *testing.T, chain []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, chain = pem.Decode(chain)
		if block == nil {
			return certs
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
}

func TestIssue(t *testing.T) {
	ca, err := LoadCA(newTestCA(t))
	if err != nil {
		t.Fatal(err)
	}
	if ca.IssuerKey() != "xmppbox-local-ca" {
		t.Errorf("IssuerKey() = %q", ca.IssuerKey())
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())

	tests := []struct {
		name  string
		names []string
	}{
		{"domain", []string{"example.test"}},
		{"service subdomain", []string{"conference.example.test"}},
		{"several names", []string{"example.test", "upload.example.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			ic, err := ca.Issue(context.Background(), newCSR(t, tt.names...))
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			chain := parseChain(t, ic.Certificate)
			if len(chain) != 2 || !chain[1].Equal(ca.Certificate()) {
				t.Fatalf("chain has %d certificates, want leaf then root", len(chain))
			}
			leaf := chain[0]
			if !slices.Equal(leaf.DNSNames, tt.names) {
				t.Errorf("DNSNames = %v, want %v", leaf.DNSNames, tt.names)
			}
			if leaf.IsCA {
				t.Error("leaf is a CA")
			}
			if got := before.Sub(leaf.NotBefore); got < clockSkew-time.Second || got > clockSkew+time.Minute {
				t.Errorf("NotBefore backdated by %v, want %v", got, clockSkew)
			}
			if got := leaf.NotAfter.Sub(before); got < 90*24*time.Hour-time.Minute || got > 90*24*time.Hour+time.Minute {
				t.Errorf("lifetime from now = %v, want 90 days", got)
			}
			for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
				_, err := leaf.Verify(x509.VerifyOptions{
					DNSName:   tt.names[0],
					Roots:     roots,
					KeyUsages: []x509.ExtKeyUsage{usage},
				})
				if err != nil {
					t.Errorf("verify for usage %v: %v", usage, err)
				}
			}
		})
	}

	t.Run("bad CSR signature", func(t *testing.T) {
		csr := newCSR(t, "example.test")
		csr.Signature[len(csr.Signature)-1] ^= 1
		if _, err := ca.Issue(context.Background(), csr); err == nil {
			t.Fatal("Issue accepted a CSR with a bad signature")
		}
	})
	t.Run("no names", func(t *testing.T) {
		if _, err := ca.Issue(context.Background(), newCSR(t)); err == nil {
			t.Fatal("Issue accepted a CSR without DNS names")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ca.Issue(ctx, newCSR(t, "example.test")); err == nil {
			t.Fatal("Issue ignored a cancelled context")
		}
	})
}
