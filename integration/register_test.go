package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Namespaces of in-band registration.
const (
	nsRegister        = "jabber:iq:register"                     // XEP-0077
	nsRegisterFeature = "http://jabber.org/features/iq-register" // XEP-0077 §8
	nsIBRToken        = "urn:xmpp:ibr-token:0"                   // XEP-0445 §3
	nsPARS            = "urn:xmpp:pars:0"                        // XEP-0379 <preauth/>
)

// registrationOn is the config of a server that lets anyone register.
var registrationOn = map[string]string{"register.enabled": "true"}

// preAuthStream opens a raw connection, negotiates STARTTLS and returns the connection
// with the stream features offered before authentication.
func preAuthStream(t *testing.T, srv *Server) (*rawConn, *Elem) {
	t.Helper()
	c := dialRaw(t, srv)
	c.Write(streamHeader(srv.Domain))
	c.MustNext("stream features")
	c.Write("<starttls xmlns='" + nsTLS + "'/>")
	if p := c.MustNext("<proceed/>"); !p.Is(nsTLS, "proceed") {
		t.Fatalf("STARTTLS answered with %s", p)
	}
	c.StartTLS()
	c.Write(streamHeader(srv.Domain))
	features := c.MustNext("stream features after TLS")
	if features.Child(nsSASL, "mechanisms") == nil {
		t.Fatalf("no SASL mechanisms after TLS: %s", features)
	}
	return c, features
}

// rawIQ sends an IQ and returns the server's answer, which must be its response.
func rawIQ(t *testing.T, c *rawConn, id, raw string) *Elem {
	t.Helper()
	c.Write(raw)
	el := c.MustNext("response to IQ " + id)
	if !el.Is(nsClient, "iq") || el.Get("id") != id {
		t.Fatalf("answer to IQ %s: %s", id, el)
	}
	return el
}

func registerIQ(id, user, password string) string {
	return "<iq type='set' id='" + id + "'><query xmlns='" + nsRegister + "'><username>" + xmlEscape(user) +
		"</username><password>" + xmlEscape(password) + "</password></query></iq>"
}

func preauthIQ(id, domain, token string) string {
	return "<iq type='set' id='" + id + "' to='" + domain + "'><preauth xmlns='" + nsPARS + "' token='" + xmlEscape(token) + "'/></iq>"
}

// wantIQ fails the test unless el is a result (condition "") or an error with condition.
func wantIQ(t *testing.T, what string, el *Elem, condition string) {
	t.Helper()
	got := el.ErrorCondition()
	if el.Get("type") == "result" {
		got = ""
	} else if got == "" {
		got = "(none)"
	}
	if got != condition {
		t.Errorf("%s: answer %s, want %s", what, el, map[bool]string{true: "a result", false: "error " + condition}[condition == ""])
	}
}

// loginPlain authenticates on a raw stream with SASL PLAIN and reports whether it succeeded.
func loginPlain(t *testing.T, c *rawConn, user, password string) bool {
	t.Helper()
	c.Write("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)) + "</auth>")
	return c.MustNext("SASL outcome").Is(nsSASL, "success")
}

// loginFails checks that user cannot log in with password.
func loginFails(t *testing.T, srv *Server, user, password string) {
	t.Helper()
	c, err := tryDial(t, srv, user, password, dialOpts{})
	if err == nil {
		c.Close(t)
		t.Fatalf("%s logged in with password %q", user, password)
	}
	if cond := saslCondition(err); cond != "not-authorized" {
		t.Errorf("login of %s: %v, want SASL not-authorized", user, err)
	}
}

// TestRegisterOff: by default the registration stream features are absent, and requests
// are answered service-unavailable (XEP-0077 §3.1) without creating anything.
func TestRegisterOff(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	c, features := preAuthStream(t, srv)
	if features.Child(nsRegisterFeature, "register") != nil || features.Child(nsIBRToken, "register") != nil {
		t.Errorf("registration offered while off: %s", features)
	}
	wantIQ(t, "registration form", rawIQ(t, c, "g1", "<iq type='get' id='g1'><query xmlns='"+nsRegister+"'/></iq>"), "service-unavailable")
	wantIQ(t, "registration", rawIQ(t, c, "r1", registerIQ("r1", "mallory", "mallory-pw")), "service-unavailable")
	// The stream is still fine for logging in.
	srv.AddUser(t, "alice", "alice-pw-1")
	if !loginPlain(t, c, "alice", "alice-pw-1") {
		t.Error("login after the refused registration failed")
	}
	loginFails(t, srv, "mallory", "mallory-pw")
}

// TestRegisterOpen: with [register] enabled, a client registers on the unauthenticated TLS
// stream, logs in on the same stream, and later with a real client library.
func TestRegisterOpen(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: registrationOn})
	srv.AddUser(t, "taken", "taken-pw-1")
	c, features := preAuthStream(t, srv)
	if features.Child(nsRegisterFeature, "register") == nil || features.Child(nsIBRToken, "register") == nil {
		t.Fatalf("registration not offered: %s", features)
	}
	form := rawIQ(t, c, "g1", "<iq type='get' id='g1' to='"+srv.Domain+"'><query xmlns='"+nsRegister+"'/></iq>")
	if q := form.Child(nsRegister, "query"); q == nil || q.Child(nsRegister, "username") == nil || q.Child(nsRegister, "password") == nil {
		t.Fatalf("registration form %s: want username and password", form)
	}
	wantIQ(t, "taken name", rawIQ(t, c, "r0", registerIQ("r0", "Taken", "x-pw-1")), "conflict")
	wantIQ(t, "empty password", rawIQ(t, c, "r1", registerIQ("r1", "newbie", "")), "not-acceptable")
	wantIQ(t, "registration", rawIQ(t, c, "r2", registerIQ("r2", "Newbie", "newbie-pw-1")), "")
	if !loginPlain(t, c, "newbie", "newbie-pw-1") {
		t.Fatal("the new account cannot log in on the stream it registered on")
	}
	newbie := dial(t, srv, "newbie", "newbie-pw-1", dialOpts{})
	newbie.Ping(t)
	loginFails(t, srv, "taken", "x-pw-1")
}

// TestRegisterInviteOnly: with invite_only, registering needs a token from
// `xmppbox invite create` (made while the server runs, through the admin API), presented
// with XEP-0445 <preauth/>; the token works once.
func TestRegisterInviteOnly(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{"register.enabled": "true", "register.invite_only": "true"}})
	out, _, err := srv.CLI(t, "", "invite", "create", "--expires", "1h")
	if err != nil {
		t.Fatalf("invite create: %v", err)
	}
	token, uri := outputField(t, out, "token"), outputField(t, out, "uri")
	if uri != "xmpp:"+srv.Domain+"?register;preauth="+token {
		t.Errorf("invite URI %q, want xmpp:%s?register;preauth=%s", uri, srv.Domain, token)
	}

	c, features := preAuthStream(t, srv)
	if features.Child(nsIBRToken, "register") == nil {
		t.Fatalf("no XEP-0445 stream feature: %s", features)
	}
	wantIQ(t, "registration without a token", rawIQ(t, c, "r1", registerIQ("r1", "invited", "invited-pw-1")), "not-allowed")
	wantIQ(t, "unknown token", rawIQ(t, c, "p1", preauthIQ("p1", srv.Domain, "NOT"+token)), "item-not-found")
	wantIQ(t, "the token", rawIQ(t, c, "p2", preauthIQ("p2", srv.Domain, token)), "")
	wantIQ(t, "registration with the token", rawIQ(t, c, "r2", registerIQ("r2", "invited", "invited-pw-1")), "")
	c.conn.Close()

	invited := dial(t, srv, "invited", "invited-pw-1", dialOpts{})
	invited.Ping(t)

	// Second use of the token.
	c2, _ := preAuthStream(t, srv)
	wantIQ(t, "the used token", rawIQ(t, c2, "p3", preauthIQ("p3", srv.Domain, token)), "item-not-found")
	wantIQ(t, "registration after the used token", rawIQ(t, c2, "r3", registerIQ("r3", "second", "second-pw-1")), "not-allowed")
	loginFails(t, srv, "second", "second-pw-1")
}

// TestAccountSelfService: with registration off, a logged-in user still changes their
// password (XEP-0077 §3.3) and removes their account (§3.2).
func TestAccountSelfService(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	phone := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "phone"})
	laptop := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "laptop"})

	res := phone.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:register'/></iq>`, srv.Domain)
	if q := res.Child(nsRegister, "query"); q == nil || q.Child(nsRegister, "registered") == nil || q.ChildText(nsRegister, "username") != "alice" {
		t.Errorf("registration info %s, want <registered/> and username alice", res)
	}

	res = phone.IQ(t, `<iq type='set' id='%s' to='%s'><query xmlns='jabber:iq:register'><username>alice</username><password>alice-pw-2</password></query></iq>`, srv.Domain)
	wantIQ(t, "password change", res, "")
	ended, err := laptop.WaitEnd(stanzaWait)
	if !ended || streamErrorCondition(err) != "not-authorized" {
		t.Errorf("the other session after the password change: ended %v, %v; want a not-authorized stream error", ended, err)
	}
	phone.Ping(t) // the requesting session stays
	loginFails(t, srv, "alice", "alice-pw-1")
	dial(t, srv, "alice", "alice-pw-2", dialOpts{Resource: "laptop"}).Ping(t)

	res = phone.IQ(t, `<iq type='set' id='%s'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	wantIQ(t, "account removal", res, "")
	ended, err = phone.WaitEnd(stanzaWait)
	if !ended || streamErrorCondition(err) != "not-authorized" {
		t.Errorf("the session after removing its account: ended %v, %v; want a not-authorized stream error", ended, err)
	}
	loginFails(t, srv, "alice", "alice-pw-2")
	if users := listUsers(t, srv); users[srv.JID("alice")] {
		t.Errorf("alice is still listed: %v", users)
	}
}

// TestRegisterSlixmpp: slixmpp's XEP-0077 plugin registers an account, logs in with it,
// changes its password, and later cancels the registration.
func TestRegisterSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: registrationOn})
	if out, err := runSlixmppRegister(t, srv, "juliet", "R0m30-pw", "register", "R0m30-new"); err != nil {
		t.Fatalf("slixmpp register: %v\n%s", err, out)
	} else if !strings.Contains(out, "registered") || !strings.Contains(out, "password changed") {
		t.Errorf("slixmpp did not report every step:\n%s", out)
	}
	loginFails(t, srv, "juliet", "R0m30-pw")
	dial(t, srv, "juliet", "R0m30-new", dialOpts{}).Ping(t)

	if out, err := runSlixmppRegister(t, srv, "juliet", "R0m30-new", "remove"); err != nil {
		t.Fatalf("slixmpp remove: %v\n%s", err, out)
	}
	loginFails(t, srv, "juliet", "R0m30-new")
}

// runSlixmppRegister runs testdata/slixmpp_register.py as user against the c2s listener.
func runSlixmppRegister(t *testing.T, srv *Server, user, password string, args ...string) (string, error) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (scripts/test installs python3-slixmpp): %v", python, err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "slixmpp_register.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{script, srv.CAFile, srv.JID(user), password, host, port}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("slixmpp (%v):\n%s", err, out.String())
	if ctx.Err() != nil {
		t.Fatalf("slixmpp did not finish within %v", clientTimeout)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		t.Fatalf("slixmpp is not installed:\n%s", out.String())
	}
	return out.String(), err
}

// outputField returns the value of a "key: value" line of a command's output.
func outputField(t *testing.T, out, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `: *(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", key, out)
	}
	return m[1]
}

// TestInviteOnBehalf: the operator invites on alice's behalf (`invite create --inviter`);
// the invitee registers in-band with the token (XEP-0445) and finds alice in the roster
// with a mutual subscription (XEP-0379), and alice gets the roster push.
func TestInviteOnBehalf(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Config: map[string]string{"register.enabled": "true", "register.invite_only": "true"}})
	alice := onlineUsers(t, srv, "alice")[0]
	rosterItems(t, alice)
	if _, errOut, err := srv.CLI(t, "", "invite", "create", "--inviter", "nobody"); err == nil || !strings.Contains(errOut, "no such user") {
		t.Errorf("invite on behalf of an unknown account: %v %s", err, errOut)
	}
	out, _, err := srv.CLI(t, "", "invite", "create", "--inviter", "alice")
	if err != nil {
		t.Fatalf("invite create --inviter: %v", err)
	}
	token := outputField(t, out, "token")

	c, _ := preAuthStream(t, srv)
	wantIQ(t, "the token", rawIQ(t, c, "p1", preauthIQ("p1", srv.Domain, token)), "")
	wantIQ(t, "registration with the token", rawIQ(t, c, "r1", registerIQ("r1", "bob", "bob-pw-1")), "")
	c.conn.Close()

	alice.WaitFor(t, "the roster push of bob", isRosterPush(srv.JID("bob"), func(it *Elem) bool { return subscription(it) == "both" }))
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	if it := rosterItems(t, bob)[srv.JID("alice")]; it == nil || subscription(it) != "both" {
		t.Errorf("bob's roster item for alice: %v, want subscription both", it)
	}
}
