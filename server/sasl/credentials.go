package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"log/slog"

	"golang.org/x/text/secure/precis"
)

// MinIterations is the smallest PBKDF2 iteration count NewCredentials uses (RFC 7677 §4 asks
// for at least 4096). Decoy secrets for unknown users announce it too, so accounts created
// with it cannot be told apart from missing ones by the count.
const MinIterations = 4096

// saltBytes is the length of each random salt (RFC 5802 leaves it open; 16 bytes is
// what RFC 7677's example and most servers use).
const saltBytes = 16

// redacted replaces every secret in logs and formatted output.
const redacted = "REDACTED"

// Secret is the SCRAM verifier for one hash function (RFC 5802 §3): what the server
// stores instead of the password.
type Secret struct {
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iter"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
}

// Credentials holds one Secret per SCRAM hash an account can log in with.
type Credentials struct {
	SHA1   Secret `json:"sha1"`
	SHA256 Secret `json:"sha256"`
	SHA512 Secret `json:"sha512"`
}

// LogValue keeps the verifier out of logs: StoredKey and ServerKey are password
// equivalents for an offline guessing attack, and ServerKey lets its holder impersonate
// the server.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// String returns "REDACTED".
func (Secret) String() string { return redacted }

// Format prints "REDACTED" for every verb, so fmt never shows the keys (%d or %x would
// otherwise bypass String).
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue returns "REDACTED"; see Secret.LogValue.
func (Credentials) LogValue() slog.Value { return slog.StringValue(redacted) }

// String returns "REDACTED".
func (Credentials) String() string { return redacted }

// Format prints "REDACTED" for every verb.
func (Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// NewCredentials derives the SCRAM verifiers for password with a fresh random 16-byte salt
// per hash. The password is prepared with PRECIS OpaqueString (RFC 8265 §4.2), as XMPP
// clients prepare it (RFC 6120 §6.3.8); an empty password or one with control characters
// is refused. iterations below MinIterations become MinIterations. The password does not
// appear in the error.
func NewCredentials(password string, iterations int) (Credentials, error) {
	prepared, err := precis.OpaqueString.String(password)
	if err != nil {
		return Credentials{}, fmt.Errorf("sasl: password not acceptable: %w", err)
	}
	iterations = max(iterations, MinIterations)
	var c Credentials
	for _, h := range []hashID{hashSHA1, hashSHA256, hashSHA512} {
		salt := make([]byte, saltBytes)
		_, _ = rand.Read(salt) // never fails since Go 1.24; it crashes the program instead
		s, err := newSecret(h.newHash, prepared, salt, iterations)
		if err != nil {
			return Credentials{}, fmt.Errorf("sasl: %s secret: %w", h, err)
		}
		*h.field(&c) = s
	}
	return c, nil
}

// VerifyPassword reports whether password matches, for PLAIN and the web login. It
// recomputes the SHA-256 verifier from the stored salt and count (falling back to SHA-512,
// then SHA-1, for accounts without one) and compares StoredKey in constant time. SHA-256 is
// the cheapest of the strong ones on 32-bit boards, and all three come from one password.
func (c Credentials) VerifyPassword(password string) bool {
	prepared, err := precis.OpaqueString.String(password)
	if err != nil {
		return false
	}
	for _, h := range []hashID{hashSHA256, hashSHA512, hashSHA1} {
		s := *h.field(&c)
		if !s.usable(h) {
			continue
		}
		got, err := newSecret(h.newHash, prepared, s.Salt, s.Iterations)
		if err != nil {
			return false
		}
		return hmac.Equal(got.StoredKey, s.StoredKey)
	}
	return false
}

// usable reports whether s is complete for hash h; anything else is treated like a
// missing account rather than trusted.
func (s Secret) usable(h hashID) bool {
	size := h.newHash().Size()
	return len(s.Salt) > 0 && s.Iterations > 0 && len(s.StoredKey) == size && len(s.ServerKey) == size
}

// newSecret computes the RFC 5802 §3 verifier for an already prepared password.
func newSecret(newHash func() hash.Hash, prepared string, salt []byte, iterations int) (Secret, error) {
	salted, err := pbkdf2.Key(newHash, prepared, salt, iterations, newHash().Size())
	if err != nil {
		return Secret{}, fmt.Errorf("pbkdf2: %w", err)
	}
	clientKey := hmacSum(newHash, salted, "Client Key")
	stored := newHash()
	stored.Write(clientKey)
	return Secret{
		Salt:       append([]byte(nil), salt...),
		Iterations: iterations,
		StoredKey:  stored.Sum(nil),
		ServerKey:  hmacSum(newHash, salted, "Server Key"),
	}, nil
}

func hmacSum(newHash func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(newHash, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// decoyKey keys the salts of decoy secrets. It is drawn once per process and never
// changes, so an unknown user is offered the same salt on every attempt, as a real one is;
// being secret, it keeps a client from predicting the decoy salt and so learning that the
// account does not exist. It is written only during package initialisation.
var decoyKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// decoySecret is what an unknown (or unusable) account looks like: a salt stable per
// hash and username, MinIterations, and zero keys that no proof can match.
func decoySecret(h hashID, username string) Secret {
	m := hmac.New(sha256.New, decoyKey)
	m.Write([]byte(h.String()))
	m.Write([]byte{0})
	m.Write([]byte(username))
	size := h.newHash().Size()
	return Secret{
		Salt:       m.Sum(nil)[:saltBytes],
		Iterations: MinIterations,
		StoredKey:  make([]byte, size),
		ServerKey:  make([]byte, size),
	}
}
