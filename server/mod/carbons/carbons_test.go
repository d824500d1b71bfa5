package carbons

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const domain = "example.test"

// fixture is a router with the carbons module and fakes for presence and offline storage.
type fixture struct {
	r       *router.Router
	m       *Module
	conns   map[string]*modtest.Conn
	res     map[string]*session.Resource
	offline int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{conns: map[string]*modtest.Conn{}, res: map[string]*session.Resource{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.r = router.New(jid.MustParse(domain), session.NewRegistry(),
		modtest.Users{"alice@" + domain: true, "bob@" + domain: true}, log)
	f.r.HandlePresence(func(context.Context, router.Presence) {}, func(context.Context, router.Presence) {})
	f.r.HandleOffline(func(context.Context, jid.JID, *stanza.Element) error { f.offline++; return nil })
	f.m = New(f.r, log)
	f.m.Register(f.r)
	return f
}

// online binds full with an available presence of the given priority.
func (f *fixture) online(t *testing.T, full string, priority int) *session.Resource {
	t.Helper()
	c := &modtest.Conn{}
	res := session.NewResource(jid.MustParse(full), c)
	f.r.Bind(res)
	res.SetPresence(stanza.New(stanza.NSClient, "presence"), priority)
	f.conns[full], f.res[full] = c, res
	return res
}

// enable sends <enable/> (or <disable/>) from full and checks the result.
func (f *fixture) enable(t *testing.T, full string, on bool) {
	t.Helper()
	name := "enable"
	if !on {
		name = "disable"
	}
	iq := stanza.New(stanza.NSClient, "iq", "type", "set", "id", "c1", "from", full).Append(stanza.New(NS, name))
	f.r.Outbound(context.Background(), f.res[full], iq)
	got := f.conns[full].Take()
	if len(got) != 1 || got[0].Get("type") != "result" || got[0].Get("id") != "c1" {
		t.Fatalf("%s %s: got %v, want one result", full, name, got)
	}
}

// send makes full send st (its 'from' is stamped as c2s would).
func (f *fixture) send(full string, st *stanza.Element) {
	st.Set("from", full)
	f.r.Outbound(context.Background(), f.res[full], st)
}

func (f *fixture) takeAll() map[string][]*stanza.Element {
	out := map[string][]*stanza.Element{}
	for full, c := range f.conns {
		if got := c.Take(); len(got) > 0 {
			out[full] = got
		}
	}
	return out
}

func parse(t *testing.T, s string) *stanza.Element {
	t.Helper()
	el, err := xmlstream.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return el
}

const (
	aliceA = "alice@" + domain + "/a"
	aliceB = "alice@" + domain + "/b"
	aliceC = "alice@" + domain + "/c"
	bobX   = "bob@" + domain + "/x"
)

// TestCopies runs one message through the router for each case and checks who got what:
// the original ("msg"), a <sent/> copy or a <received/> copy. alice/a and alice/b have
// carbons enabled, alice/c does not.
func TestCopies(t *testing.T) {
	tests := []struct {
		name     string
		from     string
		msg      string
		negative bool              // alice/b has priority -1
		want     map[string]string // full JID -> "msg", "sent" or "received"
	}{
		{name: "received, to a full JID", from: bobX,
			msg:  `<message to='alice@example.test/a' type='chat'><body>hi</body></message>`,
			want: map[string]string{aliceA: "msg", aliceB: "received"}},
		{name: "sent", from: aliceA,
			msg:  `<message to='bob@example.test' type='chat'><body>hi</body></message>`,
			want: map[string]string{bobX: "msg", aliceB: "sent"}},
		{name: "sent from a resource without carbons", from: aliceC,
			msg:  `<message to='bob@example.test' type='chat'><body>hi</body></message>`,
			want: map[string]string{bobX: "msg", aliceA: "sent", aliceB: "sent"}},
		{name: "bare JID reaches all, no copies", from: bobX,
			msg:  `<message to='alice@example.test' type='chat'><body>hi</body></message>`,
			want: map[string]string{aliceA: "msg", aliceB: "msg", aliceC: "msg"}},
		{name: "bare JID, negative priority gets a copy", from: bobX, negative: true,
			msg:  `<message to='alice@example.test' type='chat'><body>hi</body></message>`,
			want: map[string]string{aliceA: "msg", aliceB: "received", aliceC: "msg"}},
		{name: "private sent", from: aliceA,
			msg:  `<message to='bob@example.test' type='chat'><body>hi</body><private xmlns='urn:xmpp:carbons:2'/></message>`,
			want: map[string]string{bobX: "msg"}},
		{name: "private received", from: bobX,
			msg:  `<message to='alice@example.test/a' type='chat'><body>hi</body><private xmlns='urn:xmpp:carbons:2'/></message>`,
			want: map[string]string{aliceA: "msg"}},
		{name: "no-copy sent", from: aliceA,
			msg:  `<message to='bob@example.test' type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>`,
			want: map[string]string{bobX: "msg"}},
		{name: "no-copy received", from: bobX,
			msg:  `<message to='alice@example.test/a' type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>`,
			want: map[string]string{aliceA: "msg"}},
		{name: "normal with body", from: bobX,
			msg:  `<message to='alice@example.test/a'><body>hi</body></message>`,
			want: map[string]string{aliceA: "msg", aliceB: "received"}},
		{name: "normal without body", from: bobX,
			msg:  `<message to='alice@example.test/a'><x xmlns='urn:example'/></message>`,
			want: map[string]string{aliceA: "msg"}},
		{name: "normal with a receipt", from: aliceA,
			msg:  `<message to='bob@example.test/x'><received xmlns='urn:xmpp:receipts' id='r1'/></message>`,
			want: map[string]string{bobX: "msg", aliceB: "sent"}},
		{name: "headline", from: bobX,
			msg:  `<message to='alice@example.test/a' type='headline'><body>news</body></message>`,
			want: map[string]string{aliceA: "msg"}},
		{name: "a carbon is not copied again", from: bobX,
			msg:  `<message to='alice@example.test/a' type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>`,
			want: map[string]string{aliceA: "msg"}},
		{name: "to another own resource", from: aliceA,
			msg:  `<message to='alice@example.test/c' type='chat'><body>note</body></message>`,
			want: map[string]string{aliceC: "msg", aliceB: "received"}},
		{name: "to the own bare JID", from: aliceA,
			msg:  `<message to='alice@example.test' type='chat'><body>note</body></message>`,
			want: map[string]string{aliceA: "msg", aliceB: "msg", aliceC: "msg"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.online(t, aliceA, 0)
			prio := 0
			if tc.negative {
				prio = -1
			}
			f.online(t, aliceB, prio)
			f.online(t, aliceC, 0)
			f.online(t, bobX, 0)
			f.enable(t, aliceA, true)
			f.enable(t, aliceB, true)

			orig := parse(t, tc.msg)
			f.send(tc.from, orig.Copy())
			got := f.takeAll()
			for full, kind := range tc.want {
				checkGot(t, full, got[full], kind, tc.from, orig)
				delete(got, full)
			}
			for full, els := range got {
				t.Errorf("%s got %v, want nothing", full, els)
			}
		})
	}
}

// checkGot checks that a resource got exactly one stanza of the given kind.
func checkGot(t *testing.T, full string, got []*stanza.Element, kind, from string, orig *stanza.Element) {
	t.Helper()
	if len(got) != 1 {
		t.Errorf("%s got %d stanzas %v, want one %s", full, len(got), got, kind)
		return
	}
	el := got[0]
	if kind == "msg" {
		if bodyOf(el) != bodyOf(orig) || el.Get("from") != from {
			t.Errorf("%s got %s, want the original message from %s", full, el, from)
		}
		if el.Child(NS, "private") != nil {
			t.Errorf("%s got %s: <private/> must be removed before delivery (XEP-0280 §8)", full, el)
		}
		return
	}
	bare, _, _ := cut(full)
	if el.Get("from") != bare || el.Get("to") != full || el.Get("type") != orig.Get("type") {
		t.Errorf("%s got %s, want a copy from %s to %s of type %q", full, el, bare, full, orig.Get("type"))
	}
	inner := el.Child(NS, kind).Child(NSForward, "forwarded").Child(stanza.NSClient, "message")
	if inner == nil {
		t.Errorf("%s got %s, want <%s><forwarded><message/>", full, el, kind)
		return
	}
	if inner.Get("from") != from || inner.Get("to") != orig.Get("to") {
		t.Errorf("%s: forwarded %s, want from %s to %s", full, inner, from, orig.Get("to"))
	}
}

func bodyOf(el *stanza.Element) string {
	if b := el.Child(stanza.NSClient, "body"); b != nil {
		return b.Text()
	}
	return ""
}

func cut(full string) (bare, resource string, ok bool) {
	j := jid.MustParse(full)
	return j.Bare().String(), j.Resourcepart(), j.Resourcepart() != ""
}

// TestEligible covers XEP-0280 §6 rules that need no router.
func TestEligible(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		inbound bool
		want    bool
	}{
		{"chat", `<message type='chat'/>`, false, true},
		{"chat state only, chat", `<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, true, true},
		{"chat state only, normal", `<message><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, true, true},
		{"marker", `<message><displayed xmlns='urn:xmpp:chat-markers:0' id='x'/></message>`, false, true},
		{"normal, body", `<message type='normal'><body>x</body></message>`, false, true},
		{"normal, empty", `<message/>`, false, false},
		{"groupchat", `<message type='groupchat'><body>x</body></message>`, true, false},
		{"headline", `<message type='headline'><body>x</body></message>`, true, false},
		{"error from a bare JID", `<message type='error' from='bob@example.test'><body>x</body><error type='cancel'/></message>`, true, true},
		{"error from a full JID", `<message type='error' from='bob@example.test/x'><error type='cancel'/></message>`, true, false},
		{"error sent by a client", `<message type='error' from='alice@example.test/a'><error type='cancel'/></message>`, false, false},
		{"error with a chat state", `<message type='error' from='bob@example.test/x'><active xmlns='http://jabber.org/protocol/chatstates'/><error type='cancel'/></message>`, true, false},
		{"private", `<message type='chat'><private xmlns='urn:xmpp:carbons:2'/></message>`, false, false},
		{"no-copy", `<message type='chat'><no-copy xmlns='urn:xmpp:hints'/></message>`, true, false},
		{"sent carbon", `<message type='chat'><sent xmlns='urn:xmpp:carbons:2'/></message>`, true, false},
		{"MUC PM received", `<message type='chat' from='room@muc.example/nick'><x xmlns='http://jabber.org/protocol/muc#user'/></message>`, true, false},
		{"MUC PM sent", `<message type='chat' to='room@muc.example/nick'><x xmlns='http://jabber.org/protocol/muc#user'/></message>`, false, true},
		{"mediated invitation", `<message from='room@muc.example'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='c@example.test'/></x></message>`, true, true},
		{"direct invitation", `<message from='c@example.test/r'><x xmlns='jabber:x:conference' jid='room@muc.example'/></message>`, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := eligible(parse(t, tc.msg), tc.inbound); got != tc.want {
				t.Errorf("eligible(%s, inbound %v) = %v, want %v", tc.msg, tc.inbound, got, tc.want)
			}
		})
	}
}

// TestEnableDisable: disabling stops copies, repeated requests are fine (§10.1), a session
// that ends is forgotten, and others may not toggle carbons.
func TestEnableDisable(t *testing.T) {
	f := newFixture(t)
	a := f.online(t, aliceA, 0)
	f.online(t, aliceB, 0)
	f.online(t, bobX, 0)
	f.enable(t, aliceB, true)
	f.enable(t, aliceB, true)
	if !f.m.Enabled(f.res[aliceB]) || f.m.Enabled(a) {
		t.Fatalf("Enabled(b)=%v Enabled(a)=%v, want true, false", f.m.Enabled(f.res[aliceB]), f.m.Enabled(a))
	}
	msg := func() *stanza.Element {
		return parse(t, `<message to='bob@example.test' type='chat'><body>hi</body></message>`)
	}
	f.send(aliceA, msg())
	if got := f.conns[aliceB].Take(); len(got) != 1 || got[0].Child(NS, "sent") == nil {
		t.Fatalf("enabled: alice/b got %v, want one <sent/> copy", got)
	}
	f.enable(t, aliceB, false)
	f.enable(t, aliceB, false)
	f.send(aliceA, msg())
	if got := f.conns[aliceB].Take(); len(got) != 0 {
		t.Errorf("disabled: alice/b got %v, want nothing", got)
	}

	f.enable(t, aliceB, true)
	f.r.Unbind(context.Background(), f.res[aliceB])
	if f.m.Enabled(f.res[aliceB]) || len(f.m.enabledOf("alice@"+domain)) != 0 {
		t.Errorf("session end: alice/b still listed as enabled")
	}

	t.Run("bad payload", func(t *testing.T) {
		iq := stanza.New(stanza.NSClient, "iq", "type", "set", "id", "c2", "from", aliceA).Append(stanza.New(NS, "toggle"))
		f.r.Outbound(context.Background(), a, iq)
		got := f.conns[aliceA].Take()
		if len(got) != 1 || got[0].Get("type") != "error" || got[0].Child(stanza.NSClient, "error").Child(stanza.NSStanzas, stanza.BadRequest) == nil {
			t.Errorf("got %v, want bad-request", got)
		}
	})
	t.Run("someone else's account", func(t *testing.T) {
		f.conns[bobX].Take()
		iq := stanza.New(stanza.NSClient, "iq", "type", "set", "id", "c3", "from", bobX, "to", "alice@"+domain).Append(stanza.New(NS, "enable"))
		f.r.Outbound(context.Background(), f.res[bobX], iq)
		got := f.conns[bobX].Take()
		if len(got) != 1 || got[0].Get("type") != "error" {
			t.Errorf("got %v, want an error", got)
		}
	})
}

// TestReplacedSessionForgotten: a resource replaced by a new session on the same full JID
// leaves without the session-end hook; enabling carbons again drops it.
func TestReplacedSessionForgotten(t *testing.T) {
	f := newFixture(t)
	old := f.online(t, aliceA, 0)
	f.enable(t, aliceA, true)
	f.online(t, aliceA, 0) // replaces old
	f.r.Unbind(context.Background(), old)
	f.enable(t, aliceA, true)
	if list := f.m.enabledOf("alice@" + domain); len(list) != 1 || list[0] != f.res[aliceA] {
		t.Errorf("enabled = %v, want only the new session", list)
	}
}

// TestOfflineNotCopied: a message kept offline is not copied, even to a carbons-enabled
// resource with a negative priority.
func TestOfflineNotCopied(t *testing.T) {
	f := newFixture(t)
	f.online(t, aliceB, -1)
	f.online(t, bobX, 0)
	f.enable(t, aliceB, true)
	f.send(bobX, parse(t, `<message to='alice@example.test' type='chat'><body>later</body></message>`))
	if got := f.conns[aliceB].Take(); len(got) != 0 || f.offline != 1 {
		t.Errorf("alice/b got %v, offline %d; want nothing and one message stored", got, f.offline)
	}
}

// TestPrivateSetForgetsCollected: a message whose <private/> was removed but which never
// reached delivery does not stay in the set.
func TestPrivateSetForgetsCollected(t *testing.T) {
	var s privateSet
	func() {
		el := stanza.New(stanza.NSClient, "message")
		s.add(el)
		if s.n.Load() != 1 {
			t.Fatalf("n = %d after add, want 1", s.n.Load())
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s.n.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("n = %d, want 0 once the message was collected", s.n.Load())
		}
		runtime.GC()
		runtime.Gosched()
	}
	kept := stanza.New(stanza.NSClient, "message")
	s.add(kept)
	if !s.take(kept) || s.take(kept) {
		t.Error("take: want true once, then false")
	}
	runtime.KeepAlive(kept)
}

// TestHooksAllocateNothingWithoutCarbons: accounts without carbons-enabled resources, the
// common case, cost no allocation per message.
func TestHooksAllocateNothingWithoutCarbons(t *testing.T) {
	f := newFixture(t)
	a := f.online(t, aliceA, 0)
	f.online(t, bobX, 0)
	ctx := context.Background()
	to := jid.MustParse(bobX)
	msg := parse(t, `<message from='alice@example.test/a' to='bob@example.test/x' type='chat'><body>hi</body></message>`)
	delivered := []*session.Resource{f.res[bobX]}
	allocs := testing.AllocsPerRun(1000, func() {
		f.m.outbound(ctx, a, msg, to)
		f.m.inbound(ctx, msg, to)
		f.m.delivered(ctx, msg, to, delivered)
	})
	if allocs != 0 {
		t.Errorf("hooks allocate %v times per message, want 0", allocs)
	}
}
