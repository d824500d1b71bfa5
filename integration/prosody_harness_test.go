package integration

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProsodyHarness checks startProsody on its own, without xmppbox: two Prosody accounts
// log in with mellium over STARTTLS, trusting only Prosody.CAPEM, and exchange a message;
// the MUC service answers disco; the self-signed mode starts and is refused by a client
// that does not pin it.
func TestProsodyHarness(t *testing.T) {
	t.Parallel()
	t.Run("valid certificate", func(t *testing.T) {
		t.Parallel()
		p := startProsody(t, prosodyOpts{
			Users: map[string]string{"alice": "pw-alice", "bob": "pw-bob"},
			MUC:   true,
		})
		alice := p.Dial(t, "alice", "pw-alice", dialOpts{})
		bob := p.Dial(t, "bob", "pw-bob", dialOpts{})
		alice.Presence(t)
		bob.Presence(t)
		alice.Ping(t)
		bob.Ping(t)

		alice.Send(t, `<message to='%s' type='chat'><body>hello bob</body></message>`, p.JID("bob"))
		m := bob.WaitFor(t, "alice's message", isMessageWithBody("hello bob"))
		if from := m.Get("from"); !strings.HasPrefix(from, p.JID("alice")+"/") {
			t.Errorf("message from %q, want a full JID of alice", from)
		}

		// The certificate names the MUC service too and may be presented as a client.
		leaf := alice.Sess.ConnectionState().PeerCertificates[0]
		if !slices.Contains(leaf.DNSNames, p.MUCDomain) {
			t.Errorf("certificate names %v, want %s among them", leaf.DNSNames, p.MUCDomain)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: p.MUCDomain, Roots: p.CAPool,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("certificate as a client certificate for %s: %v", p.MUCDomain, err)
		}
		res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='`+nsDiscoInf+`'/></iq>`, p.MUCDomain)
		if res.Get("type") != "result" || !strings.Contains(res.String(), "conference") {
			t.Errorf("disco#info of %s: %s", p.MUCDomain, res)
		}

		// Dialback is loaded unless DisableDialback; s2s must start TLS.
		plain, _ := s2sFeatures(t, p, "xmppbox.test", nil)
		if plain.Child(nsDialbackFeature, "dialback") == nil || plain.Child(nsTLS, "starttls").Child(nsTLS, "required") == nil {
			t.Errorf("s2s stream features %s, want dialback and required STARTTLS", plain)
		}
	})
	t.Run("self-signed certificate", func(t *testing.T) {
		t.Parallel()
		p := startProsody(t, prosodyOpts{
			CertMode: certSelfSigned,
			Users:    map[string]string{"alice": "pw-alice"},
		})
		// A client with roots of its own refuses the certificate...
		_, err := p.TryDial(t, "alice", "pw-alice", dialOpts{RootCAs: x509.NewCertPool()})
		if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("log in without pinning the self-signed certificate: %v, want unknown authority", err)
		}
		// ...and one that pins it (CAPEM is the certificate itself) gets in.
		alice := p.Dial(t, "alice", "pw-alice", dialOpts{})
		leaf := alice.Sess.ConnectionState().PeerCertificates[0]
		if leaf.Issuer.String() != leaf.Subject.String() ||
			leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) != nil {
			t.Errorf("certificate from %q for %q is not self-signed", leaf.Issuer, leaf.Subject)
		}
		alice.Ping(t)
	})
}

// nsDialbackFeature is the stream feature that announces dialback (XEP-0220).
const nsDialbackFeature = "urn:xmpp:features:dialback"

// TestProsodyTrust shows where Prosody takes its s2s trust from and what SecureAuth does. A
// Go peer opens an s2s stream from xmppbox.test, starts TLS with a client certificate and
// reads what follows the stream restart. Prosody offers SASL EXTERNAL (XEP-0178) exactly
// when the chain leads to prosodyOpts.TrustPEM and the certificate names xmppbox.test; the
// extended key usage does not matter (certmanager sets lsec_ignore_purpose). Otherwise,
// without SecureAuth it offers dialback only, and with SecureAuth it closes the stream with
// not-authorized.
func TestProsodyTrust(t *testing.T) {
	t.Parallel()
	const peerDomain = "xmppbox.test"
	trusted := newTestCA(t, "xmppbox test CA")
	stranger := newTestCA(t, "a CA Prosody does not know")
	lax := startProsody(t, prosodyOpts{TrustPEM: [][]byte{trusted.PEM}})
	strict := startProsody(t, prosodyOpts{TrustPEM: [][]byte{trusted.PEM}, SecureAuth: true, DisableDialback: true})
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	for _, tc := range []struct {
		name        string
		cert        tls.Certificate
		lax, strict string // outcome: "EXTERNAL", "dialback" or a stream error condition
	}{
		{"trusted CA", trusted.Issue(t, []string{peerDomain}, both), "EXTERNAL", "EXTERNAL"},
		{"trusted CA, serverAuth only", trusted.Issue(t, []string{peerDomain}, both[:1]), "EXTERNAL", "EXTERNAL"},
		{"trusted CA, no EKU", trusted.Issue(t, []string{peerDomain}, nil), "EXTERNAL", "EXTERNAL"},
		{"trusted CA, wildcard", trusted.Issue(t, []string{"*.test"}, both), "EXTERNAL", "EXTERNAL"},
		{"trusted CA, other name", trusted.Issue(t, []string{"other.test"}, both), "dialback", "not-authorized"},
		{"unknown CA", stranger.Issue(t, []string{peerDomain}, both), "dialback", "not-authorized"},
		{"self-signed", selfSigned(t, []string{peerDomain}, both), "dialback", "not-authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, run := range []struct {
				name     string
				p        *Prosody
				want     string
				dialback bool // offered before TLS
			}{
				{"without SecureAuth", lax, tc.lax, true},
				{"with SecureAuth, no dialback", strict, tc.strict, false},
			} {
				plain, secure := s2sFeatures(t, run.p, peerDomain, &tc.cert)
				if got := plain.Child(nsDialbackFeature, "dialback") != nil; got != run.dialback {
					t.Errorf("%s: dialback offered %v, want %v; features: %s", run.name, got, run.dialback, plain)
				}
				if got := s2sOutcome(secure); got != run.want {
					t.Errorf("%s: after TLS %q (%s), want %q\nprosody log:\n%s", run.name, got, secure, run.want, run.p.Log())
				}
			}
		})
	}
}

// s2sOutcome sums up what Prosody sent after TLS on an incoming s2s stream: "EXTERNAL" when
// it offers SASL EXTERNAL, else "dialback" when it offers dialback, else the condition of a
// stream error, else "nothing".
func s2sOutcome(el *Elem) string {
	if el.Is(nsStream, "error") {
		return el.ErrorCondition()
	}
	for _, m := range el.Child(nsSASL, "mechanisms").All(nsSASL, "mechanism") {
		if m.Text == "EXTERNAL" {
			return "EXTERNAL"
		}
	}
	if el.Child(nsDialbackFeature, "dialback") != nil {
		return "dialback"
	}
	return "nothing"
}

// s2sFeatures opens an s2s stream from the domain from to Prosody and returns its stream
// features. With cert, it then starts TLS presenting cert (and trusting p.CAPool), restarts
// the stream and returns the features after TLS too; without, secure is nil.
func s2sFeatures(t *testing.T, p *Prosody, from string, cert *tls.Certificate) (plain, secure *Elem) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", p.S2S, stanzaWait)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(stanzaWait))
	// open sends a stream header and returns a decoder for the answer (a new one after TLS).
	open := func(rw io.ReadWriter) *xml.Decoder {
		fmt.Fprintf(rw, `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='%s' `+
			`xmlns:db='jabber:server:dialback' from='%s' to='%s' version='1.0'>`, nsStream, from, p.Domain)
		return xml.NewDecoder(rw)
	}
	// next returns the next top-level element, skipping the stream header.
	next := func(d *xml.Decoder) *Elem {
		t.Helper()
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatalf("s2s stream to prosody: %v\nprosody log:\n%s", err, p.Log())
			}
			se, ok := tok.(xml.StartElement)
			if ok && (se.Name.Space != nsStream || se.Name.Local != "stream") {
				el, err := readElem(d, se)
				if err != nil {
					t.Fatal(err)
				}
				return el
			}
		}
	}
	d := open(conn)
	plain = next(d)
	if cert == nil {
		io.WriteString(conn, "</stream:stream>")
		return plain, nil
	}
	io.WriteString(conn, "<starttls xmlns='"+nsTLS+"'/>")
	if el := next(d); !el.Is(nsTLS, "proceed") {
		t.Fatalf("STARTTLS: %s", el)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: p.Domain, RootCAs: p.CAPool, Certificates: []tls.Certificate{*cert}})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS with prosody: %v", err)
	}
	secure = next(open(tc))
	io.WriteString(tc, "</stream:stream>")
	return plain, secure
}

// TestProsodyResolvesLocalhost records how Prosody finds a peer without prosodyOpts.Peers,
// with the system's resolver: it asks SRV _xmpps-server._tcp.NAME and _xmpp-server._tcp.NAME,
// finds none, and connects to NAME's address on port 5269. libunbound answers localhost and
// every name below it with 127.0.0.1 from its built-in zone (RFC 6761 §6.3), without DNS and
// without /etc/hosts, which Prosody does not read; .invalid is NXDOMAIN, also without DNS. The
// test listens on 127.0.0.1:5269 and is skipped when it cannot. It is the only test that
// may use that port: the others reach their peers through prosodyOpts.Peers.
func TestProsodyResolvesLocalhost(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:5269")
	if err != nil {
		t.Skipf("the probe needs 127.0.0.1:5269: %v", err)
	}
	defer ln.Close()
	p := startProsody(t, prosodyOpts{Users: map[string]string{"alice": "pw-alice"}})
	alice := p.Dial(t, "alice", "pw-alice", dialOpts{})
	alice.Presence(t)

	for _, tc := range []struct {
		name    string
		domain  string
		reached bool // Prosody connects to 127.0.0.1:5269
	}{
		{"localhost", "localhost", true},
		{"below localhost", "xmppbox.localhost", true},
		{"two levels below localhost", "rooms.xmppbox.localhost", true},
		{".invalid", "xmppbox.invalid", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probeS2S(t, p, alice, ln, tc.domain, tc.reached)
		})
	}
}

// TestProsodyPeers: with prosodyOpts.Peers, Prosody connects to the given port of each
// listed domain (also one below another listed domain) and to nothing else.
func TestProsodyPeers(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := startProsody(t, prosodyOpts{
		Users: map[string]string{"alice": "pw-alice"},
		Peers: map[string]string{
			"xmppbox.test":       ln.Addr().String(),
			"rooms.xmppbox.test": ln.Addr().String(),
		},
	})
	alice := p.Dial(t, "alice", "pw-alice", dialOpts{})
	alice.Presence(t)
	for _, tc := range []struct {
		domain  string
		reached bool
	}{
		{"xmppbox.test", true},
		{"rooms.xmppbox.test", true},
		{"other.test", false},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			probeS2S(t, p, alice, ln, tc.domain, tc.reached)
		})
	}
}

// probeS2S has alice send a message to probe@domain. If reached, Prosody must open an s2s
// stream to ln for domain; the probe reads the stream header and hangs up. Either way the
// message must bounce back with an error, and no (other) connection may be waiting on ln.
func probeS2S(t *testing.T, p *Prosody, alice *Client, ln net.Listener, domain string, reached bool) {
	t.Helper()
	to := "probe@" + domain
	body := "probe " + randomID()
	alice.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, to, body)
	if reached {
		header, remote, err := acceptStreamHeader(ln, stanzaWait)
		if err != nil {
			t.Fatalf("no s2s connection for %s on %s: %v\nprosody log:\n%s", domain, ln.Addr(), err, p.Log())
		}
		t.Logf("s2s stream from %s: %s", remote, header)
		if header.Get("to") != domain || header.Get("from") != p.Domain {
			t.Errorf("stream header %s, want to=%q from=%q", header, domain, p.Domain)
		}
	}
	bounce := alice.WaitFor(t, "the bounce of the message to "+to, func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("type") == "error" && e.Get("from") == to
	})
	t.Logf("bounce: %s", bounce.ErrorCondition())
	// Any connection Prosody made was queued before it gave up and bounced.
	ln.(*net.TCPListener).SetDeadline(time.Now())
	defer ln.(*net.TCPListener).SetDeadline(time.Time{})
	if conn, err := ln.Accept(); err == nil {
		conn.Close()
		t.Errorf("an unexpected s2s connection for %s from %s", domain, conn.RemoteAddr())
	} else if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
}

// acceptStreamHeader accepts one connection on ln, reads the opening <stream:stream> and
// closes the connection.
func acceptStreamHeader(ln net.Listener, timeout time.Duration) (*Elem, net.Addr, error) {
	tl := ln.(*net.TCPListener)
	tl.SetDeadline(time.Now().Add(timeout))
	defer tl.SetDeadline(time.Time{})
	conn, err := tl.Accept()
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	dec := xml.NewDecoder(conn)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, conn.RemoteAddr(), fmt.Errorf("reading the stream header: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != nsStream || se.Name.Local != "stream" {
				return nil, conn.RemoteAddr(), fmt.Errorf("first element %v, want stream:stream", se.Name)
			}
			return newElem(se), conn.RemoteAddr(), nil
		}
	}
}
