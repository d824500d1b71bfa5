package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prosodyPeer starts an xmppbox box for xbox.test and a Prosody for prosody.test on
// loopback, tells Prosody (through the test's DNS server) where xbox.test and its chat
// room service are, and makes Prosody a peer of the box with its CA pinned, unless ca is
// given. trustBox makes Prosody trust the box's CA.
func prosodyPeer(t *testing.T, trustBox bool, po prosodyOpts, ca []byte, peerFlags ...string) (*Server, *Prosody) {
	t.Helper()
	box := startServer(t, serverOpts{Domain: "xbox.test"})
	addr := s2sAddr(t, box)
	po.Domain = "prosody.test"
	po.Peers = map[string]string{box.Domain: addr, "conference." + box.Domain: addr}
	if trustBox {
		po.TrustPEM = [][]byte{box.CAPEM}
	}
	if po.Users == nil {
		po.Users = map[string]string{"carol": "carol-pw-1"}
	}
	p := startProsody(t, po)
	if ca == nil {
		ca = p.CAPEM
	}
	caFile := filepath.Join(t.TempDir(), "prosody-ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"peer", "add", p.Domain, "--addr", p.S2S, "--ca", caFile}, peerFlags...)
	if out, errOut, err := box.CLI(t, "", args...); err != nil {
		t.Fatalf("peer add: %v\n%s%s", err, out, errOut)
	}
	return box, p
}

// TestFederationWithProsody: a box and Prosody 0.12 chat, share presence, ping each other
// and meet in the box's chat room, with certificates verified both ways (SASL EXTERNAL).
func TestFederationWithProsody(t *testing.T) {
	box, p := prosodyPeer(t, true, prosodyOpts{}, nil)
	alice := onlineUsers(t, box, "alice")[0]
	carol := p.Dial(t, "carol", "carol-pw-1", dialOpts{})
	carol.Presence(t)

	alice.Send(t, `<message to='%s' type='chat'><body>hello prosody</body></message>`, p.JID("carol"))
	carol.WaitFor(t, "alice's message", isMessageWithBody("hello prosody"))
	carol.Send(t, `<message to='%s' type='chat'><body>hello box</body></message>`, box.JID("alice"))
	alice.WaitFor(t, "carol's message", isMessageWithBody("hello box"))

	rosterItems(t, alice)
	rosterItems(t, carol)
	subscribe(t, alice, carol)
	subscribe(t, carol, alice)

	res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, p.Domain)
	if res.Get("type") != "result" {
		t.Errorf("ping of %s: %s", p.Domain, res)
	}
	res = carol.IQ(t, `<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, box.Domain)
	if res.Get("type") != "result" {
		t.Errorf("ping of %s from Prosody: %s", box.Domain, res)
	}
	res = alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='jabber:iq:version'/></iq>`, p.JID("nobody")+"/x")
	if res.Get("type") != "error" {
		t.Errorf("iq to an unknown Prosody user: %s, want an error", res)
	}

	// Carol, on Prosody, joins a room on the box.
	room := "lobby@conference." + box.Domain
	createRoom(t, alice, room, "alice", "")
	carol.Send(t, `<presence to='%s/carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	carol.WaitFor(t, "carol in the room", isSelfPresence(room))
	carol.Send(t, `<message to='%s' type='groupchat'><body>hi from prosody</body></message>`, room)
	alice.WaitFor(t, "carol's groupchat message", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("from") == room+"/carol" && e.ChildText(nsClient, "body") == "hi from prosody"
	})

	out, _, err := box.CLI(t, "", "peer", "list")
	if err != nil || !strings.Contains(out, "sasl-external") {
		t.Errorf("peer list: %v\n%s", err, out)
	}
}

// TestFederationWithProsodyDialback: Prosody does not trust the box's CA, so the box
// proves itself with Server Dialback, which Prosody checks by connecting back.
func TestFederationWithProsodyDialback(t *testing.T) {
	box, p := prosodyPeer(t, false, prosodyOpts{}, nil)
	alice := onlineUsers(t, box, "alice")[0]
	carol := p.Dial(t, "carol", "carol-pw-1", dialOpts{})
	carol.Presence(t)
	alice.Send(t, `<message to='%s' type='chat'><body>over dialback</body></message>`, p.JID("carol"))
	carol.WaitFor(t, "alice's message", isMessageWithBody("over dialback"))
	out, _, _ := box.CLI(t, "", "peer", "list")
	if !strings.Contains(out, "dialback") {
		t.Errorf("peer list does not show dialback:\n%s", out)
	}
}

// TestFederationWithProsodyBadCertificate: a Prosody whose certificate does not chain to
// the CA pinned for it is refused under require-valid-cert; the sender gets an error.
func TestFederationWithProsodyBadCertificate(t *testing.T) {
	other := newTestCA(t, "someone else")
	box, p := prosodyPeer(t, true, prosodyOpts{}, other.PEM)
	alice := onlineUsers(t, box, "alice")[0]
	alice.Send(t, `<message to='%s' type='chat' id='bad'><body>x</body></message>`, p.JID("carol"))
	e := alice.WaitFor(t, "the bounce", func(e *Elem) bool { return e.Is(nsClient, "message") && e.Get("id") == "bad" })
	if e.Get("type") != "error" || e.ErrorCondition() != "remote-server-not-found" {
		t.Errorf("message to an untrusted server: %s", e)
	}
}

// TestFederationRemoteRoom: a user of the box creates and uses a room on Prosody's chat
// service, where a Prosody user joins too.
func TestFederationRemoteRoom(t *testing.T) {
	box, p := prosodyPeer(t, true, prosodyOpts{MUC: true}, nil)
	alice := onlineUsers(t, box, "alice")[0]
	carol := p.Dial(t, "carol", "carol-pw-1", dialOpts{})
	carol.Presence(t)
	room := "meeting@" + p.MUCDomain

	createRoom(t, alice, room, "alice", "")
	carol.Send(t, `<presence to='%s/carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, room)
	carol.WaitFor(t, "carol in the room", isSelfPresence(room))
	alice.WaitFor(t, "carol's arrival", func(e *Elem) bool { return e.Is(nsClient, "presence") && e.Get("from") == room+"/carol" })

	alice.Send(t, `<message to='%s' type='groupchat'><body>hi from the box</body></message>`, room)
	carol.WaitFor(t, "alice's groupchat message", func(e *Elem) bool {
		return e.Is(nsClient, "message") && e.Get("from") == room+"/alice" && e.ChildText(nsClient, "body") == "hi from the box"
	})
}

// TestFederationWithProsodyBidi: with Prosody's mod_s2s_bidi, one TCP connection carries
// stanzas both ways (XEP-0288), whichever server opened it.
func TestFederationWithProsodyBidi(t *testing.T) {
	box, p := prosodyPeer(t, true, prosodyOpts{Bidi: true}, nil)
	alice := onlineUsers(t, box, "alice")[0]
	carol := p.Dial(t, "carol", "carol-pw-1", dialOpts{})
	carol.Presence(t)
	alice.Send(t, `<message to='%s' type='chat'><body>one connection</body></message>`, p.JID("carol"))
	carol.WaitFor(t, "alice's message", isMessageWithBody("one connection"))
	carol.Send(t, `<message to='%s' type='chat'><body>both ways</body></message>`, box.JID("alice"))
	alice.WaitFor(t, "carol's answer", isMessageWithBody("both ways"))

	out, _, err := box.CLI(t, "", "peer", "list")
	if err != nil || !strings.Contains(out, "+bidi") || strings.Count(out, "TLS 1.") != 1 {
		t.Errorf("peer list: want one bidirectional link, got %v\n%s", err, out)
	}
}
