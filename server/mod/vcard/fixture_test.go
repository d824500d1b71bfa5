package vcard_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

// fakeConn records what the router queues for a resource.
type fakeConn struct {
	mu  sync.Mutex
	got []*stanza.Element
}

func (c *fakeConn) Send(el *stanza.Element) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, el.Copy())
	return nil
}
func (c *fakeConn) Close(*stanza.StreamError) {}
func (c *fakeConn) RemoteAddr() string        { return "test" }

func (c *fakeConn) last(t *testing.T) *stanza.Element {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) == 0 {
		t.Fatal("nothing was sent to the client")
	}
	return c.got[len(c.got)-1]
}

type users map[string]bool

func (u users) UserExists(_ context.Context, bare string) (bool, error) { return u[bare], nil }

// fixture is a router for example.test with accounts alice, bob and carol, the module under
// test registered, and a presence handler that records what reaches it.
type fixture struct {
	r        *router.Router
	mu       sync.Mutex
	presence []*stanza.Element // outbound presence after the hooks; guarded by mu
}

func newFixture(t *testing.T, register func(r *router.Router)) *fixture {
	t.Helper()
	f := &fixture{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.r = router.New(jid.MustParse("example.test"), session.NewRegistry(),
		users{"alice@example.test": true, "bob@example.test": true, "carol@example.test": true}, log)
	f.r.HandlePresence(func(_ context.Context, p router.Presence) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.presence = append(f.presence, p.Stanza.Copy())
	}, func(context.Context, router.Presence) {})
	register(f.r)
	return f
}

// client binds full and returns a function that sends one stanza from it (given as XML in
// jabber:client) and the connection that records the replies.
func (f *fixture) client(t *testing.T, full string) (send func(xml string), conn *fakeConn) {
	t.Helper()
	conn = &fakeConn{}
	res := session.NewResource(jid.MustParse(full), conn)
	f.r.Bind(res)
	return func(xml string) {
		t.Helper()
		st, err := xmlstream.Parse([]byte(xml))
		if err != nil {
			t.Fatalf("parse %s: %v", xml, err)
		}
		st.Set("from", full)
		f.r.Outbound(t.Context(), res, st)
	}, conn
}

func (f *fixture) lastPresence(t *testing.T) *stanza.Element {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.presence) == 0 {
		t.Fatal("no presence reached the presence handler")
	}
	return f.presence[len(f.presence)-1]
}

// errorCondition returns the defined condition of an error stanza, or "".
func errorCondition(st *stanza.Element) string {
	e := st.Child(stanza.NSClient, "error")
	if e == nil {
		return ""
	}
	for _, c := range e.ChildElements() {
		if c.Name.Space == stanza.NSStanzas && c.Name.Local != "text" {
			return c.Name.Local
		}
	}
	return ""
}
