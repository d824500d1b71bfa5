package sasl

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// accounts is a Lookup backed by a map, recording the names it was asked for.
type accounts struct {
	mu    sync.Mutex
	creds map[string]Credentials // guarded by mu
	asked []string               // guarded by mu
	err   error                  // returned for every lookup when set
}

func (a *accounts) lookup(_ context.Context, name string) (Credentials, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, name)
	if a.err != nil {
		return Credentials{}, a.err
	}
	c, ok := a.creds[name]
	if !ok {
		return Credentials{}, fmt.Errorf("test store: %q: %w", name, ErrUnknownUser)
	}
	return c, nil
}

func (a *accounts) lookups() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.asked...)
}

// newAccounts returns a store holding alice, password "pencil".
func newAccounts(t *testing.T) *accounts {
	t.Helper()
	c, err := NewCredentials("pencil", MinIterations)
	if err != nil {
		t.Fatalf("NewCredentials: %v", err)
	}
	return &accounts{creds: map[string]Credentials{"alice": c}}
}

// tlsPair is one real TLS connection over 127.0.0.1.
type tlsPair struct {
	server, client tls.ConnectionState
	leaf           *x509.Certificate
}

func (p tlsPair) binding() Binding { return Binding{State: &p.server, Leaf: p.leaf} }

// handshake connects a TLS client and server on loopback with exactly version, the server
// presenting a self-signed ECDSA certificate signed with sigAlg (ECDSAWithSHA256 on P-256,
// ECDSAWithSHA384 on P-384), and returns both connection states.
func handshake(t *testing.T, version uint16, sigAlg x509.SignatureAlgorithm) tlsPair {
	t.Helper()
	curve := elliptic.P256()
	if sigAlg == x509.ECDSAWithSHA384 {
		curve = elliptic.P384()
	}
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "xmppbox sasl test"},
		IPAddresses:        []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SignatureAlgorithm: sigAlg,
		IsCA:               true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.SignatureAlgorithm != sigAlg {
		t.Fatalf("certificate signed with %v, want %v", leaf.SignatureAlgorithm, sigAlg)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	type result struct {
		conn *tls.Conn
		err  error
	}
	accepted := make(chan result, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			accepted <- result{err: err}
			return
		}
		conn := tls.Server(raw, &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: crypto.Signer(key), Leaf: leaf}},
			MinVersion:   version, MaxVersion: version,
		})
		accepted <- result{conn, conn.HandshakeContext(t.Context())}
	}()

	client, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, MinVersion: version, MaxVersion: version})
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	srv := <-accepted
	if srv.err != nil {
		t.Fatalf("server handshake: %v", srv.err)
	}
	t.Cleanup(func() { srv.conn.Close() })

	p := tlsPair{server: srv.conn.ConnectionState(), client: client.ConnectionState(), leaf: leaf}
	if p.server.Version != version || p.client.Version != version {
		t.Fatalf("negotiated %x/%x, want %x", p.server.Version, p.client.Version, version)
	}
	return p
}

// scramClient is a small SCRAM client written from RFC 5802 §3 and §5, independent of
// xdg-go/scram, for what mellium.im/sasl v0.3.2 cannot do: SCRAM-SHA-512,
// tls-server-end-point, a 'y' flag, and deliberately wrong binding data.
type scramClient struct {
	newHash            func() hash.Hash
	user, password     string
	authzid            string
	flag               string // gs2-cbind-flag: "n", "y" or "p=<type>"
	cbData             []byte // channel binding data, sent after the gs2 header in c=
	nonce              string // client nonce; random when empty
	gs2Header, c1Bare  string
	expectedServerSign []byte
}

func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

func (sc *scramClient) first() []byte {
	if sc.nonce == "" {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		sc.nonce = base64.RawStdEncoding.EncodeToString(b)
	}
	sc.gs2Header = sc.flag + ","
	if sc.authzid != "" {
		sc.gs2Header += "a=" + saslName(sc.authzid)
	}
	sc.gs2Header += ","
	sc.c1Bare = "n=" + saslName(sc.user) + ",r=" + sc.nonce
	return []byte(sc.gs2Header + sc.c1Bare)
}

func (sc *scramClient) final(serverFirst []byte) ([]byte, error) {
	fields := strings.Split(string(serverFirst), ",")
	if len(fields) != 3 || !strings.HasPrefix(fields[0], "r=") || !strings.HasPrefix(fields[1], "s=") || !strings.HasPrefix(fields[2], "i=") {
		return nil, fmt.Errorf("server-first %q", serverFirst)
	}
	nonce := fields[0][2:]
	if !strings.HasPrefix(nonce, sc.nonce) || len(nonce) == len(sc.nonce) {
		return nil, fmt.Errorf("server nonce %q does not extend %q", nonce, sc.nonce)
	}
	salt, err := base64.StdEncoding.DecodeString(fields[1][2:])
	if err != nil {
		return nil, err
	}
	iters, err := strconv.Atoi(fields[2][2:])
	if err != nil {
		return nil, err
	}
	size := sc.newHash().Size()
	salted, err := pbkdf2.Key(sc.newHash, sc.password, salt, iters, size)
	if err != nil {
		return nil, err
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sc.newHash, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	h := sc.newHash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)

	withoutProof := "c=" + base64.StdEncoding.EncodeToString(append([]byte(sc.gs2Header), sc.cbData...)) + ",r=" + nonce
	authMessage := sc.c1Bare + "," + string(serverFirst) + "," + withoutProof
	proof := make([]byte, size)
	subtle.XORBytes(proof, clientKey, mac(storedKey, authMessage))
	sc.expectedServerSign = mac(mac(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (sc *scramClient) verify(serverFinal []byte) error {
	want := "v=" + base64.StdEncoding.EncodeToString(sc.expectedServerSign)
	if string(serverFinal) != want {
		return fmt.Errorf("server-final %q, want %q", serverFinal, want)
	}
	return nil
}

// wantErr checks err against the sentinel want (nil: success expected).
func wantErr(t *testing.T, step string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", step, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", step, err, want)
	}
}
