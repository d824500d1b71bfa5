package sasl

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/xdg-go/scram"
	msasl "mellium.im/sasl"
)

// TestRFCVectors replays the published exchanges byte for byte: the test client and the
// server both run with the RFC's nonces, and every message must equal the RFC's.
func TestRFCVectors(t *testing.T) {
	tests := []struct {
		name                                               string
		mech                                               string
		hash                                               hashID
		salt64                                             string
		clientNonce, serverNonce                           string
		clientFirst, serverFirst, clientFinal, serverFinal string
	}{
		{
			name: "RFC 5802 §5", mech: "SCRAM-SHA-1", hash: hashSHA1,
			salt64: "QSXCR+Q6sek8bf92", clientNonce: "fyko+d2lbbFgONRv9qkxdawL", serverNonce: "3rfcNHYJY1ZVvWVs7j",
			clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			name: "RFC 7677 §3", mech: "SCRAM-SHA-256", hash: hashSHA256,
			salt64: "W22ZaJ0SNY7soEsUEjb6gQ==", clientNonce: "rOprNGfwEbeRWgbNEkqO", serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
			clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, err := base64.StdEncoding.DecodeString(tt.salt64)
			if err != nil {
				t.Fatal(err)
			}
			secret, err := newSecret(tt.hash.newHash, "pencil", salt, 4096)
			if err != nil {
				t.Fatal(err)
			}
			var creds Credentials
			*tt.hash.field(&creds) = secret
			store := &accounts{creds: map[string]Credentials{"user": creds}}

			conv, err := NewConversation(tt.mech, Binding{}, store.lookup)
			if err != nil {
				t.Fatal(err)
			}
			conv.nonceGen = func() string { return tt.serverNonce }
			cl := &scramClient{newHash: tt.hash.newHash, user: "user", password: "pencil", flag: "n", nonce: tt.clientNonce}

			c1 := cl.first()
			equal(t, "client-first", string(c1), tt.clientFirst)
			s1, done, err := conv.Step(t.Context(), c1)
			if err != nil || done {
				t.Fatalf("server-first: done=%v err=%v", done, err)
			}
			equal(t, "server-first", string(s1), tt.serverFirst)
			c2, err := cl.final(s1)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "client-final", string(c2), tt.clientFinal)
			s2, done, err := conv.Step(t.Context(), c2)
			if err != nil || !done {
				t.Fatalf("server-final: done=%v err=%v", done, err)
			}
			equal(t, "server-final", string(s2), tt.serverFinal)
			if err := cl.verify(s2); err != nil {
				t.Fatal(err)
			}
			if conv.Username() != "user" || conv.AuthzID() != "" {
				t.Errorf("Username %q AuthzID %q", conv.Username(), conv.AuthzID())
			}

			// The same exchange with one bit of the proof flipped must fail.
			bad, err := NewConversation(tt.mech, Binding{}, store.lookup)
			if err != nil {
				t.Fatal(err)
			}
			bad.nonceGen = conv.nonceGen
			if _, _, err := bad.Step(t.Context(), []byte(tt.clientFirst)); err != nil {
				t.Fatal(err)
			}
			proof, _ := base64.StdEncoding.DecodeString(tt.clientFinal[strings.LastIndex(tt.clientFinal, "p=")+2:])
			proof[0] ^= 1
			flipped := tt.clientFinal[:strings.LastIndex(tt.clientFinal, "p=")+2] + base64.StdEncoding.EncodeToString(proof)
			out, done, err := bad.Step(t.Context(), []byte(flipped))
			wantErr(t, "flipped proof", err, ErrAuthFailed)
			if out != nil || !done {
				t.Errorf("failure returned out=%q done=%v", out, done)
			}
		})
	}
}

func equal(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// client is one side of a SCRAM exchange under test.
type client interface {
	first() ([]byte, error)
	final(serverFirst []byte) ([]byte, error)
	verify(serverFinal []byte) error
}

// mellium adapts the mellium.im/sasl client negotiator.
type mellium struct{ n *msasl.Negotiator }

func (m mellium) first() ([]byte, error) {
	_, resp, err := m.n.Step(nil)
	return resp, err
}

func (m mellium) final(s1 []byte) ([]byte, error) {
	_, resp, err := m.n.Step(s1)
	return resp, err
}

func (m mellium) verify(s2 []byte) error {
	more, _, err := m.n.Step(s2)
	if err == nil && more {
		err = errors.New("mellium wants more steps")
	}
	return err
}

func newMellium(mech msasl.Mechanism, user, password string, p *tlsPair, offered []string) mellium {
	opts := []msasl.Option{
		msasl.Credentials(func() ([]byte, []byte, []byte) { return []byte(user), []byte(password), nil }),
		msasl.RemoteMechanisms(offered...),
	}
	if p != nil {
		opts = append(opts, msasl.TLSState(p.client))
	}
	return mellium{msasl.NewClient(mech, opts...)}
}

// rfc adapts scramClient.
type rfc struct{ *scramClient }

func (r rfc) first() ([]byte, error) { return r.scramClient.first(), nil }

// exchange runs a SCRAM exchange. It returns at which server step ("first" or "final")
// the server failed, and the error; on success it checks that the client accepts the
// server's signature.
func exchange(t *testing.T, conv *Conversation, cl client) (string, error) {
	t.Helper()
	c1, err := cl.first()
	if err != nil {
		t.Fatalf("client-first: %v", err)
	}
	s1, done, err := conv.Step(t.Context(), c1)
	if err != nil {
		if s1 != nil || !done {
			t.Errorf("failed step returned out=%q done=%v", s1, done)
		}
		return "first", err
	}
	if done {
		t.Fatal("server done after client-first")
	}
	c2, err := cl.final(s1)
	if err != nil {
		t.Fatalf("client-final: %v", err)
	}
	s2, done, err := conv.Step(t.Context(), c2)
	if err != nil {
		if s2 != nil || !done {
			t.Errorf("failed step returned out=%q done=%v", s2, done)
		}
		return "final", err
	}
	if !done {
		t.Fatal("server not done after client-final")
	}
	if err := cl.verify(s2); err != nil {
		t.Fatalf("client rejects server-final: %v", err)
	}
	return "", nil
}

func hashOf(mech string) func() hash.Hash {
	switch {
	case strings.HasPrefix(mech, "SCRAM-SHA-1"):
		return sha1.New
	case strings.HasPrefix(mech, "SCRAM-SHA-512"):
		return sha512.New
	}
	return sha256.New
}

func exporterData(t *testing.T, cs tls.ConnectionState) []byte {
	t.Helper()
	d, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func endPointData(t *testing.T, cs tls.ConnectionState) []byte {
	t.Helper()
	cb, err := scram.NewTLSServerEndpointBinding(&cs) // the client's view: hash of the peer's leaf
	if err != nil {
		t.Fatal(err)
	}
	return cb.Data
}

func flip(b []byte) []byte {
	b = slices.Clone(b)
	b[len(b)-1] ^= 1
	return b
}

// TestSCRAMConversations runs whole exchanges for the six SCRAM mechanisms against
// mellium.im/sasl (SCRAM-SHA-1/256 and their -PLUS with tls-exporter, which is what v0.3.2
// implements) and the RFC test client (SCRAM-SHA-512, tls-server-end-point, odd flags),
// with channel binding data from real TLS connections on 127.0.0.1.
func TestSCRAMConversations(t *testing.T) {
	const none = 0
	type mkClient func(t *testing.T, p *tlsPair, offered []string) client
	melliumClient := func(mech msasl.Mechanism, user, password string) mkClient {
		return func(t *testing.T, p *tlsPair, offered []string) client {
			return newMellium(mech, user, password, p, offered)
		}
	}
	rfcClient := func(mech, flag, user, password string, cb func(*testing.T, *tlsPair) []byte) mkClient {
		return func(t *testing.T, p *tlsPair, _ []string) client {
			sc := &scramClient{newHash: hashOf(mech), user: user, password: password, flag: flag}
			if cb != nil {
				sc.cbData = cb(t, p)
			}
			return rfc{sc}
		}
	}
	exporter := func(t *testing.T, p *tlsPair) []byte { return exporterData(t, p.client) }
	endPoint := func(t *testing.T, p *tlsPair) []byte { return endPointData(t, p.client) }
	otherConnExporter := func(t *testing.T, _ *tlsPair) []byte {
		return exporterData(t, handshake(t, tls.VersionTLS13, x509.ECDSAWithSHA256).client)
	}

	tests := []struct {
		name      string
		mech      string
		version   uint16 // 0: no TLS
		sigAlg    x509.SignatureAlgorithm
		noLeaf    bool // Binding without Leaf: no tls-server-end-point
		client    mkClient
		wantErr   error
		wantStage string
	}{
		// Success.
		{name: "SHA-1 mellium plain TCP", mech: "SCRAM-SHA-1", client: melliumClient(msasl.ScramSha1, "alice", "pencil")},
		{name: "SHA-256 mellium plain TCP", mech: "SCRAM-SHA-256", client: melliumClient(msasl.ScramSha256, "alice", "pencil")},
		{name: "SHA-512 rfc client plain TCP", mech: "SCRAM-SHA-512", client: rfcClient("SCRAM-SHA-512", "n", "alice", "pencil", nil)},
		{name: "SHA-1-PLUS mellium tls-exporter TLS 1.3", mech: "SCRAM-SHA-1-PLUS", version: tls.VersionTLS13,
			client: melliumClient(msasl.ScramSha1Plus, "alice", "pencil")},
		{name: "SHA-256-PLUS mellium tls-exporter TLS 1.3", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13,
			client: melliumClient(msasl.ScramSha256Plus, "alice", "pencil")},
		{name: "SHA-256-PLUS mellium tls-exporter TLS 1.3 no leaf", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13, noLeaf: true,
			client: melliumClient(msasl.ScramSha256Plus, "alice", "pencil")},
		{name: "SHA-512-PLUS rfc client tls-exporter TLS 1.3", mech: "SCRAM-SHA-512-PLUS", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-512-PLUS", "p=tls-exporter", "alice", "pencil", exporter)},
		{name: "SHA-256-PLUS rfc client tls-server-end-point TLS 1.2", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS12,
			client: rfcClient("SCRAM-SHA-256-PLUS", "p=tls-server-end-point", "alice", "pencil", endPoint)},
		{name: "SHA-1-PLUS rfc client tls-server-end-point TLS 1.2", mech: "SCRAM-SHA-1-PLUS", version: tls.VersionTLS12,
			client: rfcClient("SCRAM-SHA-1-PLUS", "p=tls-server-end-point", "alice", "pencil", endPoint)},
		{name: "SHA-256-PLUS tls-server-end-point ECDSA-SHA384 certificate", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS12,
			sigAlg: x509.ECDSAWithSHA384, client: rfcClient("SCRAM-SHA-256-PLUS", "p=tls-server-end-point", "alice", "pencil", endPoint)},
		{name: "SHA-512-PLUS rfc client tls-server-end-point TLS 1.3", mech: "SCRAM-SHA-512-PLUS", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-512-PLUS", "p=tls-server-end-point", "alice", "pencil", endPoint)},
		{name: "SHA-256 mellium n while PLUS offered", mech: "SCRAM-SHA-256", version: tls.VersionTLS13,
			client: melliumClient(msasl.ScramSha256, "alice", "pencil")},
		{name: "SHA-512 rfc client n while PLUS offered", mech: "SCRAM-SHA-512", version: tls.VersionTLS12,
			client: rfcClient("SCRAM-SHA-512", "n", "alice", "pencil", nil)},
		{name: "SHA-512 y without TLS", mech: "SCRAM-SHA-512", client: rfcClient("SCRAM-SHA-512", "y", "alice", "pencil", nil)},
		{name: "SHA-256 y on TLS 1.2 without binding", mech: "SCRAM-SHA-256", version: tls.VersionTLS12, noLeaf: true,
			client: rfcClient("SCRAM-SHA-256", "y", "alice", "pencil", nil)},
		{name: "username case-mapped", mech: "SCRAM-SHA-256", client: melliumClient(msasl.ScramSha256, "ALICE", "pencil")},

		// Channel binding and downgrade failures.
		{name: "flipped tls-exporter", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13,
			client:  rfcClient("SCRAM-SHA-256-PLUS", "p=tls-exporter", "alice", "pencil", func(t *testing.T, p *tlsPair) []byte { return flip(exporter(t, p)) }),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "tls-exporter of another connection", mech: "SCRAM-SHA-512-PLUS", version: tls.VersionTLS13,
			client:  rfcClient("SCRAM-SHA-512-PLUS", "p=tls-exporter", "alice", "pencil", otherConnExporter),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "flipped tls-server-end-point", mech: "SCRAM-SHA-1-PLUS", version: tls.VersionTLS12,
			client:  rfcClient("SCRAM-SHA-1-PLUS", "p=tls-server-end-point", "alice", "pencil", func(t *testing.T, p *tlsPair) []byte { return flip(endPoint(t, p)) }),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "no binding data with p", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13,
			client:  rfcClient("SCRAM-SHA-256-PLUS", "p=tls-exporter", "alice", "pencil", nil),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "downgrade y SHA-256 TLS 1.3", mech: "SCRAM-SHA-256", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-256", "y", "alice", "pencil", nil), wantErr: ErrAuthFailed, wantStage: "first"},
		{name: "downgrade y SHA-1 TLS 1.2 end-point offered", mech: "SCRAM-SHA-1", version: tls.VersionTLS12,
			client: rfcClient("SCRAM-SHA-1", "y", "alice", "pencil", nil), wantErr: ErrAuthFailed, wantStage: "first"},
		{name: "mellium tls-unique on TLS 1.2", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS12,
			client: melliumClient(msasl.ScramSha256Plus, "alice", "pencil"), wantErr: ErrAuthFailed, wantStage: "first"},
		{name: "tls-exporter on TLS 1.2", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS12,
			client: rfcClient("SCRAM-SHA-256-PLUS", "p=tls-exporter", "alice", "pencil", exporter), wantErr: ErrAuthFailed, wantStage: "first"},
		{name: "tls-server-end-point without leaf", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13, noLeaf: true,
			client: rfcClient("SCRAM-SHA-256-PLUS", "p=tls-server-end-point", "alice", "pencil", endPoint), wantErr: ErrAuthFailed, wantStage: "first"},
		{name: "n with PLUS mechanism", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-256-PLUS", "n", "alice", "pencil", nil), wantErr: ErrMalformed, wantStage: "first"},
		{name: "y with PLUS mechanism", mech: "SCRAM-SHA-256-PLUS", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-256-PLUS", "y", "alice", "pencil", nil), wantErr: ErrMalformed, wantStage: "first"},
		{name: "p without PLUS mechanism", mech: "SCRAM-SHA-256", version: tls.VersionTLS13,
			client: rfcClient("SCRAM-SHA-256", "p=tls-exporter", "alice", "pencil", exporter), wantErr: ErrMalformed, wantStage: "first"},

		// Credential failures.
		{name: "wrong password mellium", mech: "SCRAM-SHA-256", client: melliumClient(msasl.ScramSha256, "alice", "pen"),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "wrong password PLUS mellium", mech: "SCRAM-SHA-1-PLUS", version: tls.VersionTLS13,
			client: melliumClient(msasl.ScramSha1Plus, "alice", "Pencil"), wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "wrong password SHA-512", mech: "SCRAM-SHA-512", client: rfcClient("SCRAM-SHA-512", "n", "alice", "pencil2", nil),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "unknown user mellium", mech: "SCRAM-SHA-256", client: melliumClient(msasl.ScramSha256, "bob", "pencil"),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "invalid username", mech: "SCRAM-SHA-1", client: melliumClient(msasl.ScramSha1, "al ice", "pencil"),
			wantErr: ErrAuthFailed, wantStage: "final"},
		{name: "empty username", mech: "SCRAM-SHA-1", client: rfcClient("SCRAM-SHA-1", "n", "", "pencil", nil),
			wantErr: ErrAuthFailed, wantStage: "final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newAccounts(t)
			var b Binding
			var p *tlsPair
			if tt.version != none {
				sigAlg := tt.sigAlg
				if sigAlg == x509.UnknownSignatureAlgorithm {
					sigAlg = x509.ECDSAWithSHA256
				}
				pair := handshake(t, tt.version, sigAlg)
				p = &pair
				b = pair.binding()
				if tt.noLeaf {
					b.Leaf = nil
				}
			}
			offered := Mechanisms(b)
			conv, err := NewConversation(tt.mech, b, store.lookup)
			if err != nil {
				t.Fatalf("NewConversation(%s) with %q offered: %v", tt.mech, offered, err)
			}
			stage, err := exchange(t, conv, tt.client(t, p, offered))
			wantErr(t, "exchange", err, tt.wantErr)
			if stage != tt.wantStage {
				t.Errorf("failed at step %q, want %q (err %v)", stage, tt.wantStage, err)
			}
			if tt.wantErr != nil {
				if conv.Username() != "" {
					t.Errorf("Username %q after failure", conv.Username())
				}
				if errors.Is(err, ErrMalformed) == errors.Is(err, ErrAuthFailed) {
					t.Errorf("error %v must be exactly one of malformed or auth failed", err)
				}
				return
			}
			if conv.Username() != "alice" {
				t.Errorf("Username %q, want alice", conv.Username())
			}
			if got := store.lookups(); !slices.Equal(got, []string{"alice"}) {
				t.Errorf("Lookup called with %q, want [alice]", got)
			}
		})
	}
}

// TestUnknownUserIndistinguishable checks that what the client sees for an unknown user
// matches a wrong password: a server-first of the same shape with a stable salt and the
// same count, then the same failure at the same step.
func TestUnknownUserIndistinguishable(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			store := newAccounts(t)
			type attempt struct {
				salt, iter string
				nonceLen   int
				stage      string
				err        error
			}
			try := func(user string) attempt {
				conv, err := NewConversation(mech, Binding{}, store.lookup)
				if err != nil {
					t.Fatal(err)
				}
				cl := &scramClient{newHash: hashOf(mech), user: user, password: "wrong", flag: "n"}
				s1, _, err := conv.Step(t.Context(), cl.first())
				if err != nil {
					return attempt{stage: "first", err: err}
				}
				f := strings.Split(string(s1), ",")
				a := attempt{nonceLen: len(f[0]), salt: f[1], iter: f[2]}
				c2, err := cl.final(s1)
				if err != nil {
					t.Fatal(err)
				}
				out, _, err := conv.Step(t.Context(), c2)
				if out != nil {
					t.Errorf("failure carried %q", out)
				}
				a.stage, a.err = "final", err
				return a
			}
			known, unknown, unknownAgain := try("alice"), try("nobody"), try("nobody")
			for _, a := range []attempt{known, unknown, unknownAgain} {
				if a.stage != "final" || !errors.Is(a.err, ErrAuthFailed) || errors.Is(a.err, ErrUnknownUser) {
					t.Fatalf("attempt failed at %q with %v, want final ErrAuthFailed", a.stage, a.err)
				}
			}
			if unknown.salt != unknownAgain.salt {
				t.Errorf("decoy salt changes between attempts: %s, %s", unknown.salt, unknownAgain.salt)
			}
			if len(unknown.salt) != len(known.salt) || unknown.iter != known.iter || unknown.nonceLen != known.nonceLen {
				t.Errorf("unknown user %+v looks different from known %+v", unknown, known)
			}
			if unknown.salt == known.salt {
				t.Error("decoy salt equals alice's")
			}
		})
	}
}

func TestSCRAMLookupFailure(t *testing.T) {
	storeDown := errors.New("store down")
	tests := []struct {
		name        string
		err         error
		wantErr     error
		wantStage   string
		wantAuthErr bool
	}{
		{name: "fs.ErrNotExist means unknown", err: fmt.Errorf("embeddb: %w", fs.ErrNotExist), wantErr: ErrAuthFailed, wantStage: "final", wantAuthErr: true},
		{name: "ErrUnknownUser", err: ErrUnknownUser, wantErr: ErrAuthFailed, wantStage: "final", wantAuthErr: true},
		{name: "store failure", err: storeDown, wantErr: storeDown, wantStage: "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &accounts{err: tt.err}
			conv, err := NewConversation("SCRAM-SHA-256", Binding{}, store.lookup)
			if err != nil {
				t.Fatal(err)
			}
			stage, err := exchange(t, conv, newMellium(msasl.ScramSha256, "alice", "pencil", nil, nil))
			wantErr(t, "exchange", err, tt.wantErr)
			if stage != tt.wantStage || errors.Is(err, ErrAuthFailed) != tt.wantAuthErr {
				t.Errorf("stage %q err %v", stage, err)
			}
		})
	}
}

func TestSCRAMMalformed(t *testing.T) {
	const nonce = "clientnonce"
	tests := []struct {
		name    string
		first   string // client-first; "" uses a valid one and sends final
		final   string // client-final; "{r}" is replaced by the server's nonce
		wantErr error
	}{
		{name: "garbage", first: "hello", wantErr: ErrMalformed},
		{name: "binary", first: "\xff\xfe\x00\x01", wantErr: ErrMalformed},
		{name: "NUL in nonce", first: "n,,n=alice,r=ab\x00c", wantErr: ErrMalformed},
		{name: "gs2 header only", first: "n,,", wantErr: ErrMalformed},
		{name: "truncated before nonce", first: "n,,n=alice", wantErr: ErrMalformed},
		{name: "truncated gs2", first: "n", wantErr: ErrMalformed},
		{name: "unknown gs2 flag", first: "x,,n=alice,r=abc", wantErr: ErrMalformed},
		{name: "empty cb name", first: "p=,,n=alice,r=abc", wantErr: ErrMalformed},
		{name: "fields swapped", first: "n,,r=abc,n=alice", wantErr: ErrMalformed},
		{name: "bad username escape", first: "n,,n=al=ice,r=abc", wantErr: ErrMalformed},
		{name: "bad authzid escape", first: "n,a=al=ice,n=alice,r=abc", wantErr: ErrMalformed},
		{name: "authzid without a=", first: "n,alice,n=alice,r=abc", wantErr: ErrMalformed},
		{name: "extension", first: "n,,m=ext,n=alice,r=abc", wantErr: ErrMalformed},
		{name: "final garbage", final: "hello", wantErr: ErrMalformed},
		{name: "final empty", final: "", wantErr: ErrMalformed},
		{name: "final truncated", final: "c=biws,r={r}", wantErr: ErrMalformed},
		{name: "final bad base64 binding", final: "c=!!!!,r={r},p=AAAA", wantErr: ErrMalformed},
		{name: "final bad base64 proof", final: "c=biws,r={r},p=!!!!", wantErr: ErrMalformed},
		{name: "final binary", final: "c=biws,r={r},p=\xff", wantErr: ErrMalformed},
		{name: "final short proof", final: "c=biws,r={r},p=AAAA", wantErr: ErrAuthFailed},
		{name: "final wrong nonce", final: "c=biws,r=" + nonce + "x,p=AAAA", wantErr: ErrAuthFailed},
		{name: "final wrong gs2 in binding", final: "c=eSws,r={r},p=AAAA", wantErr: ErrAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv, err := NewConversation("SCRAM-SHA-256", Binding{}, newAccounts(t).lookup)
			if err != nil {
				t.Fatal(err)
			}
			if tt.first != "" {
				out, done, err := conv.Step(t.Context(), []byte(tt.first))
				wantErr(t, "first", err, tt.wantErr)
				if out != nil || !done {
					t.Errorf("out=%q done=%v after failure", out, done)
				}
				return
			}
			s1, _, err := conv.Step(t.Context(), []byte("n,,n=alice,r="+nonce))
			if err != nil {
				t.Fatal(err)
			}
			r := strings.TrimPrefix(strings.Split(string(s1), ",")[0], "r=")
			out, done, err := conv.Step(t.Context(), []byte(strings.ReplaceAll(tt.final, "{r}", r)))
			wantErr(t, "final", err, tt.wantErr)
			if out != nil || !done {
				t.Errorf("out=%q done=%v after failure", out, done)
			}
		})
	}
}

// TestEmptyInitialResponse covers <auth/> without initial response (RFC 6120 §6.4.2):
// one empty challenge, then the client-first as a response.
func TestEmptyInitialResponse(t *testing.T) {
	tests := []struct {
		name    string
		second  func(cl *scramClient) []byte
		wantErr error
	}{
		{name: "client-first follows", second: func(cl *scramClient) []byte { return cl.first() }},
		{name: "empty again", second: func(*scramClient) []byte { return nil }, wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv, err := NewConversation("SCRAM-SHA-1", Binding{}, newAccounts(t).lookup)
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := conv.Step(t.Context(), nil)
			if out != nil || done || err != nil {
				t.Fatalf("empty initial response: out=%q done=%v err=%v, want an empty challenge", out, done, err)
			}
			cl := &scramClient{newHash: sha1.New, user: "alice", password: "pencil", flag: "n"}
			s1, _, err := conv.Step(t.Context(), tt.second(cl))
			wantErr(t, "second step", err, tt.wantErr)
			if err != nil {
				return
			}
			c2, err := cl.final(s1)
			if err != nil {
				t.Fatal(err)
			}
			s2, done, err := conv.Step(t.Context(), c2)
			if err != nil || !done || cl.verify(s2) != nil {
				t.Fatalf("final: done=%v err=%v", done, err)
			}
		})
	}
}

func TestSCRAMAuthzID(t *testing.T) {
	tests := []struct {
		authzid string
		wantErr error
	}{
		{authzid: ""},
		{authzid: "alice"},
		{authzid: "alice@example.org"},
		{authzid: "Alice@example.org"},
		{authzid: "a,b=c", wantErr: ErrInvalidAuthzID}, // escaped as a=a=2Cb=3Dc
		{authzid: "bob", wantErr: ErrInvalidAuthzID},
		{authzid: "bob@example.org", wantErr: ErrInvalidAuthzID},
		{authzid: "alice@example.org/phone", wantErr: ErrInvalidAuthzID},
	}
	for _, tt := range tests {
		t.Run(tt.authzid, func(t *testing.T) {
			conv, err := NewConversation("SCRAM-SHA-256", Binding{}, newAccounts(t).lookup)
			if err != nil {
				t.Fatal(err)
			}
			cl := &scramClient{newHash: sha256.New, user: "alice", password: "pencil", flag: "n", authzid: tt.authzid}
			stage, err := exchange(t, conv, rfc{cl})
			wantErr(t, "exchange", err, tt.wantErr)
			if err != nil {
				if stage != "final" || !errors.Is(err, ErrAuthFailed) {
					t.Errorf("stage %q, err %v: want final, also ErrAuthFailed", stage, err)
				}
				return
			}
			if conv.AuthzID() != tt.authzid || conv.Username() != "alice" {
				t.Errorf("AuthzID %q Username %q", conv.AuthzID(), conv.Username())
			}
		})
	}
}

func TestStepAfterEnd(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{name: "after success", password: "pencil"},
		{name: "after failure", password: "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv, err := NewConversation("SCRAM-SHA-256", Binding{}, newAccounts(t).lookup)
			if err != nil {
				t.Fatal(err)
			}
			exchange(t, conv, newMellium(msasl.ScramSha256, "alice", tt.password, nil, nil))
			for _, in := range [][]byte{nil, []byte("n,,n=alice,r=abc")} {
				out, done, err := conv.Step(t.Context(), in)
				wantErr(t, "extra step", err, ErrAborted)
				if out != nil || !done {
					t.Errorf("out=%q done=%v", out, done)
				}
			}
		})
	}
}

func TestStepCancelledContext(t *testing.T) {
	conv, err := NewConversation("SCRAM-SHA-256", Binding{}, newAccounts(t).lookup)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, done, err := conv.Step(ctx, []byte("n,,n=alice,r=abc"))
	wantErr(t, "step", err, context.Canceled)
	if !done || errors.Is(err, ErrAuthFailed) {
		t.Errorf("done=%v err=%v", done, err)
	}
}
