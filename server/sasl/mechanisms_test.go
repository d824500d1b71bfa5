package sasl

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"testing"

	"github.com/xdg-go/scram"
)

func TestMechanisms(t *testing.T) {
	tls12 := &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}
	tls13 := &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}
	handshaking := &tls.ConnectionState{Version: tls.VersionTLS13}
	ecdsaLeaf := &x509.Certificate{SignatureAlgorithm: x509.ECDSAWithSHA256}
	ed25519Leaf := &x509.Certificate{SignatureAlgorithm: x509.PureEd25519}

	plus := []string{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"}
	base := []string{"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"}
	tests := []struct {
		name      string
		b         Binding
		wantMechs []string
		wantTypes []string
	}{
		{name: "no TLS", b: Binding{}, wantMechs: base},
		{name: "no TLS, leaf set", b: Binding{Leaf: ecdsaLeaf}, wantMechs: base},
		{name: "TLS 1.2 without leaf", b: Binding{State: tls12}, wantMechs: append(slices.Clone(base), "PLAIN")},
		{name: "TLS 1.2 with leaf", b: Binding{State: tls12, Leaf: ecdsaLeaf},
			wantMechs: slices.Concat(plus, base, []string{"PLAIN"}), wantTypes: []string{"tls-server-end-point"}},
		{name: "TLS 1.2 with Ed25519 leaf", b: Binding{State: tls12, Leaf: ed25519Leaf}, wantMechs: append(slices.Clone(base), "PLAIN")},
		{name: "TLS 1.3 without leaf", b: Binding{State: tls13},
			wantMechs: slices.Concat(plus, base, []string{"PLAIN"}), wantTypes: []string{"tls-exporter"}},
		{name: "TLS 1.3 with leaf", b: Binding{State: tls13, Leaf: ecdsaLeaf},
			wantMechs: slices.Concat(plus, base, []string{"PLAIN"}), wantTypes: []string{"tls-exporter", "tls-server-end-point"}},
		{name: "TLS 1.3 with Ed25519 leaf", b: Binding{State: tls13, Leaf: ed25519Leaf},
			wantMechs: slices.Concat(plus, base, []string{"PLAIN"}), wantTypes: []string{"tls-exporter"}},
		{name: "handshake not complete", b: Binding{State: handshaking, Leaf: ecdsaLeaf}, wantMechs: append(slices.Clone(base), "PLAIN")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mechanisms(tt.b); !slices.Equal(got, tt.wantMechs) {
				t.Errorf("Mechanisms = %q, want %q", got, tt.wantMechs)
			}
			if got := ChannelBindingTypes(tt.b); !slices.Equal(got, tt.wantTypes) {
				t.Errorf("ChannelBindingTypes = %q, want %q", got, tt.wantTypes)
			}
		})
	}
}

func TestNewConversation(t *testing.T) {
	tls13 := &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}
	tls12 := &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}
	lookup := newAccounts(t).lookup
	tests := []struct {
		name    string
		mech    string
		b       Binding
		wantErr error
	}{
		{name: "SCRAM without TLS", mech: "SCRAM-SHA-1", b: Binding{}},
		{name: "PLAIN with TLS", mech: "PLAIN", b: Binding{State: tls12}},
		{name: "PLUS with TLS 1.3", mech: "SCRAM-SHA-512-PLUS", b: Binding{State: tls13}},
		{name: "PLAIN without TLS", mech: "PLAIN", b: Binding{}, wantErr: ErrUnsupportedMechanism},
		{name: "PLUS without TLS", mech: "SCRAM-SHA-256-PLUS", b: Binding{}, wantErr: ErrUnsupportedMechanism},
		{name: "PLUS on TLS 1.2 without leaf", mech: "SCRAM-SHA-256-PLUS", b: Binding{State: tls12}, wantErr: ErrUnsupportedMechanism},
		{name: "PLAIN-PLUS", mech: "PLAIN-PLUS", b: Binding{State: tls13}, wantErr: ErrUnsupportedMechanism},
		{name: "unknown hash", mech: "SCRAM-SHA-384", b: Binding{State: tls13}, wantErr: ErrUnsupportedMechanism},
		{name: "lower case", mech: "scram-sha-1", b: Binding{}, wantErr: ErrUnsupportedMechanism},
		{name: "empty", mech: "", b: Binding{}, wantErr: ErrUnsupportedMechanism},
		{name: "DIGEST-MD5", mech: "DIGEST-MD5", b: Binding{State: tls13}, wantErr: ErrUnsupportedMechanism},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewConversation(tt.mech, tt.b, lookup)
			wantErr(t, "NewConversation", err, tt.wantErr)
			if tt.wantErr == nil && c == nil {
				t.Fatal("nil Conversation without error")
			}
		})
	}
	t.Run("nil lookup", func(t *testing.T) {
		if _, err := NewConversation("SCRAM-SHA-1", Binding{}, nil); err == nil {
			t.Fatal("NewConversation accepted a nil Lookup")
		}
	})
}

// TestServerEndPointBinding checks our server-side tls-server-end-point data against what
// a client computes from the certificate it received, for both hash choices of RFC 5929.
func TestServerEndPointBinding(t *testing.T) {
	for _, tt := range []struct {
		name    string
		version uint16
		sigAlg  x509.SignatureAlgorithm
		size    int
	}{
		{name: "ECDSA-SHA256 TLS 1.2", version: tls.VersionTLS12, sigAlg: x509.ECDSAWithSHA256, size: 32},
		{name: "ECDSA-SHA384 TLS 1.2", version: tls.VersionTLS12, sigAlg: x509.ECDSAWithSHA384, size: 48},
		{name: "ECDSA-SHA256 TLS 1.3", version: tls.VersionTLS13, sigAlg: x509.ECDSAWithSHA256, size: 32},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := handshake(t, tt.version, tt.sigAlg)
			got, err := channelBinding(p.binding(), cbServerEndPoint)
			if err != nil {
				t.Fatal(err)
			}
			want, err := scram.NewTLSServerEndpointBinding(&p.client) // client side: hashes the peer's leaf
			if err != nil {
				t.Fatal(err)
			}
			if !got.Matches(want) || len(got.Data) != tt.size {
				t.Errorf("binding %x (%d bytes), client computes %x", got.Data, len(got.Data), want.Data)
			}
		})
	}
}

func TestExporterBinding(t *testing.T) {
	p := handshake(t, tls.VersionTLS13, x509.ECDSAWithSHA256)
	got, err := channelBinding(p.binding(), cbExporter)
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.client.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, want) {
		t.Errorf("server exporter %x, client %x", got.Data, want)
	}
	if _, err := channelBinding(p.binding(), "tls-unique"); err == nil {
		t.Error("tls-unique computed")
	}
}

func TestCheckAuthzID(t *testing.T) {
	tests := []struct {
		authzid string
		ok      bool
	}{
		{"", true},
		{"alice", true},
		{"Alice", true},
		{"alice@example.org", true},
		{"ALICE@example.org", true},
		{"bob", false},
		{"bob@example.org", false},
		{"alice@example.org/phone", false},
		{"alice/phone", false},
		{"alice@", false},
		{"@example.org", false},
		{"example.org", false},
		{"alice@ex@ample.org", false},
		{"al ice", false},
	}
	for _, tt := range tests {
		t.Run(tt.authzid, func(t *testing.T) {
			err := checkAuthzID("TEST", tt.authzid, "alice")
			if (err == nil) != tt.ok {
				t.Fatalf("checkAuthzID(%q) = %v, want ok=%v", tt.authzid, err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalidAuthzID) || !errors.Is(err, ErrAuthFailed)) {
				t.Errorf("error %v does not wrap ErrInvalidAuthzID and ErrAuthFailed", err)
			}
		})
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"alice", "alice", true},
		{"ALICE", "alice", true},
		{"\uff21lice", "alice", true}, // full-width A
		{"", "", false},
		{"al ice", "", false},
		{"alice@example.org", "", false},
		{"a/b", "", false},
		{"a:b", "", false},
		{string(bytes.Repeat([]byte("a"), 1024)), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := normalizeUsername(tt.raw)
			if got != tt.want || ok != tt.ok {
				t.Errorf("normalizeUsername(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
			}
		})
	}
}
