package sasl

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/xdg-go/scram"
)

func TestNewCredentials(t *testing.T) {
	tests := []struct {
		name       string
		password   string
		iterations int
		wantIter   int
		wantErr    bool
	}{
		{name: "ascii", password: "pencil", iterations: MinIterations, wantIter: MinIterations},
		{name: "zero iterations", password: "pencil", iterations: 0, wantIter: MinIterations},
		{name: "negative iterations", password: "pencil", iterations: -1, wantIter: MinIterations},
		{name: "too few iterations", password: "pencil", iterations: 1000, wantIter: MinIterations},
		{name: "more iterations", password: "pencil", iterations: 5000, wantIter: 5000},
		{name: "spaces", password: "correct horse battery staple", iterations: 0, wantIter: MinIterations},
		{name: "one space", password: " ", iterations: 0, wantIter: MinIterations},
		{name: "non-ascii", password: "Ünïcödé ✓ пароль", iterations: 0, wantIter: MinIterations},
		{name: "empty", password: "", wantErr: true},
		{name: "nul", password: "pen\x00cil", wantErr: true},
		{name: "control character", password: "pen\acil", wantErr: true},
		{name: "newline", password: "pencil\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCredentials(tt.password, tt.iterations)
			if tt.wantErr {
				if err == nil {
					t.Fatal("NewCredentials succeeded, want an error")
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Errorf("error %q contains the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewCredentials: %v", err)
			}
			salts := map[string]bool{}
			for _, h := range []hashID{hashSHA1, hashSHA256, hashSHA512} {
				s := *h.field(&c)
				if !s.usable(h) {
					t.Errorf("%s secret incomplete", h)
				}
				if len(s.Salt) != saltBytes {
					t.Errorf("%s salt has %d bytes, want %d", h, len(s.Salt), saltBytes)
				}
				if s.Iterations != tt.wantIter {
					t.Errorf("%s iterations %d, want %d", h, s.Iterations, tt.wantIter)
				}
				salts[string(s.Salt)] = true
			}
			if len(salts) != 3 {
				t.Error("the three hashes share a salt")
			}
			if !c.VerifyPassword(tt.password) {
				t.Error("VerifyPassword rejects the password")
			}
			if c.VerifyPassword(tt.password + "x") {
				t.Error("VerifyPassword accepts a different password")
			}
		})
	}
}

func TestNewCredentialsSaltsDiffer(t *testing.T) {
	a, err := NewCredentials("pencil", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCredentials("pencil", 0)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.SHA256.Salt, b.SHA256.Salt) || bytes.Equal(a.SHA256.StoredKey, b.SHA256.StoredKey) {
		t.Error("two calls with one password gave the same salt or key")
	}
}

// TestNewSecretMatchesRFCClient checks the derivation against xdg's client, which derives
// the same values its own way, on the RFC 5802 and RFC 7677 salts.
func TestNewSecretMatchesRFCClient(t *testing.T) {
	tests := []struct {
		name   string
		hash   hashID
		salt64 string
	}{
		{name: "RFC 5802 SHA-1", hash: hashSHA1, salt64: "QSXCR+Q6sek8bf92"},
		{name: "RFC 7677 SHA-256", hash: hashSHA256, salt64: "W22ZaJ0SNY7soEsUEjb6gQ=="},
		{name: "SHA-512", hash: hashSHA512, salt64: "W22ZaJ0SNY7soEsUEjb6gQ=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, _ := base64.StdEncoding.DecodeString(tt.salt64)
			got, err := newSecret(tt.hash.newHash, "pencil", salt, 4096)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := tt.hash.scram().NewClient("user", "pencil", "")
			if err != nil {
				t.Fatal(err)
			}
			want := cl.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: 4096})
			if !bytes.Equal(got.StoredKey, want.StoredKey) || !bytes.Equal(got.ServerKey, want.ServerKey) {
				t.Errorf("keys differ from xdg's client")
			}
		})
	}
}

func TestVerifyPassword(t *testing.T) {
	c, err := NewCredentials("\u00e9t\u00e9 pass", 0) // precomposed é
	if err != nil {
		t.Fatal(err)
	}
	onlySHA1 := Credentials{SHA1: c.SHA1}
	noIterations := c
	noIterations.SHA256.Iterations = 0
	noIterations.SHA512 = Secret{}
	noIterations.SHA1 = Secret{}

	tests := []struct {
		name     string
		creds    Credentials
		password string
		want     bool
	}{
		{name: "same", creds: c, password: "\u00e9t\u00e9 pass", want: true},
		{name: "decomposed form (NFC)", creds: c, password: "e\u0301te\u0301 pass", want: true},
		{name: "ideographic space maps to space", creds: c, password: "\u00e9t\u00e9\u3000pass", want: true},
		{name: "case matters", creds: c, password: "\u00c9t\u00e9 pass", want: false},
		{name: "wrong", creds: c, password: "ete pass", want: false},
		{name: "empty", creds: c, password: "", want: false},
		{name: "control character", creds: c, password: "\u00e9t\u00e9 pass\a", want: false},
		{name: "only SHA-1 stored", creds: onlySHA1, password: "\u00e9t\u00e9 pass", want: true},
		{name: "only SHA-1 stored, wrong", creds: onlySHA1, password: "x", want: false},
		{name: "nothing stored", creds: Credentials{}, password: "\u00e9t\u00e9 pass", want: false},
		{name: "broken secret", creds: noIterations, password: "\u00e9t\u00e9 pass", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.creds.VerifyPassword(tt.password); got != tt.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	c, err := NewCredentials("pencil", 0)
	if err != nil {
		t.Fatal(err)
	}
	var leaks []string
	for _, s := range []Secret{c.SHA1, c.SHA256, c.SHA512} {
		for _, b := range [][]byte{s.Salt, s.StoredKey, s.ServerKey} {
			leaks = append(leaks, base64.StdEncoding.EncodeToString(b), fmt.Sprintf("%x", b), fmt.Sprint(b))
		}
	}
	check := func(t *testing.T, out string) {
		t.Helper()
		if !strings.Contains(out, redacted) {
			t.Errorf("output %q lacks %q", out, redacted)
		}
		for _, l := range leaks {
			if strings.Contains(out, l) {
				t.Fatalf("output %q contains secret material %q", out, l)
			}
		}
	}

	t.Run("slog", func(t *testing.T) {
		for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		} {
			var buf bytes.Buffer
			log := slog.New(newHandler(&buf))
			log.Info("login", "creds", c, "secret", c.SHA256, slog.Group("g", "ptr", &c))
			check(t, buf.String())
		}
	})
	t.Run("fmt", func(t *testing.T) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
			for _, v := range []any{c, c.SHA512, &c, []Secret{c.SHA1}} {
				out := fmt.Sprintf(verb, v)
				check(t, out)
			}
		}
	})
}

func TestCredentialsJSON(t *testing.T) {
	c, err := NewCredentials("pencil", 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"sha1":`, `"sha256":`, `"sha512":`, `"salt":`, `"iter":4096`, `"stored_key":`, `"server_key":`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	var back Credentials
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !back.VerifyPassword("pencil") {
		t.Error("credentials do not survive a JSON round trip")
	}
}

func TestDecoySecret(t *testing.T) {
	a := decoySecret(hashSHA256, "nobody")
	b := decoySecret(hashSHA256, "nobody")
	if !bytes.Equal(a.Salt, b.Salt) {
		t.Error("decoy salt is not stable for one username")
	}
	if bytes.Equal(a.Salt, decoySecret(hashSHA256, "nobody2").Salt) || bytes.Equal(a.Salt, decoySecret(hashSHA1, "nobody").Salt) {
		t.Error("decoy salt does not depend on username and hash")
	}
	if len(a.Salt) != saltBytes || a.Iterations != MinIterations || !a.usable(hashSHA256) {
		t.Errorf("decoy does not look like a real secret: %d-byte salt, %d iterations", len(a.Salt), a.Iterations)
	}
	// The decoy keys must not be reachable by any password: the stored key is zero, and
	// SHA-256 of a client key would have to be zero.
	if (Credentials{SHA256: a}).VerifyPassword("") || bytes.Count(a.StoredKey, []byte{0}) != sha256.Size {
		t.Error("decoy stored key is not all zero")
	}
}
