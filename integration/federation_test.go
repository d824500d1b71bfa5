package integration

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"
)

// s2sAddr waits for a server's s2s listener and returns its address.
func s2sAddr(t *testing.T, srv *Server) string {
	t.Helper()
	if a := srv.Listeners["s2s"]; a != "" {
		return a
	}
	line := srv.WaitLog(t, 10*time.Second, func(l string) bool {
		return listeningRE.MatchString(l) && logValue(l, "listener") == "s2s"
	})
	return logValue(line, "addr")
}

// peer makes srv trust other: `xmppbox peer add` with other's s2s address and CA file,
// plus extra flags.
func peer(t *testing.T, srv, other *Server, extra ...string) {
	t.Helper()
	args := append([]string{"peer", "add", other.Domain, "--addr", s2sAddr(t, other), "--ca", other.CAFile}, extra...)
	if out, errOut, err := srv.CLI(t, "", args...); err != nil {
		t.Fatalf("peer add: %v\n%s%s", err, out, errOut)
	}
}

// federatedPair starts two boxes with their own domains and CAs, each a peer of the other.
func federatedPair(t *testing.T) (a, b *Server) {
	t.Helper()
	a = startServer(t, serverOpts{Domain: "a.example"})
	b = startServer(t, serverOpts{Domain: "b.example"})
	peer(t, a, b)
	peer(t, b, a)
	return a, b
}

// TestFederationBetweenBoxes: two xmppbox boxes, each trusting the other's CA (as two
// offices would exchange `xmppbox cert ca` output), chat and share presence.
func TestFederationBetweenBoxes(t *testing.T) {
	a, b := federatedPair(t)
	alice := onlineUsers(t, a, "alice")[0]
	bob := onlineUsers(t, b, "bob")[0]

	alice.Send(t, `<message to='%s' type='chat' id='m1'><body>hello from a</body></message>`, b.JID("bob"))
	got := bob.WaitFor(t, "alice's message", isMessageWithBody("hello from a"))
	if from := got.Get("from"); !strings.HasPrefix(from, a.JID("alice")+"/") {
		t.Errorf("message from %q, want alice's full JID", from)
	}
	bob.Send(t, `<message to='%s' type='chat' id='m2'><body>hello from b</body></message>`, a.JID("alice"))
	alice.WaitFor(t, "bob's answer", isMessageWithBody("hello from b"))

	// RFC 6121 subscription handshake across the link, then presence. Roster pushes go
	// to resources that asked for the roster (§2.1.6).
	rosterItems(t, alice)
	rosterItems(t, bob)
	subscribe(t, alice, bob)
	subscribe(t, bob, alice)
	bob.Send(t, `<presence><show>away</show></presence>`)
	alice.WaitFor(t, "bob's away presence", func(e *Elem) bool {
		return e.Is(nsClient, "presence") && strings.HasPrefix(e.Get("from"), b.JID("bob")+"/") && e.ChildText(nsClient, "show") == "away"
	})

	// XEP-0199 ping of the remote server and of a remote client.
	res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, b.Domain)
	if res.Get("type") != "result" || res.Get("from") != b.Domain {
		t.Errorf("ping of %s: %s", b.Domain, res)
	}
	// The test client answers what it does not implement with an error: either way the
	// answer comes from bob's client, across the link.
	res = alice.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, bob.JID.String())
	if res.Get("from") != bob.JID.String() {
		t.Errorf("ping of bob's client: %s", res)
	}

	// vCards (XEP-0054) are fetched from the contact's own server.
	if res := alice.IQ(t, `<iq type='set' id='%s'><vCard xmlns='vcard-temp'><FN>Alice A.</FN></vCard></iq>`); res.Get("type") != "result" {
		t.Fatalf("set vCard: %s", res)
	}
	res = bob.IQ(t, `<iq type='get' id='%s' to='%s'><vCard xmlns='vcard-temp'/></iq>`, a.JID("alice"))
	if fn := res.Child("vcard-temp", "vCard").ChildText("vcard-temp", "FN"); res.Get("type") != "result" || fn != "Alice A." {
		t.Errorf("alice's vCard fetched from b: %s", res)
	}

	// A stanza to an unknown remote user comes back as an error from the remote server.
	res = alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:version'/></iq>`, b.JID("nobody")+"/x")
	if res.Get("type") != "error" || res.ErrorCondition() != "service-unavailable" {
		t.Errorf("iq to an unknown remote user: %s", res)
	}

	// The links show in `peer list`: certificates both ways, TLS 1.3.
	out, _, err := a.CLI(t, "", "peer", "list")
	if err != nil || !strings.Contains(out, b.Domain) || !strings.Contains(out, "sasl-external") || !strings.Contains(out, "TLS 1.3") {
		t.Errorf("peer list on a: %v\n%s", err, out)
	}
}

// TestFederationMUC: a remote user joins a room on this box and talks in it.
func TestFederationMUC(t *testing.T) {
	a, b := federatedPair(t)
	alice := onlineUsers(t, a, "alice")[0]
	bob := onlineUsers(t, b, "bob")[0]
	room := "office@conference." + a.Domain

	createRoom(t, alice, room, "alice", "")
	bob.Send(t, `<presence to='%s/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	bob.WaitFor(t, "bob in the room", isSelfPresence(room))
	alice.WaitFor(t, "bob's arrival", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("from") == room+"/bob" })

	bob.Send(t, `<message to='%s' type='groupchat' id='g1'><body>hi room</body></message>`, room)
	alice.WaitFor(t, "bob's groupchat message", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("from") == room+"/bob" && e.ChildText(nsClient, "body") == "hi room"
	})
	bob.WaitFor(t, "the reflection of bob's message", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("from") == room+"/bob" && e.ChildText(nsClient, "body") == "hi room"
	})
}

// TestFederationCertificatePolicy: under require-valid-cert a peer whose certificate does
// not verify against the CA pinned for it is refused and the sender gets an error; with
// dialback-ok, Server Dialback proves it instead.
func TestFederationCertificatePolicy(t *testing.T) {
	a := startServer(t, serverOpts{Domain: "a.example"})
	b := startServer(t, serverOpts{Domain: "b.example"})
	c := startServer(t, serverOpts{Domain: "c.example"}) // its CA is the wrong one for a
	peer(t, a, b)
	// b pins the wrong CA for a: a's certificate cannot be verified.
	args := []string{"peer", "add", a.Domain, "--addr", s2sAddr(t, a), "--ca", c.CAFile}
	if _, errOut, err := b.CLI(t, "", args...); err != nil {
		t.Fatalf("peer add: %v %s", err, errOut)
	}
	alice := onlineUsers(t, a, "alice")[0]
	bob := onlineUsers(t, b, "bob")[0]

	alice.Send(t, `<message to='%s' type='chat' id='refused'><body>x</body></message>`, b.JID("bob"))
	e := alice.WaitFor(t, "the bounce", func(e *Elem) bool { return e.Is(nsClient, "message") && e.Get("id") == "refused" })
	if e.Get("type") != "error" || e.ErrorCondition() != "remote-server-not-found" {
		t.Errorf("refused link: %s, want a remote-server-not-found error", e)
	}

	// Allowing dialback for a: b verifies a through a's own s2s listener.
	if _, errOut, err := b.CLI(t, "", append(args, "--policy", "dialback-ok")...); err != nil {
		t.Fatalf("peer add --policy: %v %s", err, errOut)
	}
	// The failure is remembered for a few seconds (stanzas meanwhile bounce at once);
	// then the link is tried again, now with dialback.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		body := fmt.Sprintf("via dialback %d", i)
		alice.Send(t, `<message to='%s' type='chat'><body>%s</body></message>`, b.JID("bob"), body)
		if _, err := bob.waitFor(3*time.Second, isMessageWithBody(body)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message over dialback; alice received:\n%s", alice.received())
		}
	}
	out, _, _ := b.CLI(t, "", "peer", "list")
	if !strings.Contains(out, "dialback") {
		t.Errorf("peer list on b does not show dialback:\n%s", out)
	}
}

// TestFederationPeerDown: when the remote box stops, stanzas to it bounce to their
// sender; when it is back, messages flow again.
func TestFederationPeerDown(t *testing.T) {
	a, b := federatedPair(t)
	alice := onlineUsers(t, a, "alice")[0]
	b.AddUser(t, "bob", "pw-bob")
	bob := dial(t, b, "bob", "pw-bob", dialOpts{})
	bob.Presence(t)
	alice.Send(t, `<message to='%s' type='chat' id='before'><body>before</body></message>`, b.JID("bob"))
	bob.WaitFor(t, "the first message", isMessageWithBody("before"))

	b.Stop(t)
	alice.Send(t, `<message to='%s' type='chat' id='down'><body>while down</body></message>`, b.JID("bob"))
	e := alice.WaitFor(t, "the bounce", func(e *Elem) bool { return e.Is(nsClient, "message") && e.Get("id") == "down" })
	if e.Get("type") != "error" {
		t.Errorf("message to a stopped box: %s, want an error", e)
	}
}

// TestFederationPEP: a remote contact's client with +notify in its caps (XEP-0115) gets
// the avatar metadata its contact publishes (XEP-0163 §4.3), across the link: the server
// verifies the remote client's caps with a disco#info query over the link too.
func TestFederationPEP(t *testing.T) {
	a, b := federatedPair(t)
	alice := onlineUsers(t, a, "alice")[0]
	b.AddUser(t, "bob", "bob-pw-1")
	setup := dial(t, b, "bob", "bob-pw-1", dialOpts{Resource: "setup"})
	rosterItems(t, alice)
	rosterItems(t, setup)
	setup.Presence(t)
	subscribe(t, alice, setup)
	subscribe(t, setup, alice)
	setup.Close(t)

	notify := []string{nsDiscoInf, nsCaps, nsAvatarMeta + "+notify"}
	bob := dialCaps(t, b, "bob", "bob-pw-1", "tablet", notify)
	bob.WaitFor(t, "alice's server asking what bob's caps mean", isDiscoQuery)
	bob.Ping(t)
	res := alice.IQ(t, publishIQ(nsAvatarMeta, "avatar-1", avatarMetadata("avatar-1")))
	if res.Get("type") != "result" {
		t.Fatalf("publish: %s", res)
	}
	ev := bob.WaitFor(t, "the avatar notification from the other box", isPEPEvent(nsAvatarMeta, "avatar-1"))
	if ev.Get("from") != a.JID("alice") {
		t.Errorf("notification from %q, want alice's bare JID", ev.Get("from"))
	}
}

// TestFederationDirectTLSListener: the s2s-tls listener speaks TLS from the first byte
// (XEP-0368) and then offers authentication at once, with no STARTTLS.
func TestFederationDirectTLSListener(t *testing.T) {
	srv := startServer(t, serverOpts{Domain: "a.example", Env: []string{"XMPPBOX_S2S_TLS_ADDR=127.0.0.1:0"}})
	line := srv.WaitLog(t, 10*time.Second, func(l string) bool {
		return listeningRE.MatchString(l) && logValue(l, "listener") == "s2s-tls"
	})
	conn, err := tls.Dial("tcp", logValue(line, "addr"), &tls.Config{ServerName: srv.Domain, RootCAs: srv.CAPool, NextProtos: []string{"xmpp-server"}})
	if err != nil {
		t.Fatalf("direct TLS: %v", err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "xmpp-server" {
		t.Errorf("ALPN %q, want xmpp-server", p)
	}
	fmt.Fprintf(conn, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='b.example' to='%s' version='1.0'>", srv.Domain)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), "features>") {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading features: %v (got %q)", err, got.String())
		}
		got.Write(buf[:n])
	}
	if f := got.String(); strings.Contains(f, "starttls") || !strings.Contains(f, "urn:xmpp:features:dialback") {
		t.Errorf("features on a direct-TLS stream: %s", f)
	}
}
