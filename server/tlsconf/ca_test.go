package tlsconf

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// newTestCA creates a CA in a fresh directory and returns the directory.
func newTestCA(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := CreateCA(dir, "xmppbox local CA for example.test"); err != nil {
		t.Fatalf("CreateCA: %v", err)
	}
	return dir
}

func TestCreateCALoadCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // CreateCA makes the directory
	const cn = "xmppbox local CA for example.test"
	before := time.Now()
	if err := CreateCA(dir, cn); err != nil {
		t.Fatalf("CreateCA: %v", err)
	}

	for _, f := range []struct {
		name string
		want fs.FileMode
	}{
		{caKeyFile, 0o600},
		{caCertFile, 0o644},
	} {
		fi, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		// The umask may clear group/other bits but never adds any.
		if got := fi.Mode().Perm(); got&^f.want != 0 || got&0o600 != 0o600 {
			t.Errorf("%s mode = %v, want %v", f.name, got, f.want)
		}
	}

	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}
	c := ca.Certificate()
	if c.Subject.CommonName != cn {
		t.Errorf("CommonName = %q, want %q", c.Subject.CommonName, cn)
	}
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: IsCA=%v valid=%v MaxPathLen=%d zero=%v, want a CA with path length 0",
			c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; c.KeyUsage != want {
		t.Errorf("KeyUsage = %v, want %v", c.KeyUsage, want)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	if c.NotBefore.After(before) {
		t.Errorf("NotBefore %v is not backdated before %v", c.NotBefore, before)
	}
	if years := c.NotAfter.Sub(before).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("validity = %.2f years, want 10", years)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("root is not self-signed: %v", err)
	}

	onDisk, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.PEM(), onDisk) {
		t.Errorf("PEM() differs from %s", caCertFile)
	}
	p := ca.PEM()
	p[0] = 'X'
	if ca.PEM()[0] == 'X' {
		t.Error("PEM() returned the CA's own buffer")
	}

	again, err := LoadCA(dir)
	if err != nil {
		t.Fatalf("second LoadCA: %v", err)
	}
	if !again.Certificate().Equal(c) {
		t.Error("second LoadCA returned a different certificate")
	}
}

func TestCreateCARefusesToOverwrite(t *testing.T) {
	tests := []struct {
		name    string
		present []string
	}{
		{"both files", []string{caCertFile, caKeyFile}},
		{"certificate only", []string{caCertFile}},
		{"key only", []string{caKeyFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.present {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("keep me"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := CreateCA(dir, "second CA")
			if !errors.Is(err, fs.ErrExist) {
				t.Fatalf("CreateCA over existing files: err = %v, want one wrapping fs.ErrExist", err)
			}
			for _, f := range []string{caCertFile, caKeyFile} {
				got, err := os.ReadFile(filepath.Join(dir, f))
				switch {
				case errors.Is(err, fs.ErrNotExist):
					for _, p := range tt.present {
						if p == f {
							t.Errorf("%s was removed", f)
						}
					}
				case err != nil:
					t.Fatal(err)
				case string(got) != "keep me":
					t.Errorf("%s was written", f)
				}
			}
		})
	}

	t.Run("existing CA", func(t *testing.T) {
		dir := newTestCA(t)
		ca, err := LoadCA(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := CreateCA(dir, "second CA"); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("err = %v, want fs.ErrExist", err)
		}
		after, err := LoadCA(dir)
		if err != nil {
			t.Fatal(err)
		}
		if after.Fingerprint() != ca.Fingerprint() {
			t.Error("the CA changed")
		}
	})
}

func TestLoadCA(t *testing.T) {
	// pkcs8 rewrites dir's key as a PKCS #8 "PRIVATE KEY" block, as openssl
	// writes it.
	pkcs8 := func(t *testing.T, dir string) {
		ca, err := LoadCA(dir)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(ca.key)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, caKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	tests := []struct {
		name    string
		modify  func(t *testing.T, dir string)
		wantErr string
		wantIs  error
	}{
		{name: "EC PRIVATE KEY", modify: func(*testing.T, string) {}},
		{name: "PKCS8 key", modify: pkcs8},
		{
			name:   "missing certificate",
			modify: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, caCertFile)) },
			wantIs: fs.ErrNotExist,
		},
		{
			name:   "missing key",
			modify: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, caKeyFile)) },
			wantIs: fs.ErrNotExist,
		},
		{
			name: "key of another CA",
			modify: func(t *testing.T, dir string) {
				other := newTestCA(t)
				key, err := os.ReadFile(filepath.Join(other, caKeyFile))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, caKeyFile), key)
			},
			wantErr: "does not match",
		},
		{
			name:    "garbage certificate",
			modify:  func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, caCertFile), []byte("nope")) },
			wantErr: "no CERTIFICATE block",
		},
		{
			name:    "garbage key",
			modify:  func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, caKeyFile), []byte("nope")) },
			wantErr: "no PEM block",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newTestCA(t)
			tt.modify(t, dir)
			ca, err := LoadCA(dir)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want one wrapping %v", err, tt.wantIs)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("LoadCA: %v", err)
			case ca.Certificate() == nil:
				t.Fatal("no certificate")
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	ca, err := LoadCA(newTestCA(t))
	if err != nil {
		t.Fatal(err)
	}
	fp := ca.Fingerprint()
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(fp) {
		t.Fatalf("Fingerprint() = %q, want 32 upper-case hex pairs joined by colons", fp)
	}
	sum := sha256.Sum256(ca.Certificate().Raw)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(fp, ":", "") != want {
		t.Errorf("Fingerprint() = %s, want SHA-256 of the DER %s", fp, want)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
