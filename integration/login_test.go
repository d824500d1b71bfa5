package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
)

// TestLogin logs in with STARTTLS and with direct TLS (XEP-0368), with SCRAM-SHA-256 and its
// channel-binding variant, trusting only the box's CA, then checks the session works.
func TestLogin(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	tests := []struct {
		name      string
		directTLS bool
		mech      sasl.Mechanism
		resource  string
	}{
		{"starttls/SCRAM-SHA-256", false, sasl.ScramSha256, "laptop"},
		{"starttls/SCRAM-SHA-256-PLUS", false, sasl.ScramSha256Plus, "phone"},
		{"direct-tls/SCRAM-SHA-256", true, sasl.ScramSha256, "tablet"},
		{"direct-tls/SCRAM-SHA-256-PLUS", true, sasl.ScramSha256Plus, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, srv, "alice", "alice-pw-1", dialOpts{
				DirectTLS: tc.directTLS,
				Mechs:     []sasl.Mechanism{tc.mech},
				Resource:  tc.resource,
			})
			if got := c.JID.Bare().String(); got != srv.JID("alice") {
				t.Errorf("bound JID %s, want a full JID of %s", c.JID, srv.JID("alice"))
			}
			switch {
			case tc.resource == "" && c.JID.Resourcepart() == "":
				t.Errorf("bound JID %s has no server-generated resource", c.JID)
			case tc.resource != "" && c.JID.Resourcepart() != tc.resource:
				t.Errorf("bound JID %s, want resource %q", c.JID, tc.resource)
			}
			st := c.Sess.ConnectionState()
			if st.Version < tls.VersionTLS12 {
				t.Errorf("TLS version %#x, want at least TLS 1.2", st.Version)
			}
			if tc.directTLS && st.NegotiatedProtocol != "xmpp-client" {
				t.Errorf("ALPN protocol %q, want xmpp-client (XEP-0368)", st.NegotiatedProtocol)
			}
			c.Ping(t)
			c.Close(t)
		})
	}
}

// TestLoginUntrustedCA: a client that trusts another CA than the box's must refuse the
// server's certificate, on both listeners.
func TestLoginUntrustedCA(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	other := otherCA(t)
	for _, direct := range []bool{false, true} {
		name := map[bool]string{false: "starttls", true: "direct-tls"}[direct]
		t.Run(name, func(t *testing.T) {
			c, err := tryDial(t, srv, "alice", "alice-pw-1", dialOpts{DirectTLS: direct, RootCAs: other})
			if err == nil {
				c.Close(t)
				t.Fatal("logged in although the client trusts only another CA")
			}
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) && !strings.Contains(err.Error(), "unknown authority") {
				t.Errorf("error %v, want a certificate verification error (unknown authority)", err)
			}
		})
	}
}

// otherCA returns a pool holding a freshly made root that signed nothing.
func otherCA(t *testing.T) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "some other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestLoginRejected: a wrong password and an unknown account both get <not-authorized/>
// (RFC 6120 §6.5.10), with and without channel binding.
func TestLoginRejected(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	tests := []struct {
		name, user, password string
		mech                 sasl.Mechanism
	}{
		{"wrong password", "alice", "not-the-password", sasl.ScramSha256},
		{"wrong password PLUS", "alice", "not-the-password", sasl.ScramSha256Plus},
		{"unknown user", "mallory", "alice-pw-1", sasl.ScramSha256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tryDial(t, srv, tc.user, tc.password, dialOpts{Mechs: []sasl.Mechanism{tc.mech}})
			if err == nil {
				c.Close(t)
				t.Fatalf("%s logged in with a wrong password", tc.user)
			}
			if got := saslCondition(err); got != "not-authorized" {
				t.Errorf("login error %v (SASL condition %q), want not-authorized", err, got)
			}
		})
	}
	// The right password still works afterwards (the failures above stay under any throttle).
	dial(t, srv, "alice", "alice-pw-1", dialOpts{}).Close(t)
}

// TestPlainRefusedBeforeTLS: before TLS the server requires STARTTLS, offers no PLAIN, and
// a PLAIN attempt with the right password never succeeds (RFC 6120 §5.3.1, §13.8).
func TestPlainRefusedBeforeTLS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	c := dialRaw(t, srv)
	c.Write(streamHeader(srv.Domain))
	features := c.MustNext("stream features")
	if !features.Is(nsStream, "features") {
		t.Fatalf("first element %s, want <stream:features>", features)
	}
	starttls := features.Child(nsTLS, "starttls")
	if starttls == nil || starttls.Child(nsTLS, "required") == nil {
		t.Errorf("features %s: want <starttls><required/></starttls>", features)
	}
	for _, m := range features.Child(nsSASL, "mechanisms").All(nsSASL, "mechanism") {
		if strings.TrimSpace(m.Text) == "PLAIN" {
			t.Errorf("PLAIN offered before TLS: %s", features)
		}
	}
	c.Write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-pw-1")) + "</auth>")
	answer, err := c.Next(stanzaWait)
	switch {
	case errors.Is(err, errStreamEnd):
		// Closed without a word: refused.
	case err != nil:
		t.Fatalf("after <auth mechanism='PLAIN'>: %v (want a SASL failure or a stream error)", err)
	case answer.Is(nsSASL, "success"):
		t.Fatalf("PLAIN succeeded on a plain-text connection: %s", answer)
	case answer.Is(nsSASL, "failure"), answer.Is(nsStream, "error"):
		t.Logf("refused with %s", answer)
	default:
		t.Fatalf("after <auth mechanism='PLAIN'>: %s, want a SASL <failure/> or a stream error", answer)
	}
}

// TestResourceConflict: a second login with the same resource replaces the first session,
// which gets a <conflict/> stream error (RFC 6120 §7.7.2.2).
func TestResourceConflict(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	first := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "desk"})
	first.Presence(t)
	first.Ping(t)
	second := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "desk"})
	if second.JID.String() != srv.JID("alice")+"/desk" {
		t.Errorf("second session bound %s, want %s/desk", second.JID, srv.JID("alice"))
	}
	ended, err := first.WaitEnd(stanzaWait)
	if !ended {
		t.Fatal("the first session is still open after a second login with its resource")
	}
	if got := streamErrorCondition(err); got != "conflict" {
		t.Errorf("first session ended with %v, want a <conflict/> stream error", err)
	}
	// Messages to the full JID now reach the new session.
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	bob.Send(t, `<message to='%s' type='chat'><body>to the new desk</body></message>`, srv.JID("alice")+"/desk")
	second.WaitFor(t, "bob's message on the new session", isMessageWithBody("to the new desk"))
}
