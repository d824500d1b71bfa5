package integration

import (
	"strings"
	"testing"
	"time"
)

// TestMessage: messages to a bare JID and to a full JID are delivered (RFC 6121 §8.5) and
// stamped with the sender's full JID; a message to an account that does not exist gets
// service-unavailable back (RFC 6121 §8.5.1, RFC 6120 §8.3.3.19).
func TestMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	srv.AddUser(t, "bob", "bob-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{Resource: "a"})
	bob := dial(t, srv, "bob", "bob-pw-1", dialOpts{Resource: "b"})
	alice.Presence(t)
	bob.Presence(t)
	// Messages to a bare JID go to available resources only: wait until bob's presence is in.
	bob.Ping(t)

	tests := []struct{ name, to, body string }{
		{"bare JID", srv.JID("bob"), "hello bare bob"},
		{"full JID", bob.JID.String(), "hello full bob"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alice.Send(t, `<message to='%s' type='chat' id='m-%s'><body>%s</body></message>`, tc.to, strings.ReplaceAll(tc.name, " ", "-"), tc.body)
			m := bob.WaitFor(t, "alice's message", isMessageWithBody(tc.body))
			if m.Get("from") != alice.JID.String() {
				t.Errorf("message from %q, want alice's full JID %s", m.Get("from"), alice.JID)
			}
			if m.Get("type") != "chat" {
				t.Errorf("message type %q, want chat", m.Get("type"))
			}
		})
	}
	t.Run("unknown user", func(t *testing.T) {
		nobody := srv.JID("nobody")
		alice.Send(t, `<message to='%s' type='chat' id='to-nobody'><body>anyone?</body></message>`, nobody)
		e := alice.WaitFor(t, "error for the message to nobody", func(e *Elem) bool {
			return e.Is(nsClient, "message") && e.Get("type") == "error" && e.Get("id") == "to-nobody"
		})
		if got := e.ErrorCondition(); got != "service-unavailable" {
			t.Errorf("error %s, want service-unavailable", e)
		}
		if e.Get("from") != nobody {
			t.Errorf("error from %q, want %s", e.Get("from"), nobody)
		}
	})
}

// TestServerIQ: the server itself answers disco#info (XEP-0030), ping (XEP-0199), version
// (XEP-0092) and time (XEP-0202), and refuses an IQ nobody handles (RFC 6120 §8.4).
func TestServerIQ(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{})
	srv.AddUser(t, "alice", "alice-pw-1")
	alice := dial(t, srv, "alice", "alice-pw-1", dialOpts{})
	tests := []struct {
		name    string
		payload string
		check   func(t *testing.T, res *Elem)
	}{
		{"disco#info", `<query xmlns='http://jabber.org/protocol/disco#info'/>`, func(t *testing.T, res *Elem) {
			q := res.Child(nsDiscoInf, "query")
			found := false
			for _, id := range q.All(nsDiscoInf, "identity") {
				found = found || (id.Get("category") == "server" && id.Get("type") == "im")
			}
			if !found {
				t.Errorf("no identity category='server' type='im' in %s", res)
			}
			features := map[string]bool{}
			for _, f := range q.All(nsDiscoInf, "feature") {
				features[f.Get("var")] = true
			}
			for _, want := range []string{nsDiscoInf, nsPing, nsVersion, nsTime} {
				if !features[want] {
					t.Errorf("feature %s missing from %s", want, res)
				}
			}
		}},
		{"ping", `<ping xmlns='urn:xmpp:ping'/>`, func(t *testing.T, res *Elem) {}},
		{"version", `<query xmlns='jabber:iq:version'/>`, func(t *testing.T, res *Elem) {
			q := res.Child(nsVersion, "query")
			if q.ChildText(nsVersion, "name") == "" || q.ChildText(nsVersion, "version") == "" {
				t.Errorf("version answer %s has no name or version", res)
			}
		}},
		{"time", `<time xmlns='urn:xmpp:time'/>`, func(t *testing.T, res *Elem) {
			q := res.Child(nsTime, "time")
			utc, err := time.Parse(time.RFC3339Nano, q.ChildText(nsTime, "utc"))
			if err != nil {
				t.Fatalf("time answer %s: utc: %v", res, err)
			}
			if d := time.Since(utc); d > time.Hour || d < -time.Hour {
				t.Errorf("server time %v is far from ours", utc)
			}
			tzo := q.ChildText(nsTime, "tzo")
			if tzo != "Z" && (len(tzo) != 6 || (tzo[0] != '+' && tzo[0] != '-')) {
				t.Errorf("tzo %q is not Z or ±hh:mm", tzo)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := alice.IQ(t, `<iq type='get' id='%s' to='%s'>`+tc.payload+`</iq>`, srv.Domain)
			if res.Get("type") != "result" {
				t.Fatalf("answer %s, want a result", res)
			}
			if res.Get("from") != srv.Domain {
				t.Errorf("answer from %q, want %s", res.Get("from"), srv.Domain)
			}
			tc.check(t, res)
		})
	}
	t.Run("unknown namespace", func(t *testing.T) {
		res := alice.IQ(t, `<iq type='get' id='%s' to='%s'><query xmlns='urn:example:nobody-handles-this'/></iq>`, srv.Domain)
		if res.Get("type") != "error" {
			t.Fatalf("answer %s, want an error", res)
		}
		if c := res.ErrorCondition(); c != "service-unavailable" && c != "feature-not-implemented" {
			t.Errorf("error %s, want service-unavailable or feature-not-implemented", res)
		}
	})
}
