package router

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"xmppbox/server/session"
	"xmppbox/server/stanza"
)

// fakeConn records what the router queues for a resource.
type fakeConn struct {
	mu   sync.Mutex
	got  []*stanza.Element
	full bool
}

func (c *fakeConn) Send(el *stanza.Element) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		return session.ErrQueueFull
	}
	c.got = append(c.got, el.Copy())
	return nil
}
func (c *fakeConn) Close(*stanza.StreamError) {}
func (c *fakeConn) RemoteAddr() string        { return "test" }

type users map[string]bool

func (u users) UserExists(_ context.Context, bare string) (bool, error) { return u[bare], nil }

type fixture struct {
	r       *Router
	offline []string // bare JIDs messages were stored for
	conns   map[string]*fakeConn
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{conns: map[string]*fakeConn{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.r = New(jid.MustParse("example.test"), session.NewRegistry(), users{"alice@example.test": true, "bob@example.test": true}, log)
	f.r.HandlePresence(func(context.Context, Presence) {}, func(context.Context, Presence) {})
	f.r.HandleOffline(func(_ context.Context, to jid.JID, _ *stanza.Element) error {
		f.offline = append(f.offline, to.String())
		return nil
	})
	f.r.RegisterIQ("get", "urn:test", ToServer, func(context.Context, IQ) (*stanza.Element, error) {
		return stanza.New("urn:test", "answer"), nil
	})
	return f
}

// online binds a resource with the given priority; available=false leaves it without presence.
func (f *fixture) online(t *testing.T, full string, available bool, priority int) *session.Resource {
	t.Helper()
	c := &fakeConn{}
	f.conns[full] = c
	res := session.NewResource(jid.MustParse(full), c)
	f.r.Bind(res)
	if available {
		res.SetPresence(stanza.New(stanza.NSClient, "presence"), priority)
	}
	return res
}

func (f *fixture) received(full string) []*stanza.Element {
	c := f.conns[full]
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got
}

func msg(typ, from, to string) *stanza.Element {
	m := stanza.New(stanza.NSClient, "message", "from", from, "to", to, "id", "m1")
	if typ != "" {
		m.Set("type", typ)
	}
	return m.Append(stanza.New(stanza.NSClient, "body").AppendText("hi"))
}

// TestMessageDelivery checks RFC 6121 §8.5 for local addressees.
func TestMessageDelivery(t *testing.T) {
	tests := []struct {
		name        string
		typ, to     string
		bob         map[string][2]int // resource -> {available (0/1), priority}
		wantAt      []string          // bob's resources that receive it
		wantOffline bool
		wantError   string // condition alice gets back
	}{
		{name: "bare, two available", typ: "chat", to: "bob@example.test",
			bob: map[string][2]int{"a": {1, 0}, "b": {1, 5}}, wantAt: []string{"a", "b"}},
		{name: "bare, negative priority skipped", typ: "chat", to: "bob@example.test",
			bob: map[string][2]int{"a": {1, -1}, "b": {1, 0}}, wantAt: []string{"b"}},
		{name: "bare, only negative: offline", typ: "chat", to: "bob@example.test",
			bob: map[string][2]int{"a": {1, -1}}, wantOffline: true},
		{name: "bare, bound but not available: offline", typ: "normal", to: "bob@example.test",
			bob: map[string][2]int{"a": {0, 0}}, wantOffline: true},
		{name: "bare, nobody online: offline", typ: "chat", to: "bob@example.test", wantOffline: true},
		{name: "headline offline is dropped", typ: "headline", to: "bob@example.test"},
		{name: "groupchat to bare JID", typ: "groupchat", to: "bob@example.test", wantError: stanza.ServiceUnavailable},
		{name: "full JID online", typ: "chat", to: "bob@example.test/b",
			bob: map[string][2]int{"a": {1, 0}, "b": {1, 0}}, wantAt: []string{"b"}},
		{name: "full JID bound without presence still gets it", typ: "chat", to: "bob@example.test/a",
			bob: map[string][2]int{"a": {0, 0}}, wantAt: []string{"a"}},
		{name: "unknown full JID treated as bare", typ: "chat", to: "bob@example.test/gone",
			bob: map[string][2]int{"a": {1, 0}}, wantAt: []string{"a"}},
		{name: "unknown full JID groupchat", typ: "groupchat", to: "bob@example.test/gone", wantError: stanza.ServiceUnavailable},
		{name: "unknown user", typ: "chat", to: "carol@example.test", wantError: stanza.ServiceUnavailable},
		{name: "error to unknown user is dropped", typ: "error", to: "carol@example.test"},
		{name: "remote domain", typ: "chat", to: "dave@elsewhere.test", wantError: stanza.RemoteServerNotFound},
		{name: "to the server", typ: "chat", to: "example.test", wantError: stanza.ServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			alice := f.online(t, "alice@example.test/home", true, 0)
			for res, st := range tc.bob {
				f.online(t, "bob@example.test/"+res, st[0] == 1, st[1])
			}
			f.r.Outbound(context.Background(), alice, msg(tc.typ, alice.Full(), tc.to))
			for res := range tc.bob {
				got := len(f.received("bob@example.test/" + res))
				want := 0
				for _, w := range tc.wantAt {
					if w == res {
						want = 1
					}
				}
				if got != want {
					t.Errorf("bob/%s got %d messages, want %d", res, got, want)
				}
			}
			if (len(f.offline) > 0) != tc.wantOffline {
				t.Errorf("stored offline for %v, want stored: %v", f.offline, tc.wantOffline)
			}
			back := f.received(alice.Full())
			switch {
			case tc.wantError == "" && len(back) > 0:
				t.Errorf("alice got %s, want nothing", back[0])
			case tc.wantError != "":
				if len(back) != 1 || back[0].Get("type") != "error" {
					t.Fatalf("alice got %v, want one error", back)
				}
				if cond := back[0].Child(stanza.NSClient, "error").FirstChild(); cond == nil || cond.Name.Local != tc.wantError {
					t.Errorf("error condition %v, want %s", cond, tc.wantError)
				}
			}
		})
	}
}

func TestIQRouting(t *testing.T) {
	tests := []struct {
		name, typ, to, ns string
		wantType          string // type of alice's reply
		wantCondition     string
	}{
		{"server handler", "get", "example.test", "urn:test", "result", ""},
		{"unknown namespace at server", "get", "example.test", "urn:nobody", "error", stanza.ServiceUnavailable},
		{"unknown namespace at account", "get", "bob@example.test", "urn:nobody", "error", stanza.ServiceUnavailable},
		{"unknown account", "get", "carol@example.test", "urn:test", "error", stanza.ServiceUnavailable},
		{"offline full JID", "get", "bob@example.test/none", "urn:test", "error", stanza.ServiceUnavailable},
		{"result to server is not answered", "result", "example.test", "urn:test", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			alice := f.online(t, "alice@example.test/home", true, 0)
			iq := stanza.New(stanza.NSClient, "iq", "type", tc.typ, "id", "q1", "from", alice.Full(), "to", tc.to)
			iq.Append(stanza.New(tc.ns, "query"))
			f.r.Outbound(context.Background(), alice, iq)
			back := f.received(alice.Full())
			if tc.wantType == "" {
				if len(back) != 0 {
					t.Fatalf("got %v, want no reply", back)
				}
				return
			}
			if len(back) != 1 || back[0].Get("type") != tc.wantType || back[0].Get("id") != "q1" {
				t.Fatalf("got %v, want one %s reply to q1", back, tc.wantType)
			}
			if tc.wantCondition != "" {
				if cond := back[0].Child(stanza.NSClient, "error").FirstChild(); cond == nil || cond.Name.Local != tc.wantCondition {
					t.Errorf("condition %v, want %s", cond, tc.wantCondition)
				}
			}
		})
	}
}

func TestSlowClientMessageGoesOffline(t *testing.T) {
	f := newFixture(t)
	alice := f.online(t, "alice@example.test/home", true, 0)
	f.online(t, "bob@example.test/a", true, 0)
	f.conns["bob@example.test/a"].full = true
	f.r.Outbound(context.Background(), alice, msg("chat", alice.Full(), "bob@example.test/a"))
	if len(f.offline) != 1 {
		t.Fatalf("offline = %v, want the message stored for bob", f.offline)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	f := newFixture(t)
	defer func() {
		if recover() == nil {
			t.Fatal("second registration of the same IQ pattern did not panic")
		}
	}()
	f.r.RegisterIQ("get", "urn:test", ToServer, func(context.Context, IQ) (*stanza.Element, error) { return nil, nil })
}
