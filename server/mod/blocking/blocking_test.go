package blocking_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"xmppbox/server/mod/blocking"
	"xmppbox/server/mod/blocking/blockingtest"
	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/roster"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/router"
	"xmppbox/server/session"
	"xmppbox/server/stanza"
	"xmppbox/server/xmlstream"
)

const (
	domain = "example.test"
	alice  = "alice@" + domain
	bob    = "bob@" + domain
	carol  = "carol@" + domain
	aliceA = alice + "/a"
	aliceB = alice + "/b"
	bobX   = bob + "/x"
	carolY = carol + "/y"
	nsTest = "urn:example:test"
)

// fixture is a router with the blocking module, a presence handler that delivers inbound
// presence like the presence module, and an account-level IQ handler in nsTest.
type fixture struct {
	r       *router.Router
	store   *blockingtest.MemStore
	rosters *rostertest.MemStore
	conns   map[string]*modtest.Conn
	res     map[string]*session.Resource
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		store:   blockingtest.NewMemStore(),
		rosters: rostertest.NewMemStore(),
		conns:   map[string]*modtest.Conn{},
		res:     map[string]*session.Resource{},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.r = router.New(jid.MustParse(domain), session.NewRegistry(), modtest.Users{alice: true, bob: true, carol: true}, log)
	f.r.HandlePresence(func(ctx context.Context, p router.Presence) {
		if p.To.Domainpart() != "" {
			f.r.RoutePresence(ctx, p)
		}
	}, func(_ context.Context, p router.Presence) {
		for _, res := range f.r.Sessions().Resources(p.To.Bare().String()) {
			if p.To.Resourcepart() == "" || res.Full() == p.To.String() {
				res.Send(p.Stanza)
			}
		}
	})
	f.r.HandleOffline(func(context.Context, jid.JID, *stanza.Element) error { return nil })
	f.r.RegisterIQ("get", nsTest, router.ToAccount, func(context.Context, router.IQ) (*stanza.Element, error) {
		return stanza.New(nsTest, "answer"), nil
	})
	blocking.New(f.store, f.rosters, f.r, log).Register(f.r)
	return f
}

// online binds full with available presence.
func (f *fixture) online(t *testing.T, full string) *session.Resource {
	t.Helper()
	c := &modtest.Conn{}
	res := session.NewResource(jid.MustParse(full), c)
	f.r.Bind(res)
	res.SetPresence(stanza.New(stanza.NSClient, "presence", "from", full), 0)
	f.conns[full], f.res[full] = c, res
	return res
}

// send makes full send the stanza given as XML, 'from' stamped as c2s would.
func (f *fixture) send(t *testing.T, full, xml string) {
	t.Helper()
	st := parse(t, xml)
	st.Set("from", full)
	f.r.Outbound(context.Background(), f.res[full], st)
}

// iq sends an IQ from full and returns the response it got back.
func (f *fixture) iq(t *testing.T, full, xml string) *stanza.Element {
	t.Helper()
	f.send(t, full, xml)
	res := f.conns[full].TakeFirst(func(el *stanza.Element) bool {
		return el.Name.Local == "iq" && el.Get("id") == "q" && el.Get("type") != "set"
	})
	if res == nil {
		t.Fatalf("%s: no response to %s", full, xml)
	}
	return res
}

func (f *fixture) mustResult(t *testing.T, full, xml string) *stanza.Element {
	t.Helper()
	res := f.iq(t, full, xml)
	if res.Get("type") != "result" {
		t.Fatalf("%s: %s answered %s, want a result", full, xml, res)
	}
	return res
}

func (f *fixture) block(t *testing.T, full string, jids ...string) {
	t.Helper()
	f.mustResult(t, full, `<iq type='set' id='q'><block xmlns='urn:xmpp:blocking'>`+items(jids)+`</block></iq>`)
}

func (f *fixture) unblock(t *testing.T, full string, jids ...string) {
	t.Helper()
	f.mustResult(t, full, `<iq type='set' id='q'><unblock xmlns='urn:xmpp:blocking'>`+items(jids)+`</unblock></iq>`)
}

func (f *fixture) blocklist(t *testing.T, full string) []string {
	t.Helper()
	res := f.mustResult(t, full, `<iq type='get' id='q'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	return itemJIDs(res.Child(blocking.NS, "blocklist"))
}

func items(jids []string) string {
	var s string
	for _, j := range jids {
		s += fmt.Sprintf(`<item jid='%s'/>`, j)
	}
	return s
}

func itemJIDs(el *stanza.Element) []string {
	if el == nil {
		return nil
	}
	var out []string
	for _, it := range el.ChildElements() {
		out = append(out, it.Get("jid"))
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

func condition(el *stanza.Element) string {
	e := el.Child(el.Name.Space, "error")
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

// TestCommands covers retrieval, block, unblock and unblock all (XEP-0191 §3.2-§3.5),
// with pushes to the resources that retrieved the list only.
func TestCommands(t *testing.T) {
	f := newFixture(t)
	f.online(t, aliceA)
	f.online(t, aliceB)
	if got := f.blocklist(t, aliceA); len(got) != 0 {
		t.Fatalf("empty blocklist = %q", got)
	}

	f.block(t, aliceA, "Bob@Example.test", "spam.example", bob)
	pushes := f.conns[aliceA].Take()
	if len(pushes) != 1 || pushes[0].Get("type") != "set" || pushes[0].Get("to") != aliceA {
		t.Fatalf("alice/a got %v, want one block push", pushes)
	}
	if got := itemJIDs(pushes[0].Child(blocking.NS, "block")); fmt.Sprint(got) != fmt.Sprint([]string{bob, "spam.example"}) {
		t.Errorf("push items %q, want [%s spam.example] (normalised, once)", got, bob)
	}
	if got := f.conns[aliceB].Take(); len(got) != 0 {
		t.Errorf("alice/b, which never asked for the list, got %v", got)
	}
	if got := f.blocklist(t, aliceB); fmt.Sprint(got) != fmt.Sprint([]string{bob, "spam.example"}) {
		t.Errorf("blocklist = %q", got)
	}

	f.unblock(t, aliceA, "spam.example")
	for _, full := range []string{aliceA, aliceB} {
		got := f.conns[full].Take()
		if len(got) != 1 || fmt.Sprint(itemJIDs(got[0].Child(blocking.NS, "unblock"))) != "[spam.example]" {
			t.Errorf("%s got %v, want one unblock push for spam.example", full, got)
		}
	}
	f.block(t, aliceA, carol)
	f.conns[aliceA].Take()
	f.conns[aliceB].Take()
	f.unblock(t, aliceB)
	for _, full := range []string{aliceA, aliceB} {
		got := f.conns[full].Take()
		if len(got) != 1 || got[0].Child(blocking.NS, "unblock") == nil || len(got[0].Child(blocking.NS, "unblock").Children) != 0 {
			t.Errorf("%s got %v, want one empty unblock push", full, got)
		}
	}
	if got := f.blocklist(t, aliceA); len(got) != 0 {
		t.Errorf("blocklist after unblock all = %q, want none", got)
	}

	errorCases := []struct {
		name, from, xml, want string
	}{
		{"block without items", aliceA, `<iq type='set' id='q'><block xmlns='urn:xmpp:blocking'/></iq>`, stanza.BadRequest},
		{"malformed JID", aliceA, `<iq type='set' id='q'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>`, stanza.JIDMalformed},
		{"missing JID", aliceA, `<iq type='set' id='q'><unblock xmlns='urn:xmpp:blocking'><item/></unblock></iq>`, stanza.JIDMalformed},
		{"unknown set payload", aliceA, `<iq type='set' id='q'><blocklist xmlns='urn:xmpp:blocking'/></iq>`, stanza.BadRequest},
		{"someone else's list", bobX, `<iq type='get' id='q' to='` + alice + `'><blocklist xmlns='urn:xmpp:blocking'/></iq>`, stanza.Forbidden},
	}
	f.online(t, bobX)
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.iq(t, tc.from, tc.xml)
			if res.Get("type") != "error" || condition(res) != tc.want {
				t.Errorf("got %s, want a %s error", res, tc.want)
			}
		})
	}
	if got := f.blocklist(t, aliceA); len(got) != 0 {
		t.Errorf("blocklist after failed commands = %q, want none", got)
	}
}

// TestEnforcement: what reaches whom once alice blocked an entry (XEP-0191 §3.3).
func TestEnforcement(t *testing.T) {
	tests := []struct {
		name        string
		entry       string
		from, xml   string // routed from this full JID
		delivered   string // full JID that must get the stanza, "" for nobody
		bounce      string // error condition the sender gets, "" for nothing
		appBlocked  bool   // the bounce carries <blocked xmlns='urn:xmpp:blocking:errors'/>
		notReaching string // full JID that must not get it
	}{
		{name: "message from blocked bare JID", entry: bob, from: bobX,
			xml: `<message to='alice@example.test' type='chat' id='m'><body>hi</body></message>`, bounce: stanza.ServiceUnavailable, notReaching: aliceA},
		{name: "message to a full JID", entry: bob, from: bobX,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, bounce: stanza.ServiceUnavailable, notReaching: aliceA},
		{name: "error message dropped silently", entry: bob, from: bobX,
			xml: `<message to='alice@example.test/a' type='error' id='m'><error type='cancel'/></message>`, notReaching: aliceA},
		{name: "presence dropped silently", entry: bob, from: bobX,
			xml: `<presence to='alice@example.test'/>`, notReaching: aliceA},
		{name: "subscription request dropped silently", entry: bob, from: bobX,
			xml: `<presence to='alice@example.test' type='subscribe'/>`, notReaching: aliceA},
		{name: "IQ get to the account", entry: bob, from: bobX,
			xml: `<iq to='alice@example.test' type='get' id='q'><query xmlns='urn:example:test'/></iq>`, bounce: stanza.ServiceUnavailable},
		{name: "IQ set to a resource", entry: bob, from: bobX,
			xml: `<iq to='alice@example.test/a' type='set' id='q'><query xmlns='urn:example:test'/></iq>`, bounce: stanza.ServiceUnavailable, notReaching: aliceA},
		{name: "IQ result dropped silently", entry: bob, from: bobX,
			xml: `<iq to='alice@example.test/a' type='result' id='q'/>`, notReaching: aliceA},
		{name: "full JID entry blocks that resource", entry: bobX, from: bobX,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, bounce: stanza.ServiceUnavailable, notReaching: aliceA},
		{name: "full JID entry lets other resources through", entry: bob + "/other", from: bobX,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, delivered: aliceA},
		{name: "domain entry blocks its users", entry: domain, from: carolY,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, bounce: stanza.ServiceUnavailable, notReaching: aliceA},
		{name: "other senders pass", entry: bob, from: carolY,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, delivered: aliceA},
		{name: "own resources pass", entry: domain, from: aliceB,
			xml: `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`, delivered: aliceA},
		{name: "alice writes to a blocked JID", entry: bob, from: aliceA,
			xml: `<message to='bob@example.test' type='chat' id='m'><body>hi</body></message>`, bounce: stanza.NotAcceptable, appBlocked: true, notReaching: bobX},
		{name: "alice sends an IQ to a blocked resource", entry: bob, from: aliceA,
			xml: `<iq to='bob@example.test/x' type='get' id='q'><query xmlns='urn:example:test'/></iq>`, bounce: stanza.NotAcceptable, appBlocked: true, notReaching: bobX},
		{name: "alice answers a blocked JID's IQ", entry: bob, from: aliceA,
			xml: `<iq to='bob@example.test/x' type='result' id='q'/>`, notReaching: bobX},
		{name: "alice writes to a blocked domain's user", entry: "example.test/nobody", from: aliceA,
			xml: `<message to='bob@example.test' type='chat' id='m'><body>hi</body></message>`, delivered: bobX},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.online(t, aliceA)
			f.online(t, aliceB)
			f.online(t, bobX)
			f.online(t, carolY)
			f.block(t, aliceA, tc.entry)
			for _, c := range f.conns {
				c.Take()
			}
			f.send(t, tc.from, tc.xml)
			sent := parse(t, tc.xml)
			got := map[string][]*stanza.Element{}
			for full, c := range f.conns {
				got[full] = c.Take()
			}
			var back *stanza.Element
			for _, el := range got[tc.from] {
				if el.Get("type") == "error" && el.Get("id") == sent.Get("id") {
					back = el
				}
			}
			switch {
			case tc.bounce == "" && back != nil:
				t.Errorf("%s got %s, want no error", tc.from, back)
			case tc.bounce != "" && (back == nil || condition(back) != tc.bounce):
				t.Errorf("%s got %v, want a %s error", tc.from, got[tc.from], tc.bounce)
			case tc.appBlocked && back.Child(back.Name.Space, "error").Child(blocking.NSErrors, "blocked") == nil:
				t.Errorf("error %s has no <blocked/>", back)
			}
			if tc.delivered != "" && !hasKind(got[tc.delivered], sent.Name.Local, tc.from) {
				t.Errorf("%s got %v, want the %s from %s", tc.delivered, got[tc.delivered], sent.Name.Local, tc.from)
			}
			if tc.notReaching != "" && hasKind(got[tc.notReaching], sent.Name.Local, tc.from) {
				t.Errorf("%s got %v, want nothing from %s", tc.notReaching, got[tc.notReaching], tc.from)
			}
		})
	}
}

func hasKind(els []*stanza.Element, kind, from string) bool {
	for _, el := range els {
		if el.Name.Local == kind && el.Get("from") == from {
			return true
		}
	}
	return false
}

// TestPresence: a blocked subscriber sees alice go offline, gets none of her presence
// while blocked, and her presence again once unblocked (XEP-0191 §3.3, §3.4).
func TestPresence(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.online(t, aliceA)
	f.online(t, bobX)
	f.online(t, carolY)
	for _, it := range []struct{ owner, contact, sub string }{
		{alice, bob, "both"}, {bob, alice, "both"}, {alice, carol, "none"},
	} {
		if _, err := f.rosters.PutItem(ctx, it.owner, roster.Item{JID: it.contact, Subscription: it.sub}); err != nil {
			t.Fatal(err)
		}
	}
	f.block(t, aliceA, bob, carol)
	got := f.conns[bobX].Take()
	if len(got) != 1 || got[0].Name.Local != "presence" || got[0].Get("type") != "unavailable" || got[0].Get("from") != aliceA {
		t.Fatalf("bob got %v, want unavailable presence from %s", got, aliceA)
	}
	if got := f.conns[carolY].Take(); len(got) != 0 {
		t.Errorf("carol, who is not subscribed, got %v", got)
	}

	// What the server routes for alice: a broadcast and a probe.
	f.r.Route(ctx, stanza.New(stanza.NSClient, "presence", "from", aliceA, "to", bob))
	f.r.Route(ctx, stanza.New(stanza.NSClient, "presence", "type", "probe", "from", alice, "to", bob))
	if got := f.conns[bobX].Take(); len(got) != 0 {
		t.Errorf("while blocked bob got %v", got)
	}

	f.unblock(t, aliceA, bob)
	got = f.conns[bobX].Take()
	if len(got) != 2 || got[0].Get("type") != "" || got[0].Get("from") != aliceA || got[1].Get("type") != "probe" || got[1].Get("from") != alice {
		t.Errorf("after unblock bob got %v, want alice's presence and her probe", got)
	}
}

// TestCache: the list of an online account is read from the store once, re-read after a
// change, and dropped with the account's last session.
func TestCache(t *testing.T) {
	f := newFixture(t)
	f.online(t, aliceA)
	f.online(t, bobX)
	f.block(t, aliceA, "spam.example")
	msg := `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`
	f.send(t, bobX, msg)
	reads := f.store.Reads()
	for range 5 {
		f.send(t, bobX, msg)
	}
	if n := f.store.Reads() - reads; n != 0 {
		t.Errorf("%d store reads for 5 messages, want 0 (cached)", n)
	}
	f.block(t, aliceA, bob)
	f.conns[bobX].Take()
	f.send(t, bobX, msg)
	if got := f.conns[bobX].Take(); len(got) != 1 || condition(got[0]) != stanza.ServiceUnavailable {
		t.Errorf("after a change bob got %v, want service-unavailable", got)
	}
	f.r.Unbind(context.Background(), f.res[aliceA])
	reads = f.store.Reads()
	f.send(t, bobX, msg)
	f.send(t, bobX, msg)
	if n := f.store.Reads() - reads; n != 2 {
		t.Errorf("%d store reads for 2 messages to an offline account, want 2 (not cached)", n)
	}
}

// TestStoreFailure: an unreadable store lets stanzas through and fails the commands.
func TestStoreFailure(t *testing.T) {
	f := newFixture(t)
	f.online(t, aliceA)
	f.online(t, bobX)
	f.block(t, aliceA, bob)
	f.r.Unbind(context.Background(), f.res[aliceA]) // drop the cached list
	f.online(t, aliceA)
	f.store.Fail(errors.New("disk on fire"))
	f.send(t, bobX, `<message to='alice@example.test/a' type='chat' id='m'><body>hi</body></message>`)
	if !hasKind(f.conns[aliceA].Take(), "message", bobX) {
		t.Error("message not delivered while the store fails")
	}
	res := f.iq(t, aliceA, `<iq type='get' id='q'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	if condition(res) != stanza.InternalServerError {
		t.Errorf("blocklist with a failing store: %s, want internal-server-error", res)
	}
}

// TestConcurrentChanges: messages flow while the list changes; once a block or unblock
// returned, the next message obeys it. Run with -race.
func TestConcurrentChanges(t *testing.T) {
	f := newFixture(t)
	f.online(t, aliceA)
	f.online(t, bobX)
	f.online(t, carolY)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, from := range []string{bobX, carolY} {
		wg.Go(func() {
			for ctx.Err() == nil {
				st := stanza.New(stanza.NSClient, "message", "type", "chat", "from", from, "to", aliceA)
				f.r.Route(ctx, st)
			}
		})
	}
	probe := func() bool {
		st := stanza.New(stanza.NSClient, "message", "type", "chat", "id", "probe", "from", bobX, "to", aliceA)
		f.r.Route(context.Background(), st)
		for _, el := range f.conns[bobX].Take() {
			if el.Get("id") == "probe" && el.Get("type") == "error" {
				return true
			}
		}
		return false
	}
	for i := range 50 {
		f.block(t, aliceA, bob)
		if !probe() {
			t.Fatalf("round %d: a message after the block went through", i)
		}
		f.unblock(t, aliceA, bob)
		if probe() {
			t.Fatalf("round %d: a message after the unblock was refused", i)
		}
	}
	cancel()
	wg.Wait()
}
