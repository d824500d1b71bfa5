package integration

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	nsVCard       = "vcard-temp"
	nsVCardUpdate = "vcard-temp:x:update"
)

// avatar is a stand-in image; the server hashes whatever bytes the BINVAL decodes to.
var avatar = bytes.Repeat([]byte("\x89PNG\r\n\x1a\nxmppbox avatar "), 40)

func avatarHash() string {
	sum := sha1.Sum(avatar)
	return hex.EncodeToString(sum[:])
}

// vcardXML is a vCard with FN fn and, when photo is set, the avatar as PHOTO, its base64
// wrapped at 76 characters as RFC 2045 (and XEP-0153 §4.5) has it.
func vcardXML(fn string, photo bool) string {
	var b strings.Builder
	b.WriteString("<vCard xmlns='vcard-temp'><FN>" + xmlEscape(fn) + "</FN><NICKNAME>" + xmlEscape(fn) + "</NICKNAME>")
	if photo {
		b.WriteString("<PHOTO><TYPE>image/png</TYPE><BINVAL>")
		enc := base64.StdEncoding.EncodeToString(avatar)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "</BINVAL></PHOTO>")
	}
	b.WriteString("</vCard>")
	return b.String()
}

// getVCard asks for owner's vCard (own when owner is ""), and returns the response.
func getVCard(t *testing.T, c *Client, owner string) *Elem {
	t.Helper()
	if owner == "" {
		return c.IQ(t, `<iq type='get' id='%s'><vCard xmlns='vcard-temp'/></iq>`)
	}
	return c.IQ(t, `<iq type='get' id='%s' to='%s'><vCard xmlns='vcard-temp'/></iq>`, owner)
}

// checkVCard fails unless res is a result carrying a vCard with FN fn and the avatar.
func checkVCard(t *testing.T, res *Elem, fn string) {
	t.Helper()
	card := res.Child(nsVCard, "vCard")
	if res.Get("type") != "result" || card == nil {
		t.Fatalf("vCard get: %s, want a result with a vCard", res)
	}
	if got := card.ChildText(nsVCard, "FN"); got != fn {
		t.Errorf("FN %q, want %q", got, fn)
	}
	binval := card.Child(nsVCard, "PHOTO").ChildText(nsVCard, "BINVAL")
	img, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(binval), ""))
	if err != nil || !bytes.Equal(img, avatar) {
		t.Errorf("PHOTO BINVAL does not decode to the avatar (err %v)", err)
	}
}

// TestVCard: XEP-0054 with mellium clients: set and get one's own vCard, another user reads
// it and cannot change it, an oversized vCard is refused, and the vCard survives a restart.
func TestVCard(t *testing.T) {
	t.Parallel()
	// 8 KiB, well under the stanza limit, so the vCard limit is what refuses the big one.
	srv := startServer(t, serverOpts{Config: map[string]string{"limits.max_vcard_bytes": "8192"}})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})

	t.Run("disco", func(t *testing.T) {
		for _, q := range []struct{ name, to string }{{"server", srv.Domain}, {"account", srv.JID("alice")}} {
			res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, q.to)
			if !hasFeature(res, nsVCard) {
				t.Errorf("%s disco#info %s lacks feature %s", q.name, res, nsVCard)
			}
		}
	})
	t.Run("own, none stored", func(t *testing.T) {
		res := getVCard(t, alice, "")
		if card := res.Child(nsVCard, "vCard"); res.Get("type") != "result" || card == nil || len(card.Children) != 0 {
			t.Errorf("own vCard before any set: %s, want an empty vCard (XEP-0054 §3.1)", res)
		}
	})
	t.Run("other's, none stored", func(t *testing.T) {
		if res := getVCard(t, bob, srv.JID("alice")); res.ErrorCondition() != "item-not-found" {
			t.Errorf("alice's vCard before any set, asked by bob: %s, want item-not-found (XEP-0054 §3.3)", res)
		}
	})
	t.Run("set", func(t *testing.T) {
		if res := alice.IQ(t, `<iq type='set' id='%s'>`+vcardXML("Alice Liddell", true)+`</iq>`); res.Get("type") != "result" {
			t.Fatalf("vCard set: %s", res)
		}
	})
	t.Run("own get", func(t *testing.T) { checkVCard(t, getVCard(t, alice, ""), "Alice Liddell") })
	t.Run("other user reads it", func(t *testing.T) { checkVCard(t, getVCard(t, bob, srv.JID("alice")), "Alice Liddell") })
	t.Run("other user cannot set it", func(t *testing.T) {
		res := bob.IQ(t, `<iq type='set' id='%s' to='%s'>`+vcardXML("Mallory", false)+`</iq>`, srv.JID("alice"))
		if res.ErrorCondition() != "forbidden" {
			t.Errorf("bob setting alice's vCard: %s, want forbidden (XEP-0054 §3.2)", res)
		}
	})
	t.Run("oversized refused", func(t *testing.T) {
		big := "<vCard xmlns='vcard-temp'><FN>Big</FN><DESC>" + strings.Repeat("0123456789", 1000) + "</DESC></vCard>"
		if res := alice.IQ(t, `<iq type='set' id='%s'>`+big+`</iq>`); res.ErrorCondition() != "policy-violation" {
			t.Errorf("10 KB vCard with an 8 KiB limit: %s, want policy-violation", res)
		}
		checkVCard(t, getVCard(t, bob, srv.JID("alice")), "Alice Liddell")
	})
	t.Run("unknown account", func(t *testing.T) {
		if res := getVCard(t, bob, srv.JID("nobody")); res.Get("type") != "error" {
			t.Errorf("vCard of an unknown account: %s, want an error", res)
		}
	})
	t.Run("survives restart", func(t *testing.T) {
		alice.Close(t)
		bob.Close(t)
		srv.Restart(t)
		bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
		checkVCard(t, getVCard(t, bob, srv.JID("alice")), "Alice Liddell")
	})
}

// TestVCardAvatarHashInPresence: after alice stores a vCard with a PHOTO, the presence bob
// sees from her carries its SHA-1 (XEP-0153, added by the server as XEP-0398 §4 describes),
// and a presence with an empty <photo/> is passed on untouched.
func TestVCardAvatarHashInPresence(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "a1"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b1"})
	rosterItems(t, alice)
	rosterItems(t, bob)
	alice.Presence(t)
	bob.Presence(t)
	subscribe(t, bob, alice) // bob receives alice's presence

	if res := alice.IQ(t, `<iq type='set' id='%s'>`+vcardXML("Alice", true)+`</iq>`); res.Get("type") != "result" {
		t.Fatalf("vCard set: %s", res)
	}
	steps := []struct {
		name, presence, status, want string
	}{
		{"plain presence gets the hash", `<presence><status>%s</status></presence>`, "after upload", avatarHash()},
		{"empty x is filled", `<presence><status>%s</status><x xmlns='vcard-temp:x:update'/></presence>`, "empty x", avatarHash()},
		{"empty photo is kept", `<presence><status>%s</status><x xmlns='vcard-temp:x:update'><photo/></x></presence>`, "no image", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			alice.Send(t, st.presence, st.status)
			p := bob.WaitFor(t, "alice's presence with status "+st.status, func(e *Elem) bool {
				return isPresenceFrom(srv.JID("alice"), "")(e) && e.ChildText(nsClient, "status") == st.status
			})
			x := p.Child(nsVCardUpdate, "x")
			if x == nil || x.Child(nsVCardUpdate, "photo") == nil || x.ChildText(nsVCardUpdate, "photo") != st.want {
				t.Errorf("bob got %s, want <x xmlns='vcard-temp:x:update'><photo>%s</photo></x>", p, st.want)
			}
		})
	}
}

// TestVCardSlixmpp: slixmpp's xep_0054 plugin publishes a vCard with a photo and reads it
// back (and its xep_0049 plugin stores and reads private XML); a mellium client then reads
// the same vCard, and sees the photo's hash in the presence slixmpp sends.
func TestVCardSlixmpp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{})
	rosterItems(t, bob)
	bob.Presence(t)
	// bob subscribes to alice while she is offline; she approves with a mellium session.
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	rosterItems(t, alice)
	alice.Presence(t)
	subscribe(t, bob, alice)
	alice.Close(t)

	out, err := runSlixmppScript(t, srv, "slixmpp_vcard.py", srv.JID("alice"), "alice-pw-1", "Alice from slixmpp")
	if err != nil {
		t.Fatalf("slixmpp: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`photo sha1: ([0-9a-f]{40})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("slixmpp printed no photo hash:\n%s", out)
	}
	res := getVCard(t, bob, srv.JID("alice"))
	card := res.Child(nsVCard, "vCard")
	if res.Get("type") != "result" || card.ChildText(nsVCard, "FN") != "Alice from slixmpp" {
		t.Fatalf("alice's vCard as bob reads it: %s, want FN 'Alice from slixmpp'", res)
	}
	img, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(card.Child(nsVCard, "PHOTO").ChildText(nsVCard, "BINVAL")), ""))
	if sum := sha1.Sum(img); err != nil || hex.EncodeToString(sum[:]) != m[1] {
		t.Errorf("PHOTO BINVAL of slixmpp's vCard does not hash to %s (err %v)", m[1], err)
	}
	// slixmpp's initial presence carries no vcard-temp:x:update: the server added the hash.
	p := bob.WaitFor(t, "alice's presence with her photo hash", func(e *Elem) bool {
		return isPresenceFrom(srv.JID("alice"), "")(e) && e.Child(nsVCardUpdate, "x").ChildText(nsVCardUpdate, "photo") == m[1]
	})
	t.Logf("bob saw %s", p)
}

// runSlixmppScript runs testdata/SCRIPT with /usr/bin/python3 as
// SCRIPT CA_FILE ARGS[0] ARGS[1] HOST PORT ARGS[2:]... against the c2s (STARTTLS) listener.
func runSlixmppScript(t *testing.T, srv *Server, script string, args ...string) (string, error) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(srv.C2S)
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{path, srv.CAFile, args[0], args[1], host, port}, args[2:]...)
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, argv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("%s (%v):\n%s", script, err, out.String())
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v", script, clientTimeout)
	}
	return out.String(), err
}

// hasFeature reports whether a disco#info result lists feature.
func hasFeature(res *Elem, feature string) bool {
	for _, f := range res.Child(nsDiscoInf, "query").All(nsDiscoInf, "feature") {
		if f.Get("var") == feature {
			return true
		}
	}
	return false
}
