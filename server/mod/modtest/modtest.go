// Package modtest runs feature modules against a real router with recording fake
// connections, the way httptest.ResponseRecorder tests handlers: a test binds clients,
// sends stanzas from them, and reads what each client was sent.
package modtest

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

// Domain is the domain every fixture serves.
const Domain = "example.test"

// Conn records what the router queues for a resource.
type Conn struct {
	mu  sync.Mutex
	got []*stanza.Element // guarded by mu
}

// Send implements session.Conn.
func (c *Conn) Send(el *stanza.Element) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, el.Copy())
	return nil
}

// Close implements session.Conn.
func (c *Conn) Close(*stanza.StreamError) {}

// RemoteAddr implements session.Conn.
func (c *Conn) RemoteAddr() string { return "test" }

// Received returns a copy of everything sent to the client so far.
func (c *Conn) Received() []*stanza.Element {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*stanza.Element(nil), c.got...)
}

// Take returns everything sent to the client since the last Take and forgets it.
func (c *Conn) Take() []*stanza.Element {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

// TakeFirst removes and returns the first stanza sent to the client that matches, or nil.
func (c *Conn) TakeFirst(match func(*stanza.Element) bool) *stanza.Element {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, el := range c.got {
		if match(el) {
			c.got = append(c.got[:i:i], c.got[i+1:]...)
			return el
		}
	}
	return nil
}

// Last returns the last stanza sent to the client and fails the test if there is none.
func (c *Conn) Last(t *testing.T) *stanza.Element {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) == 0 {
		t.Fatal("nothing was sent to the client")
	}
	return c.got[len(c.got)-1]
}

// Users is an account directory for the router.
type Users map[string]bool

// UserExists implements router.Users.
func (u Users) UserExists(_ context.Context, bare string) (bool, error) { return u[bare], nil }

// Fixture is a router for Domain with a set of accounts, the modules under test
// registered, and a presence handler that records outbound presence after the hooks.
type Fixture struct {
	Router *router.Router

	mu       sync.Mutex
	presence []*stanza.Element // guarded by mu
}

// New returns a fixture whose accounts are the given localparts; register wires the
// modules under test.
func New(t *testing.T, localparts []string, register func(r *router.Router)) *Fixture {
	t.Helper()
	users := Users{}
	for _, l := range localparts {
		users[l+"@"+Domain] = true
	}
	f := &Fixture{}
	f.Router = router.New(jid.MustParse(Domain), session.NewRegistry(), users, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Router.HandlePresence(func(ctx context.Context, p router.Presence) {
		f.mu.Lock()
		f.presence = append(f.presence, p.Stanza.Copy())
		f.mu.Unlock()
		// Directed presence to a service domain (such as a MUC service) reaches the service.
		for _, svc := range f.Router.Services() {
			if p.To.Domainpart() == svc.Domain {
				f.Router.RoutePresence(ctx, p)
			}
		}
	}, func(_ context.Context, p router.Presence) {
		// Presence to an account (from a service) reaches the addressed resource, or all.
		bare := p.To.Bare().String()
		if p.To.Resourcepart() != "" {
			if res := f.Router.Sessions().Resource(bare, p.To.String()); res != nil {
				res.Send(p.Stanza)
			}
			return
		}
		for _, res := range f.Router.Sessions().Resources(bare) {
			res.Send(p.Stanza)
		}
	})
	register(f.Router)
	return f
}

// Client binds full and returns a function that sends one stanza from it (XML in
// jabber:client, 'from' is stamped) and the connection that records what it is sent.
func (f *Fixture) Client(t *testing.T, full string) (send func(xml string), conn *Conn) {
	t.Helper()
	conn = &Conn{}
	res := session.NewResource(jid.MustParse(full), conn)
	f.Router.Bind(res)
	return func(xml string) {
		t.Helper()
		st, err := xmlstream.Parse([]byte(xml))
		if err != nil {
			t.Fatalf("parse %s: %v", xml, err)
		}
		st.Set("from", full)
		f.Router.Outbound(t.Context(), res, st)
	}, conn
}

// LastPresence returns the last outbound presence that passed the hooks.
func (f *Fixture) LastPresence(t *testing.T) *stanza.Element {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.presence) == 0 {
		t.Fatal("no presence reached the presence handler")
	}
	return f.presence[len(f.presence)-1]
}

// ErrorCondition returns the defined condition of an error stanza, or "".
func ErrorCondition(st *stanza.Element) string {
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
