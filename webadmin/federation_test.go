package webadmin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"xmppbox/admin"
	"xmppbox/server/s2s"
)

// testCAPEM makes a self-signed CA certificate in PEM, as "xmppbox cert ca" prints one.
func testCAPEM(t *testing.T, now time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other box CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestFederationPeers(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	r := c.get("/federation")
	wantStatus(t, r, http.StatusOK, "federation")
	wantBody(t, r, `id="no-peers"`, `id="add-peer"`, `id="add-component"`, `aria-current="page">Federation<`)

	ca := testCAPEM(t, e.clock.Now())
	// A browser sends the lines of a text area ending in CRLF.
	form := url.Values{"domain": {" Other.Example.net "}, "addr": {"10.0.0.2:5269"},
		"ca_pem": {strings.ReplaceAll(ca, "\n", "\r\n")}, "policy": {"require-valid-cert"}}
	wantStatus(t, c.post("/federation/peers/add", form), http.StatusSeeOther, "add")
	r = c.get("/federation")
	wantBody(t, r, "Added the server other.example.net.", `<table id="peers"`, "other.example.net",
		"10.0.0.2:5269", ">pinned<", ">require-valid-cert<", `name="domain" value="other.example.net"`)
	if got := e.fake.peers["other.example.net"].CAPEM; got != ca {
		t.Errorf("stored CA %q, want %q", got, ca)
	}

	// The same domain again replaces its settings.
	wantStatus(t, c.post("/federation/peers/add", url.Values{"domain": {"other.example.net"}}), http.StatusSeeOther, "update")
	r = c.get("/federation")
	wantBody(t, r, "Updated the server other.example.net", ">DNS<", ">system roots<", ">default<")
	if p := e.fake.peers["other.example.net"]; p != (s2s.PeerConfig{Domain: "other.example.net"}) {
		t.Errorf("updated peer %+v", p)
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"bad addr", url.Values{"domain": {"new.example.net"}, "addr": {"10.0.0.2"}}, http.StatusBadRequest, "invalid peer address &#34;10.0.0.2&#34;"},
		{"bad port", url.Values{"domain": {"new.example.net"}, "addr": {"host:0"}}, http.StatusBadRequest, "the port must be a number"},
		{"no domain", url.Values{"addr": {"10.0.0.2:5269"}}, http.StatusBadRequest, "Enter the domain of the other server"},
		{"own domain", url.Values{"domain": {testDomain}}, http.StatusBadRequest, "this server&#39;s own domain"},
		{"not PEM", url.Values{"domain": {"new.example.net"}, "ca_pem": {"hello"}}, http.StatusBadRequest, "no PEM certificate"},
		{"key, not certificate", url.Values{"domain": {"new.example.net"}, "ca_pem": {"-----BEGIN PRIVATE KEY-----\nTUlJ\n-----END PRIVATE KEY-----\n"}}, http.StatusBadRequest, "give only certificates"},
		{"unknown policy", url.Values{"domain": {"new.example.net"}, "policy": {"trust-all"}}, http.StatusBadRequest, "Choose a policy from the list."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/federation/peers/add", tc.form)
			wantStatus(t, r, tc.status, tc.name)
			wantBody(t, r, `id="add-peer-error"`, tc.text, `href="#add-peer"`)
			if d := tc.form.Get("domain"); d != "" {
				wantBody(t, r, `id="peer-domain" name="domain" type="text" value="`+d+`"`) // filled in again
			}
		})
	}
	if _, ok := e.fake.peers["new.example.net"]; ok {
		t.Error("a refused peer was stored")
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"unconfirmed", url.Values{"domain": {"other.example.net"}}, http.StatusBadRequest, "Tick the box"},
		{"no domain", url.Values{"confirm": {"yes"}}, http.StatusBadRequest, "did not say which server"},
		{"unknown", url.Values{"domain": {"nope.example.net"}, "confirm": {"yes"}}, http.StatusNotFound, "no such peer"},
	} {
		r := c.post("/federation/peers/delete", tc.form)
		wantStatus(t, r, tc.status, "delete "+tc.name)
		wantBody(t, r, `id="page-error"`, tc.text)
	}
	r = c.post("/federation/peers/delete", url.Values{"domain": {"other.example.net"}, "confirm": {"yes"}})
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantBody(t, c.get("/federation"), "Deleted the server other.example.net.", `id="no-peers"`)
}

// TestFederationLinks: the links of each domain are listed under it, and domains linked
// without a configuration are listed too, without a delete button.
func TestFederationLinks(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	e.fake.peers["other.test"] = s2s.PeerConfig{Domain: "other.test", Policy: s2s.DialbackOK}
	e.fake.links = []s2s.LinkInfo{
		{Local: testDomain, Remote: "other.test", TLSVersion: "TLS 1.3", Auth: "sasl-external", CertExpiry: now.Add(20 * 24 * time.Hour), Since: now.Add(-time.Hour)},
		{Local: testDomain, Remote: "other.test", Incoming: true, TLSVersion: "TLS 1.2", Auth: "dialback", Since: now.Add(-time.Minute)},
		{Local: testDomain, Remote: "open.test", Incoming: true, TLSVersion: "TLS 1.3", Auth: "sasl-external", Since: now},
		{Remote: "down.test", LastError: "cannot reach down.test: connection refused"},
	}
	r := e.adminClient().get("/federation")
	wantStatus(t, r, http.StatusOK, "federation")
	wantBody(t, r, `<table id="peers"`, ">dialback-ok<",
		"<strong>out</strong>, TLS 1.3, sasl-external, certificate expires", ">in 20 days</time>",
		"<strong>in</strong>, TLS 1.2, dialback",
		`open.test <span class="badge note">not configured</span>`,
		"Could not link: cannot reach down.test: connection refused",
		`name="domain" value="other.test"`)
	for _, d := range []string{"open.test", "down.test"} {
		if strings.Contains(r.body, `name="domain" value="`+d+`"`) {
			t.Errorf("a delete button for %s, which is not configured", d)
		}
	}
	if i, j := strings.Index(r.body, "down.test"), strings.Index(r.body, "other.test"); i > j {
		t.Error("domains not sorted")
	}
}

func TestFederationComponents(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	wantBody(t, c.get("/federation"), `id="no-components"`)

	r := c.post("/federation/components/add", url.Values{"component": {"IRC.example.org"}})
	wantStatus(t, r, http.StatusOK, "add")
	secret := e.fake.comps["irc.example.org"]
	if len(secret) < admin.MinComponentSecretBytes {
		t.Fatalf("secret %q: shorter than %d bytes", secret, admin.MinComponentSecretBytes)
	}
	wantBody(t, r, `id="component-secret"`, "hostname=irc.example.org\npassword="+secret+"\nport=5347",
		"only time the secret is shown", "5347 by default", `<table id="components"`)
	if strings.Contains(r.body, `value="IRC.example.org"`) {
		t.Error("the form is filled in again after it succeeded")
	}

	// Shown once: not on the next page, nor anywhere else.
	r = c.get("/federation")
	if strings.Contains(r.body, secret) || strings.Contains(r.body, `id="component-secret"`) {
		t.Error("the secret is shown again")
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Error("the secret is in the log")
	}
	wantBody(t, r, `<th scope="row" class="jid">irc.example.org</th>`, `<td data-label="Connected">no</td>`)
	e.fake.compsOn["irc.example.org"] = true
	wantBody(t, c.get("/federation"), `<td data-label="Connected">yes</td>`)

	for _, tc := range []struct {
		name   string
		domain string
		status int
		text   string
	}{
		{"empty", " ", http.StatusBadRequest, "Enter the domain of the gateway, such as irc.example.org."},
		{"no dot", "irc", http.StatusBadRequest, "give a name with a dot"},
		{"invalid", "a b.example.org", http.StatusBadRequest, "invalid component domain"},
		{"own domain", testDomain, http.StatusBadRequest, "this server&#39;s own"},
		{"too long", strings.Repeat("a", maxDomainBytes) + ".org", http.StatusBadRequest, "The domain is too long."},
		{"exists", "irc.example.org", http.StatusConflict, "component already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/federation/components/add", url.Values{"component": {tc.domain}})
			wantStatus(t, r, tc.status, tc.name)
			wantBody(t, r, `id="add-component-error"`, tc.text)
			if strings.Contains(r.body, `id="component-secret"`) {
				t.Error("a secret shown for a refused gateway")
			}
		})
	}
	if e.fake.comps["irc.example.org"] != secret {
		t.Error("the secret changed")
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"unconfirmed", url.Values{"component": {"irc.example.org"}}, http.StatusBadRequest, "Tick the box"},
		{"no domain", url.Values{"confirm": {"yes"}}, http.StatusBadRequest, "did not say which gateway"},
		{"unknown", url.Values{"component": {"xmpp.example.net"}, "confirm": {"yes"}}, http.StatusNotFound, "no such component"},
	} {
		r := c.post("/federation/components/delete", tc.form)
		wantStatus(t, r, tc.status, "delete "+tc.name)
		wantBody(t, r, `id="page-error"`, tc.text)
	}
	r = c.post("/federation/components/delete", url.Values{"component": {"irc.example.org"}, "confirm": {"yes"}})
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantBody(t, c.get("/federation"), "Deleted the gateway irc.example.org", `id="no-components"`)
}

// TestFederationBodyLimit: a peer's CA bundle of a dozen certificates fits in a form.
func TestFederationBodyLimit(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/federation")
	// A 4096-bit RSA certificate is about 1.9 KiB of PEM; these stand-ins are as large.
	cert := testCAPEM(t, e.clock.Now())
	bundle := strings.Repeat(strings.Repeat(cert, 2048/len(cert)+1), 12)
	r := c.post("/federation/peers/add", url.Values{"domain": {"other.example.net"}, "ca_pem": {bundle}})
	wantStatus(t, r, http.StatusSeeOther, "a dozen CA certificates")
}
